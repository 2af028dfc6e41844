"""Settling a payout batch: marked paid by hand, reconciled with a payment provider's CSV,
or settled from the bank's or provider's own file (camt.053 statement, PayPal's result
file, Wise's statement). All or nothing for a file that does not match, line by line for
a statement; each payee is told once.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.services import record
from core.errors import DomainError
from core.services import notify
from programs import policy

from .. import bankfiles
from ..models import LedgerEntry, PayoutBatch, PayoutLine
from .ledger import E, checked_amount


def _mark_lines_paid(*, actor, batch: PayoutBatch, paid: dict, how: str) -> PayoutBatch:
    """paid: {line id: (reference, date)}. Every line of the batch must be in it."""
    lines = {line.pk: line for line in batch.lines.select_related("participation__user")}
    for line_id, (reference, paid_on) in sorted(paid.items()):
        line = lines[line_id]
        PayoutLine.objects.filter(pk=line_id).update(paid_reference=reference, paid_at=paid_on)
        LedgerEntry.objects.filter(
            batch=batch, participation_id=line.participation_id, state=E.EXPORTED
        ).workflow_update(state=E.PAID, paid_reference=reference, paid_at=paid_on)
        record(
            action="compensation.entry.paid",
            obj=line,
            actor=actor,
            programme=line.participation.programme,
            subject=line.participation.user,
            data={
                "batch": batch.pk,
                "amount": str(line.amount),
                "currency": line.currency,
                "entries": line.entries_count,
                "reference": reference,
                "paid_at": paid_on,
            },
        )
        notify(
            user=line.participation.user,
            subject=f"You were paid {line.amount} {line.currency}",
            body=f"{line.entries_count} ledger entries were paid on {paid_on:%Y-%m-%d} "
            f"with reference {reference}.",
            dedupe_key=f"compensation.paid:{line.pk}",
            url=reverse("compensation:statement"),
            programme=line.participation.programme,
        )
    if batch.lines.filter(paid_at__isnull=True).exists():
        # A statement that settles some lines: the batch waits for the rest.
        return batch
    settled = batch.lines.values_list("paid_reference", "paid_at")
    references = {ref for ref, _ in settled}
    batch.status = PayoutBatch.Status.PAID
    batch.paid_reference = references.pop() if len(references) == 1 else "(per line)"
    batch.paid_at = max(d for _, d in settled)
    batch.save(update_fields=["status", "paid_reference", "paid_at"])
    record(
        action="compensation.batch.paid",
        obj=batch,
        actor=actor,
        data={"lines": len(settled), "how": how, "total": str(batch.total)},
    )
    return batch


def _lock_ready_batch(*, actor, batch: PayoutBatch) -> PayoutBatch:
    batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
    policy.require_in_every(actor, "payouts", batch.programmes.all())
    if batch.status == PayoutBatch.Status.PAID:
        raise DomainError(
            f"Batch {batch.pk} is already settled (paid on {batch.paid_at:%Y-%m-%d}, "
            f"reference {batch.paid_reference}); nothing was changed.",
            code="settled",
        )
    if PayoutBatch.Status.PAID not in PayoutBatch.TRANSITIONS[batch.status]:
        raise DomainError(
            f"Batch {batch.pk} is {batch.get_status_display().lower()}; "
            "only a batch that is ready can be marked paid."
        )
    return batch


@transaction.atomic
def batch_mark_paid(*, actor, batch: PayoutBatch, reference: str, paid_on: date) -> PayoutBatch:
    """Finance paid the whole batch: every line gets the same reference and date."""
    reference = (reference or "").strip()
    if not reference:
        raise DomainError("Give the payment reference.", field="reference")
    if paid_on is None:
        raise DomainError("Give the payment date.", field="paid_on")
    if paid_on > timezone.localdate():
        raise DomainError("The payment date is in the future.", field="paid_on")
    batch = _lock_ready_batch(actor=actor, batch=batch)
    unpaid = batch.lines.filter(paid_at__isnull=True).values_list("pk", flat=True)
    paid = {pk: (reference[:120], paid_on) for pk in unpaid}
    return _mark_lines_paid(actor=actor, batch=batch, paid=paid, how="marked")


@dataclass
class Mismatch:
    row: int | str | None  # where in the file: a row number, "line 12" of a statement, or None
    reference: str
    problem: str


class ReconciliationFailed(DomainError):
    """The provider's file does not match the batch; nothing was applied."""

    def __init__(self, mismatches: list[Mismatch]):
        super().__init__(
            f"{len(mismatches)} problem(s) in the payment file; nothing was marked paid.",
            code="mismatch",
        )
        self.mismatches = mismatches


MAX_RECONCILE_BYTES = 5 * 1024 * 1024


def parse_provider_csv(data: bytes) -> list[dict]:
    """Rows of a provider file with the columns reference, amount, date (any order, header row)."""
    if len(data) > MAX_RECONCILE_BYTES:
        raise DomainError("The payment file is too large (5 MB at most).", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError("The payment file is not UTF-8 text.", field="file") from None
    reader = csv.DictReader(io.StringIO(text))
    headers = {(h or "").strip().lower() for h in (reader.fieldnames or [])}
    missing = {"reference", "amount", "date"} - headers
    if missing:
        raise DomainError(
            "The payment file needs a header row with reference, amount and date "
            f"(missing: {', '.join(sorted(missing))}).",
            field="file",
        )
    rows = []
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        rows.append({"row": number, **row})
    return rows


@transaction.atomic
def batch_reconcile(*, actor, batch: PayoutBatch, data: bytes) -> PayoutBatch:
    """Apply a payment provider's file: all lines paid, or nothing and a report line by line."""
    batch = _lock_ready_batch(actor=actor, batch=batch)
    rows = parse_provider_csv(data)
    lines = list(batch.lines.filter(paid_at__isnull=True))
    by_ref: dict[str, list[PayoutLine]] = defaultdict(list)
    for line in lines:
        if line.payout_reference:
            by_ref[line.payout_reference].append(line)
    by_key = {line.line_key: line for line in lines}
    by_key.update({line.end_to_end_id: line for line in lines})

    def find(reference: str) -> PayoutLine | None:
        if reference in by_key:
            return by_key[reference]
        candidates = by_ref.get(reference, [])
        return candidates[0] if len(candidates) == 1 else None

    problems: list[Mismatch] = []
    paid: dict[int, tuple[str, date]] = {}
    referenced: set[int] = set()
    for row in rows:
        reference = row.get("reference", "")
        line = find(reference)
        if line is None:
            why = (
                "reference is shared by several payees; use the line key batch-payee"
                if len(by_ref.get(reference, [])) > 1
                else "unknown reference (no line of this batch)"
            )
            problems.append(Mismatch(row["row"], reference, why))
            continue
        if line.pk in referenced:
            problems.append(Mismatch(row["row"], reference, "duplicate: this line is paid twice"))
            continue
        referenced.add(line.pk)
        try:
            amount = checked_amount(row.get("amount", ""))
        except DomainError:
            problems.append(
                Mismatch(row["row"], reference, f"“{row.get('amount')}” is not an amount")
            )
            continue
        if amount != line.amount:
            problems.append(
                Mismatch(
                    row["row"],
                    reference,
                    f"amount differs: file {amount}, batch {line.amount} {line.currency}",
                )
            )
            continue
        try:
            paid_on = date.fromisoformat(row.get("date", ""))
        except ValueError:
            problems.append(Mismatch(row["row"], reference, "date is not YYYY-MM-DD"))
            continue
        paid[line.pk] = (reference[:120], paid_on)
    for line in lines:
        if line.pk not in referenced and line.amount == 0:
            # An entry and its reversal netting to zero: settled together, nothing to pay.
            paid[line.pk] = ("nets to zero", timezone.localdate())
            continue
        if line.pk not in referenced:
            problems.append(
                Mismatch(
                    None,
                    line.payout_reference or line.line_key,
                    f"missing: {line.name} ({line.amount} {line.currency}) is not in the file",
                )
            )
    if problems:
        raise ReconciliationFailed(problems)
    return _mark_lines_paid(actor=actor, batch=batch, paid=paid, how="reconciled")


# --- Bank statements (camt.053) --------------------------------------------------------------


@dataclass
class StatementImport:
    """What a bank statement did to a batch."""

    paid: int = 0
    remaining: int = 0
    ignored: int = 0
    problems: list[Mismatch] = field(default_factory=list)


def _read_statement(batch: PayoutBatch, data: bytes):
    """The bank's or provider's file of this batch's method, parsed: (statement, what it is).
    A SEPA statement must be of the payout account."""
    reader = bankfiles.RESULT_READERS.get(batch.method)
    if reader is None:
        raise DomainError(
            "A batch paid from its CSV is reconciled with the provider's CSV "
            "(reference, amount, date) instead.",
            field="file",
        )
    parse, what = reader
    statement = parse(data)
    if batch.method == PayoutBatch.Method.SEPA:
        ours = settings.PAYOUT_DEBTOR_IBAN.replace(" ", "").upper()
        if statement.account_iban != ours:
            raise DomainError(
                f"This statement is for account {statement.account_iban or '(none given)'}, "
                f"not the payout account {ours}; nothing was applied.",
                field="file",
            )
    return statement, what


def _statement_payments(statement, lines: dict, report: StatementImport) -> dict:
    """{line id: (reference, booked on)} for each payment of the statement that pays a line
    of the batch; every other transaction of the batch is a problem in `report`, and
    transactions that are not the batch's are counted as ignored."""
    paid: dict[int, tuple[str, date]] = {}
    for tx in statement.transactions:
        ref = tx.end_to_end_id
        if not ref.startswith("TT-"):
            report.ignored += 1
            continue
        line = lines.get(ref)
        where = f"line {tx.line}"

        def problem(text: str, ref=ref, where=where) -> None:
            report.problems.append(Mismatch(where, ref, text))

        if line is None:
            problem("no line of this batch has this reference")
        elif tx.refused:
            problem(f"{tx.refused}: the provider did not pay it; the line stays unpaid")
        elif not tx.debit:
            problem("a credit: the bank returned this payment; the line stays unpaid")
        elif not tx.booked:
            problem("not booked yet; upload the statement again once it is")
        elif line.pk in paid:
            problem("duplicate: this line is paid twice in the statement")
        elif line.paid_at:
            problem(f"already paid on {line.paid_at:%Y-%m-%d}; nothing to do")
        elif tx.amount is None or tx.currency != line.currency or tx.amount != line.amount:
            problem(
                f"amount differs: statement {tx.amount} {tx.currency}, "
                f"batch {line.amount} {line.currency}"
            )
        elif tx.booked_on is None:
            problem("no booking date")
        else:
            paid[line.pk] = ((tx.bank_reference or ref)[:120], tx.booked_on)
    return paid


@transaction.atomic
def batch_import_statement(*, actor, batch: PayoutBatch, data: bytes) -> StatementImport:
    """Settle a batch from what the bank or provider says was paid: the camt.053 statement of
    the payout account for a SEPA batch, PayPal's Payouts result file for a PayPal batch,
    Wise's statement (CSV) for a Wise batch.

    Each payment (a booked debit, or a PayPal item that succeeded) whose end-to-end reference
    is a line of this batch, with the line's amount and currency, pays that line (and its
    entries); the payee is notified once. Transactions that are not this batch's are ignored
    and counted; a reference of this batch with another amount, a duplicate, a reference of
    no line, a return or a failed payment, or a line already paid is reported by its line in
    the file and changes nothing. When every line is paid the batch is settled.
    """
    batch = _lock_ready_batch(actor=actor, batch=batch)
    statement, what = _read_statement(batch, data)
    lines = {line.end_to_end_id: line for line in batch.lines.all()}
    report = StatementImport()
    paid = _statement_payments(statement, lines, report)
    if not paid:
        if report.problems:
            raise ReconciliationFailed(report.problems)
        raise DomainError(
            f"No transaction in this {what} is a payment of batch {batch.pk}; nothing was applied.",
            field="file",
        )
    for line in lines.values():
        if line.amount == 0 and not line.paid_at:
            paid[line.pk] = ("nets to zero", max(d for _, d in paid.values()))
    _mark_lines_paid(actor=actor, batch=batch, paid=paid, how=what)
    report.paid = len(paid)
    report.remaining = batch.lines.filter(paid_at__isnull=True).count()
    record(
        action="compensation.batch.statement_imported",
        obj=batch,
        actor=actor,
        data={
            "file": what,
            "account": statement.account_iban,
            "paid": report.paid,
            "remaining": report.remaining,
            "ignored": report.ignored,
            "problems": len(report.problems),
        },
    )
    return report
