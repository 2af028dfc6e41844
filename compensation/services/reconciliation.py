"""Settling a payout batch: marked paid by hand, reconciled with a payment provider's CSV,
or settled from the bank's or provider's own file (camt.053 statement, PayPal's result
file, Wise's statement). All or nothing for a file that does not match, line by line for
a statement; each payee is told once.
"""

import csv
import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from audit.services import record
from core.errors import DomainError, NotAllowed
from core.services import notify
from programs import policy

from .. import bankfiles
from ..models import CENT, BankFileImport, LedgerEntry, PayoutBatch, PayoutLine
from .ledger import MAX_AMOUNT, E, checked_amount

L = PayoutLine.State


def _settle_line(*, actor, batch: PayoutBatch, line: PayoutLine, reference: str, paid_on: date):
    """One line paid: the line, its entries, an audit event, and the payee told once."""
    PayoutLine.objects.filter(pk=line.pk).update(
        state=L.PAID, paid_reference=reference, paid_at=paid_on
    )
    LedgerEntry.objects.filter(
        batch=batch, participation_id=line.participation_id, state=E.EXPORTED
    ).workflow_update(state=E.PAID, paid_reference=reference, paid_at=paid_on)
    record(
        action="compensation.entry.paid",
        obj=line,
        binds=PayoutLine.objects.get(pk=line.pk),  # the line as it is now, paid
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


def _take_out_line(*, actor, batch: PayoutBatch, line: PayoutLine, state: str, why: str, on):
    """A line the provider refused (failed) or the bank sent back (returned, even after it was
    booked): taken out of the batch with the reason and the day. Its entries go back to
    approved, out of any batch, and join the next one; the payee is told; an audit event."""
    PayoutLine.objects.filter(pk=line.pk).update(
        state=state, outcome_reason=why[:200], outcome_on=on
    )
    back = LedgerEntry.objects.filter(
        batch=batch, participation_id=line.participation_id, state__in=(E.EXPORTED, E.PAID)
    ).workflow_update(state=E.APPROVED, batch=None, paid_reference="", paid_at=None)
    label = "was returned by the bank" if state == L.RETURNED else "did not go through"
    record(
        action=f"compensation.line.{state}",
        obj=line,
        binds=PayoutLine.objects.get(pk=line.pk),  # the line as it is now, taken out
        actor=actor,
        programme=line.participation.programme,
        subject=line.participation.user,
        data={
            "batch": batch.pk,
            "amount": str(line.amount),
            "currency": line.currency,
            "entries": back,
            "was": line.state,
            "reason": why,
            "on": on,
        },
    )
    notify(
        user=line.participation.user,
        subject=f"Your payment of {line.amount} {line.currency} {label}",
        body=f"The payment of {line.amount} {line.currency} {label} on {on:%Y-%m-%d} "
        f"({why}). It will be paid again in the next payout; check that your payout details "
        "are right.",
        dedupe_key=f"compensation.{state}:{line.pk}",
        url=reverse("compensation:payout_details"),
        programme=line.participation.programme,
    )


def _apply(*, actor, batch: PayoutBatch, paid: dict, taken_out: dict, how: str) -> PayoutBatch:
    """paid: {line id: (reference, date)}; taken_out: {line id: (state, why, date)}. Payments
    are applied first (a statement may book a payment and its return)."""
    ids = set(paid) | set(taken_out)
    lines = {
        line.pk: line
        for line in batch.lines.filter(pk__in=ids).select_related("participation__user")
    }
    for line_id, (reference, paid_on) in sorted(paid.items()):
        _settle_line(
            actor=actor, batch=batch, line=lines[line_id], reference=reference, paid_on=paid_on
        )
        lines[line_id].state = L.PAID
    for line_id, (state, why, on) in sorted(taken_out.items()):
        _take_out_line(actor=actor, batch=batch, line=lines[line_id], state=state, why=why, on=on)
    return _settle_if_done(actor=actor, batch=batch, how=how)


def _settle_if_done(*, actor, batch: PayoutBatch, how: str) -> PayoutBatch:
    """A batch is paid once every line is paid or taken out; until then it waits."""
    if batch.status == PayoutBatch.Status.PAID or batch.lines.filter(state=L.SENT).exists():
        return batch
    settled = list(batch.lines.filter(state=L.PAID).values_list("paid_reference", "paid_at"))
    references = {ref for ref, _ in settled}
    batch.status = PayoutBatch.Status.PAID
    batch.paid_reference = references.pop() if len(references) == 1 else "(per line)"
    batch.paid_at = max((d for _, d in settled), default=timezone.localdate())
    batch.save(update_fields=["status", "paid_reference", "paid_at"])
    record(
        action="compensation.batch.paid",
        obj=batch,
        actor=actor,
        data={
            "lines": len(settled),
            "taken_out": batch.lines.filter(state__in=PayoutLine.TAKEN_OUT).count(),
            "how": how,
            "total": str(batch.total),
        },
    )
    return batch


def _lock_batch(*, actor, batch: PayoutBatch, settled_ok: bool = False) -> PayoutBatch:
    """The batch, locked, once the person may settle it: finance of every programme, and not
    one of its payees. A settled batch takes only what the bank sends back (`settled_ok`)."""
    batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
    policy.require_in_every(actor, "payouts", batch.programmes.all())
    policy.require_not_paid_by(actor, batch.lines.values_list("participation__user_id", flat=True))
    if batch.status == PayoutBatch.Status.PAID and not settled_ok:
        raise DomainError(
            f"Batch {batch.pk} is already settled (paid on {batch.paid_at:%Y-%m-%d}, "
            f"reference {batch.paid_reference}); nothing was changed.",
            code="settled",
        )
    if batch.status not in (PayoutBatch.Status.READY, PayoutBatch.Status.PAID):
        raise DomainError(
            f"Batch {batch.pk} is {batch.get_status_display().lower()}; "
            "only a batch that is ready can be marked paid."
        )
    return batch


def _lock_ready_batch(*, actor, batch: PayoutBatch) -> PayoutBatch:
    return _lock_batch(actor=actor, batch=batch)


@transaction.atomic
def batch_mark_paid(*, actor, batch: PayoutBatch, reference: str, paid_on: date) -> PayoutBatch:
    """Finance paid the batch by hand: every line still sent gets the same reference and
    date. A line the provider or bank reported as failed or returned is already out of the
    batch; it is never covered."""
    reference = (reference or "").strip()
    if not reference:
        raise DomainError("Give the payment reference.", field="reference")
    if paid_on is None:
        raise DomainError("Give the payment date.", field="paid_on")
    if paid_on > timezone.localdate():
        raise DomainError("The payment date is in the future.", field="paid_on")
    batch = _lock_ready_batch(actor=actor, batch=batch)
    if paid_on < batch.created_at.date():
        raise DomainError(
            f"The payment date is before batch {batch.pk} was made ({batch.created_at:%Y-%m-%d}).",
            field="paid_on",
        )
    unpaid = batch.lines.filter(state=L.SENT).values_list("pk", flat=True)
    paid = {pk: (reference[:120], paid_on) for pk in unpaid}
    return _apply(actor=actor, batch=batch, paid=paid, taken_out={}, how="marked")


@dataclass
class Mismatch:
    row: int | str | None  # where in the file: a row number, "line 12" of a statement, or None
    reference: str
    problem: str
    # What the file said, kept so that an unmatched bank line can be matched by hand.
    amount: str = ""
    currency: str = ""
    booked_on: str = ""
    bank_reference: str = ""
    matched_line: int | None = None

    def as_json(self) -> dict:
        return {
            k: (v if v is None or isinstance(v, int) else str(v)) for k, v in vars(self).items()
        }


class ReconciliationFailed(DomainError):
    """The provider's file does not match the batch; nothing was applied."""

    def __init__(self, mismatches: list[Mismatch], *, what: str = "payment file"):
        super().__init__(
            f"{len(mismatches)} problem(s) in the {what}; nothing was marked paid.",
            code="mismatch",
        )
        self.mismatches = mismatches
        self.what = what


def _day_problem(day: date, batch: PayoutBatch) -> str | None:
    """Why a date in a file cannot be the bank's (after today, or before the batch existed)."""
    if day > timezone.localdate():
        return f"dated {day.isoformat()}, after today: no bank has booked it yet"
    made = timezone.localdate(batch.created_at)
    if day < made:
        # isoformat, not strftime: year 1 is written 0001, as the file wrote it.
        return f"dated {day.isoformat()}, before batch {batch.pk} was made ({made.isoformat()})"
    return None


def _amount_problem(amount: Decimal | None) -> str | None:
    if amount is None:
        return "the amount is not a number"
    if abs(amount) > MAX_AMOUNT:
        return "the amount is too large"
    if amount != amount.quantize(CENT):
        return f"the amount {amount} has more than cents"
    return None


def _keep_import(*, actor, batch, data: bytes, what: str, applied: bool, problems, **counts):
    """Keep an uploaded file's hash, who, when and what it did, with its problem table."""
    return BankFileImport.objects.create(
        batch=batch,
        what=what[:80],
        sha256=hashlib.sha256(data).hexdigest(),
        imported_by=actor,
        applied=applied,
        problems=[m.as_json() for m in problems],
        **counts,
    )


def _kept(run, *, actor, batch: PayoutBatch, data: bytes):
    """Run an import; a file refused for its problems is kept too, with them, on the batch.
    The problems are kept in English (a line's state named by its English label), whatever
    the language of the person uploading."""
    try:
        with translation.override("en"):
            return run(actor=actor, batch=batch, data=data)
    except ReconciliationFailed as exc:
        with transaction.atomic():
            _keep_import(
                actor=actor,
                batch=batch,
                data=data,
                what=exc.what,
                applied=False,
                problems=exc.mismatches,
            )
        raise


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


def batch_reconcile(*, actor, batch: PayoutBatch, data: bytes) -> PayoutBatch:
    """Apply a payment provider's file: all lines paid, or nothing and a report line by line.
    The file is kept on the batch either way."""
    return _kept(_reconcile, actor=actor, batch=batch, data=data)


def _csv_row_problem(row: dict, line: PayoutLine, batch: PayoutBatch) -> tuple[str | None, date]:
    """(what is wrong with a provider CSV row that names `line`, its date)."""
    try:
        amount = checked_amount(row.get("amount", ""))
    except DomainError as exc:
        return f"“{row.get('amount')}” is not an amount ({exc.message})", None
    if amount != line.amount:
        return f"amount differs: file {amount}, batch {line.amount} {line.currency}", None
    try:
        paid_on = date.fromisoformat(row.get("date", ""))
    except ValueError:
        return "date is not YYYY-MM-DD", None
    return _day_problem(paid_on, batch), paid_on


@transaction.atomic
def _reconcile(*, actor, batch: PayoutBatch, data: bytes) -> PayoutBatch:
    batch = _lock_ready_batch(actor=actor, batch=batch)
    rows = parse_provider_csv(data)
    lines = list(batch.lines.filter(state=L.SENT))
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
        problem, paid_on = _csv_row_problem(row, line, batch)
        if problem:
            problems.append(Mismatch(row["row"], reference, problem))
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
    batch = _apply(actor=actor, batch=batch, paid=paid, taken_out={}, how="reconciled")
    _keep_import(
        actor=actor,
        batch=batch,
        data=data,
        what="payment file",
        applied=True,
        problems=[],
        paid=len(paid),
    )
    return batch


# --- Bank statements (camt.053), notifications (camt.054), status reports (pain.002) ---------


@dataclass
class StatementImport:
    """What a bank statement did to a batch."""

    paid: int = 0
    taken_out: int = 0
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
    if batch.method == PayoutBatch.Method.SEPA and statement.names_account:
        ours = settings.PAYOUT_DEBTOR_IBAN.replace(" ", "").upper()
        if statement.account_iban != ours:
            raise DomainError(
                f"This statement is for account {statement.account_iban or '(none given)'}, "
                f"not the payout account {ours}; nothing was applied.",
                field="file",
            )
    return statement, what


# The provider's words for money that came back after it had been paid.
RETURN_WORDS = ("RETURNED", "REFUNDED", "REVERSED")


@dataclass
class _Outcomes:
    paid: dict = field(default_factory=dict)  # {line id: (reference, booked on)}
    taken_out: dict = field(default_factory=dict)  # {line id: (state, why, on)}
    invalid: list = field(default_factory=list)  # what makes the whole file unusable


def _file_problem(tx, batch: PayoutBatch) -> str | None:
    """What no bank could mean: a non-finite or over-precise amount, an impossible date."""
    checked = tx.amount is not None or (tx.booked and not tx.refused)
    problem = _amount_problem(tx.amount) if checked else None
    if problem is None and tx.booked_on is not None:
        problem = _day_problem(tx.booked_on, batch)
    return problem


def _refusal_outcome(tx, line: PayoutLine, out: _Outcomes) -> str | None:
    """A payment the provider refused: the line fails (or, once paid, is returned)."""
    on = tx.booked_on or timezone.localdate()
    if line.pk in out.taken_out:
        return "duplicate: this line is reported twice"
    if line.state == L.SENT:
        out.taken_out[line.pk] = (L.FAILED, tx.refused, on)
    elif line.state == L.PAID and tx.refused.upper() in RETURN_WORDS:
        out.taken_out[line.pk] = (L.RETURNED, tx.refused, on)
    else:
        return f"{tx.refused}, but the line is {line.get_state_display().lower()}"
    return None


def _return_outcome(tx, line: PayoutLine, out: _Outcomes) -> str | None:
    """A credit of the batch's reference: the bank sent the payment back."""
    if not tx.booked:
        return "a return not booked yet; upload the statement again once it is"
    if tx.currency != line.currency or tx.amount != line.amount:
        return (
            f"a return of {tx.amount} {tx.currency}, but the line is {line.amount} {line.currency}"
        )
    if line.pk in out.taken_out:
        return "duplicate: this line is returned twice"
    if line.state not in (L.SENT, L.PAID) and line.pk not in out.paid:
        return f"a return, but the line is already {line.get_state_display().lower()}"
    why = (
        f"returned by the bank ({tx.return_reason})" if tx.return_reason else "returned by the bank"
    )
    out.taken_out[line.pk] = (L.RETURNED, why, tx.booked_on or timezone.localdate())
    return None


def _payment_outcome(tx, line: PayoutLine, out: _Outcomes) -> str | None:
    if not tx.booked:
        return "not booked yet; upload the statement again once it is"
    if line.pk in out.paid:
        return "duplicate: this line is paid twice in the statement"
    if line.state == L.PAID:
        return f"already paid on {line.paid_at:%Y-%m-%d}; nothing to do"
    if line.state != L.SENT:
        return f"the line was {line.get_state_display().lower()}; it is out of this batch"
    if tx.currency != line.currency or tx.amount != line.amount:
        return (
            f"amount differs: statement {tx.amount} {tx.currency}, "
            f"batch {line.amount} {line.currency}"
        )
    if tx.booked_on is None:
        return "no booking date"
    out.paid[line.pk] = ((tx.bank_reference or tx.end_to_end_id)[:120], tx.booked_on)
    return None


def _statement_outcomes(statement, lines: dict, batch, report: StatementImport) -> _Outcomes:
    """What each transaction of the statement that names a line of the batch does to it:
    pays it, fails it, returns it, or is a problem in `report`. Transactions that are not
    the batch's are counted as ignored."""
    out = _Outcomes()
    for tx in statement.transactions:
        ref = tx.end_to_end_id
        if not ref.startswith("TT-"):
            report.ignored += 1
            continue
        line = lines.get(ref)
        where = f"line {tx.line}"
        seen = Mismatch(
            where,
            ref,
            "",
            amount=str(tx.amount) if tx.amount is not None else "",
            currency=tx.currency,
            booked_on=tx.booked_on.isoformat() if tx.booked_on else "",
            bank_reference=tx.bank_reference,
        )
        if invalid := _file_problem(tx, batch):
            seen.problem = invalid
            out.invalid.append(seen)
            continue
        if line is None:
            problem = "no line of this batch has this reference"
        elif tx.refused:
            problem = _refusal_outcome(tx, line, out)
        elif not tx.debit:
            problem = _return_outcome(tx, line, out)
        else:
            problem = _payment_outcome(tx, line, out)
        if problem:
            seen.problem = problem
            report.problems.append(seen)
    return out


def batch_import_statement(*, actor, batch: PayoutBatch, data: bytes) -> StatementImport:
    """Settle a batch from what the bank or provider says happened: for a SEPA batch the
    payout account's camt.053 statement or camt.054 debit notification, or the bank's
    pain.002 status report; PayPal's Payouts result file for a PayPal batch; Wise's
    statement (CSV) for a Wise batch.

    Each payment whose end-to-end reference is a line of this batch, with the line's amount
    and currency, pays that line (and its entries). A payment the provider or bank refused
    fails its line; a credit of the line's amount (a return, even after the batch was
    settled) returns it: both are taken out of the batch, their entries wait for the next
    one, the payee is told. Transactions that are not this batch's are ignored and counted;
    anything else is reported by its line in the file and changes nothing. A file with an
    amount or date no bank could mean is refused whole. When every line is paid or taken out
    the batch is settled. Every file is kept on the batch with what it did.
    """
    return _kept(_import_statement, actor=actor, batch=batch, data=data)


@transaction.atomic
def _import_statement(*, actor, batch: PayoutBatch, data: bytes) -> StatementImport:
    batch = _lock_batch(actor=actor, batch=batch, settled_ok=True)
    statement, what = _read_statement(batch, data)
    lines = {line.end_to_end_id: line for line in batch.lines.all()}
    report = StatementImport()
    out = _statement_outcomes(statement, lines, batch, report)
    if out.invalid:
        raise ReconciliationFailed(out.invalid + report.problems, what=what)
    if not out.paid and not out.taken_out:
        if report.problems:
            raise ReconciliationFailed(report.problems, what=what)
        raise DomainError(
            f"No transaction in this {what} is a payment of batch {batch.pk}; nothing was applied.",
            field="file",
        )
    if out.paid:
        for line in lines.values():
            if line.amount == 0 and line.state == L.SENT:
                out.paid[line.pk] = ("nets to zero", max(d for _, d in out.paid.values()))
    _apply(actor=actor, batch=batch, paid=out.paid, taken_out=out.taken_out, how=what)
    report.paid = len(out.paid)
    report.taken_out = len(out.taken_out)
    report.remaining = batch.lines.filter(state=L.SENT).count()
    _keep_import(
        actor=actor,
        batch=batch,
        data=data,
        what=what,
        applied=True,
        problems=report.problems,
        paid=report.paid,
        taken_out=report.taken_out,
        ignored=report.ignored,
    )
    record(
        action="compensation.batch.statement_imported",
        obj=batch,
        actor=actor,
        data={
            "file": what,
            "account": statement.account_iban,
            "paid": report.paid,
            "taken_out": report.taken_out,
            "remaining": report.remaining,
            "ignored": report.ignored,
            "problems": len(report.problems),
        },
    )
    return report


@transaction.atomic
def import_match(*, actor, bank_import: BankFileImport, row: int, line_key: str) -> PayoutLine:
    """Match a bank line that settled nothing (a problem row of an applied import, with its
    amount and booking date) to a line of the batch by hand: by someone other than the
    person who built the batch, for the line's exact amount and currency, audited."""
    batch = _lock_ready_batch(actor=actor, batch=bank_import.batch)
    if batch.created_by_id == actor.pk:
        raise NotAllowed(
            f"You built batch {batch.pk}; someone else in finance matches its bank lines by hand."
        )
    bank_import = BankFileImport.objects.select_for_update().get(pk=bank_import.pk)
    problems = list(bank_import.problems)
    if not bank_import.applied or not 0 <= row < len(problems):
        raise DomainError("There is no such bank line to match.")
    seen = problems[row]
    if seen.get("matched_line"):
        raise DomainError(f"This bank line is already matched to line {seen['matched_line']}.")
    line = batch.lines.filter(state=L.SENT).select_related("participation__user")
    line = next((x for x in line if x.line_key == (line_key or "").strip()), None)
    if line is None:
        raise DomainError(
            f"No unsettled line of batch {batch.pk} has the key “{line_key}”.", field="line_key"
        )
    amount = bankfiles.parse_amount(seen.get("amount", ""))
    if amount != line.amount or seen.get("currency") != line.currency:
        raise DomainError(
            f"The bank line is {seen.get('amount')} {seen.get('currency')}; line {line.line_key} "
            f"is {line.amount} {line.currency}. Only the exact amount is matched.",
            field="line_key",
        )
    booked_on = date.fromisoformat(seen["booked_on"])
    reference = (seen.get("bank_reference") or seen.get("reference") or "by hand")[:120]
    _apply(
        actor=actor,
        batch=batch,
        paid={line.pk: (reference, booked_on)},
        taken_out={},
        how="matched by hand",
    )
    seen["matched_line"] = line.pk
    bank_import.problems = problems
    bank_import.save(update_fields=["problems"])
    record(
        action="compensation.line.matched_by_hand",
        obj=line,
        actor=actor,
        programme=line.participation.programme,
        subject=line.participation.user,
        data={
            "batch": batch.pk,
            "import": bank_import.pk,
            "sha256": bank_import.sha256,
            "file_line": seen.get("row"),
            "bank_reference": reference,
            "amount": str(line.amount),
        },
    )
    return line
