"""The files money leaves and comes back in: SEPA, PayPal and Wise batch files out, camt.053
bank statements in.

Pure functions over a batch's lines; the services decide what to do with them. SEPA
credit transfers are written by `sepaxml` (pain.001.001.03, validated against the XSD it
ships before the file is stored); statements are read with `lxml`, entities and network off.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from lxml import etree
from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError

from core.errors import DomainError

from .models import PayoutBatch, PayoutLine

# What each method can pay. SEPA credit transfers are euro only; PayPal Payouts and Wise
# pay the currencies their documentation lists (the common ones here).
METHOD_CURRENCIES = {
    PayoutBatch.Method.SEPA: frozenset({"EUR"}),
    PayoutBatch.Method.PAYPAL: frozenset(
        "AUD BRL CAD CHF CNY CZK DKK EUR GBP HKD HUF ILS JPY MXN MYR NOK NZD PHP PLN SEK SGD "
        "THB TWD USD".split()
    ),
    PayoutBatch.Method.WISE: frozenset(
        "AED AUD BDT BGN BRL CAD CHF CLP CNY COP CZK DKK EGP EUR GBP GEL HKD HUF IDR ILS INR "
        "JPY KES KRW LKR MAD MXN MYR NGN NOK NPR NZD PHP PKR PLN RON SEK SGD THB TRY UAH USD "
        "VND ZAR".split()
    ),
}


def check_method_currency(method: str, currency: str) -> None:
    allowed = METHOD_CURRENCIES.get(method)
    if allowed is not None and currency not in allowed:
        label = PayoutBatch.Method(method).label
        shown = ", ".join(sorted(allowed)) if len(allowed) < 6 else "the currencies it lists"
        raise DomainError(f"{label} cannot pay {currency}; it pays {shown}.", field="currency")


def _description(batch: PayoutBatch) -> str:
    return f"Payout batch {batch.pk} {batch.period_label}"


def sepa_credit_transfer(batch: PayoutBatch, lines: list[tuple[PayoutLine, dict]]) -> bytes:
    """pain.001.001.03 for the batch's lines (of more than zero), validated before it is kept."""

    config = {
        "name": settings.PAYOUT_DEBTOR_NAME,
        "IBAN": settings.PAYOUT_DEBTOR_IBAN.replace(" ", ""),
        "batch": True,
        "currency": batch.currency,
    }
    if settings.PAYOUT_DEBTOR_BIC:
        config["BIC"] = settings.PAYOUT_DEBTOR_BIC
    sepa = SepaTransfer(config, schema="pain.001.001.03", clean=True)
    execution = date.today()
    for line, details in lines:
        if line.amount <= 0:
            continue
        payment = {
            "name": details["legal_name"],
            "IBAN": details["iban"],
            "amount": int(line.amount * 100),
            "execution_date": execution,
            "description": _description(batch),
            "endtoend_id": line.end_to_end_id,
        }
        if details.get("bic"):
            payment["BIC"] = details["bic"]
        sepa.add_payment(payment)
    try:
        return sepa.export(validate=True)
    except ValidationError as exc:
        raise DomainError(f"The SEPA file does not validate: {exc.__cause__ or exc}") from exc


def _csv(header: list[str], rows: list[list]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def paypal_payouts_csv(batch: PayoutBatch, lines: list[tuple[PayoutLine, dict]]) -> bytes:
    """PayPal Payouts' batch upload: recipient, amount, currency, reference id, note, wallet."""
    rows = [
        [
            details["email"],
            f"{line.amount:.2f}",
            line.currency,
            line.end_to_end_id,
            _description(batch),
            "PayPal",
        ]
        for line, details in lines
        if line.amount > 0
    ]
    return _csv(
        [
            "Email/Phone",
            "Amount",
            "Currency code",
            "Reference ID",
            "Note to recipient",
            "Recipient wallet",
        ],
        rows,
    )


def wise_batch_csv(batch: PayoutBatch, lines: list[tuple[PayoutLine, dict]]) -> bytes:
    """Wise's batch transfer template, paying recipients by email."""
    rows = [
        [
            details["legal_name"],
            details["email"],
            line.end_to_end_id,
            "PRIVATE",
            line.currency,
            f"{line.amount:.2f}",
            line.currency,
            line.currency,
        ]
        for line, details in lines
        if line.amount > 0
    ]
    return _csv(
        [
            "name",
            "recipientEmail",
            "paymentReference",
            "receiverType",
            "amountCurrency",
            "amount",
            "sourceCurrency",
            "targetCurrency",
        ],
        rows,
    )


WRITERS = {
    PayoutBatch.Method.SEPA: sepa_credit_transfer,
    PayoutBatch.Method.PAYPAL: paypal_payouts_csv,
    PayoutBatch.Method.WISE: wise_batch_csv,
}


# --- camt.053 -------------------------------------------------------------------------------


@dataclass
class StatementTransaction:
    line: int  # line number in the XML file
    end_to_end_id: str
    amount: Decimal | None
    currency: str
    booked_on: date | None
    debit: bool
    booked: bool
    bank_reference: str
    # The provider's own word for a payment that did not go through (PayPal's FAILED,
    # RETURNED, …); empty for a payment that did.
    refused: str = ""


@dataclass
class BankStatement:
    account_iban: str  # empty for a provider's file, which names no bank account
    transactions: list[StatementTransaction]


CAMT053 = "urn:iso:std:iso:20022:tech:xsd:camt.053."
MAX_STATEMENT_BYTES = 10 * 1024 * 1024


def parse_camt053(data: bytes) -> BankStatement:
    """A camt.053 statement's account and transactions, or a DomainError saying what is wrong."""
    if len(data) > MAX_STATEMENT_BYTES:
        raise DomainError("The statement is too large (10 MB at most).", field="file")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise DomainError(
            f"This file is not a camt.053 bank statement: it is not XML ({exc.msg}).", field="file"
        ) from None
    namespace = etree.QName(root).namespace or ""
    if not namespace.startswith(CAMT053):
        found = namespace.rsplit(":", 1)[-1] if namespace else etree.QName(root).localname
        raise DomainError(
            f"This file is not a camt.053 bank statement (it is “{found}”).", field="file"
        )
    ns = {"c": namespace}

    def text(node, path: str) -> str:
        found = node.find(path, ns)
        return (found.text or "").strip() if found is not None else ""

    def amount_of(node) -> tuple[Decimal | None, str]:
        if node is None:
            return None, ""
        try:
            return Decimal((node.text or "").strip()), node.get("Ccy", "")
        except InvalidOperation:
            return None, node.get("Ccy", "")

    def day(value: str) -> date | None:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None

    statements = root.findall("c:BkToCstmrStmt/c:Stmt", ns)
    if not statements:
        raise DomainError("This camt.053 file holds no statement (Stmt).", field="file")
    ibans = {text(s, "c:Acct/c:Id/c:IBAN").replace(" ", "").upper() for s in statements}
    if len(ibans) != 1:
        raise DomainError(
            "The statement covers several accounts; upload one account's.", field="file"
        )
    transactions = []
    for statement in statements:
        for entry in statement.findall("c:Ntry", ns):
            debit = text(entry, "c:CdtDbtInd") == "DBIT"
            status = text(entry, "c:Sts") or text(entry, "c:Sts/c:Cd")
            booked_on = day(text(entry, "c:BookgDt/c:Dt") or text(entry, "c:BookgDt/c:DtTm"))
            details = entry.findall("c:NtryDtls/c:TxDtls", ns)
            entry_amount = amount_of(entry.find("c:Amt", ns))
            for tx in details or [entry]:
                if tx is entry:
                    amount = entry_amount
                else:
                    amount = amount_of(
                        tx.find("c:Amt", ns)
                        if tx.find("c:Amt", ns) is not None
                        else tx.find("c:AmtDtls/c:TxAmt/c:Amt", ns)
                    )
                    if amount[0] is None and len(details) == 1:
                        amount = entry_amount
                transactions.append(
                    StatementTransaction(
                        line=tx.sourceline or entry.sourceline or 0,
                        end_to_end_id=text(tx, "c:Refs/c:EndToEndId"),
                        amount=amount[0],
                        currency=amount[1],
                        booked_on=booked_on,
                        debit=debit,
                        booked=status == "BOOK",
                        bank_reference=text(tx, "c:Refs/c:AcctSvcrRef")
                        or text(entry, "c:AcctSvcrRef"),
                    )
                )
    return BankStatement(account_iban=ibans.pop(), transactions=transactions)


# --- The providers' result files ---------------------------------------------------------------

MAX_RESULT_BYTES = 5 * 1024 * 1024


def _result_rows(data: bytes, *, what: str, columns: dict[str, tuple[str, ...]]):
    """(line number, {our name: cell}) of a provider's CSV, reading columns by their header
    (any case, any order; a few names each, as the provider's exports spell them)."""
    if len(data) > MAX_RESULT_BYTES:
        raise DomainError(f"The {what} is too large (5 MB at most).", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(
            f"This file is not a {what}: it is not UTF-8 text.", field="file"
        ) from None
    if text.lstrip().startswith("<"):
        raise DomainError(f"This file is not a {what}: it is XML or HTML.", field="file")
    try:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, [])
    except csv.Error as exc:
        raise DomainError(f"This file is not a {what}: {exc}.", field="file") from None
    index = {}
    names = [(h or "").strip().lower() for h in header]
    for ours, theirs in columns.items():
        for name in theirs:
            if name.lower() in names:
                index[ours] = names.index(name.lower())
                break
    missing = [theirs[0] for ours, theirs in columns.items() if ours not in index]
    if missing:
        raise DomainError(
            f"This file is not a {what}: line 1 lacks the column(s) {', '.join(missing)}.",
            field="file",
        )
    try:
        for number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                raise DomainError(
                    f"Line {number} of the {what} has {len(row)} cells; the header has "
                    f"{len(header)}. Nothing was applied.",
                    field="file",
                )
            yield number, {ours: row[i].strip() for ours, i in index.items()}
    except csv.Error as exc:
        raise DomainError(f"Line {reader.line_num} of the {what}: {exc}.", field="file") from None


def _amount(value: str, *, line: int, what: str) -> Decimal:
    cleaned = value.replace(",", "").replace(" ", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise DomainError(
            f"Line {line} of the {what}: “{value}” is not an amount. Nothing was applied.",
            field="file",
        ) from None
    if not amount.is_finite():
        raise DomainError(f"Line {line} of the {what}: “{value}” is not an amount.", field="file")
    return amount


def _day(value: str, *, line: int, what: str) -> date:
    """ISO dates and times (2026-11-20, 2026-11-20T06:46:23Z) and Wise's 20-11-2026."""
    value = value.strip()
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        pass
    try:
        day, month, year = value[:10].split("-")
        return date(int(year), int(month), int(day))
    except ValueError:
        raise DomainError(
            f"Line {line} of the {what}: “{value}” is not a date. Nothing was applied.",
            field="file",
        ) from None


PAYPAL_RESULTS = "PayPal Payouts result file"
# PayPal's payout item, as its Payouts API names it and as the batch report spells it:
# sender_item_id is the "Reference ID" of the upload (our end-to-end reference).
PAYPAL_COLUMNS = {
    "reference": ("Reference ID", "sender_item_id"),
    "status": ("Status", "transaction_status"),
    "amount": ("Amount", "value"),
    "currency": ("Currency", "Currency code"),
    "date": ("Date", "time_processed"),
    "transaction": ("Transaction ID", "transaction_id"),
}
PAYPAL_PAID = {"SUCCESS", "COMPLETED"}
# Not final: the payment may still complete (an unclaimed one returns after 30 days).
PAYPAL_WAITING = {"PENDING", "UNCLAIMED", "ONHOLD", "PROCESSING", "NEW"}


def parse_paypal_results(data: bytes) -> BankStatement:
    """PayPal Payouts' result file of a batch: one row per payout item with its status."""
    transactions = []
    for line, row in _result_rows(data, what=PAYPAL_RESULTS, columns=PAYPAL_COLUMNS):
        status = row["status"].upper().replace(" ", "")
        amount = _amount(row["amount"], line=line, what=PAYPAL_RESULTS)
        paid = status in PAYPAL_PAID
        transactions.append(
            StatementTransaction(
                line=line,
                end_to_end_id=row["reference"],
                amount=abs(amount),
                currency=row["currency"].upper(),
                booked_on=_day(row["date"], line=line, what=PAYPAL_RESULTS) if paid else None,
                debit=True,
                booked=paid or status not in PAYPAL_WAITING,
                bank_reference=row["transaction"],
                refused="" if paid or status in PAYPAL_WAITING else status,
            )
        )
    return BankStatement(account_iban="", transactions=transactions)


WISE_RESULTS = "Wise statement (CSV)"
# Wise's balance statement export: "TransferWise ID", "Date", "Amount" (negative when money
# leaves), "Currency", "Payment Reference" (the batch file's paymentReference), … .
WISE_COLUMNS = {
    "transaction": ("TransferWise ID", "ID"),
    "date": ("Date",),
    "amount": ("Amount",),
    "currency": ("Currency",),
    "reference": ("Payment Reference", "Reference"),
}


def parse_wise_statement(data: bytes) -> BankStatement:
    """Wise's statement of the balance the batch was paid from: transfers out carry the
    batch file's payment reference; money coming back in (a refund) is a credit."""
    transactions = []
    for line, row in _result_rows(data, what=WISE_RESULTS, columns=WISE_COLUMNS):
        amount = _amount(row["amount"], line=line, what=WISE_RESULTS)
        transactions.append(
            StatementTransaction(
                line=line,
                end_to_end_id=row["reference"],
                amount=abs(amount),
                currency=row["currency"].upper(),
                booked_on=_day(row["date"], line=line, what=WISE_RESULTS),
                debit=amount < 0,
                booked=True,
                bank_reference=row["transaction"],
            )
        )
    return BankStatement(account_iban="", transactions=transactions)


# What settles a batch of each method: (reader, what the page calls the file).
RESULT_READERS = {
    PayoutBatch.Method.SEPA: (parse_camt053, "statement"),
    PayoutBatch.Method.PAYPAL: (parse_paypal_results, PAYPAL_RESULTS),
    PayoutBatch.Method.WISE: (parse_wise_statement, WISE_RESULTS),
}
