"""Approving pay: one entry, a pair (an entry and its reversal, together), or many at once.

Above a programme's threshold two different people approve (the two-person limit applies
to what one payee receives in a batch period); nobody approves an entry they created or
accrued (the policy's maker-checker rule).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from audit.services import record
from core.errors import DomainError
from programs import policy
from programs.models import Programme

from ..models import LedgerEntry, cents, money_sum
from .ledger import E
from .rates import convert


def approval_period(day: date) -> tuple[date, date]:
    """The batch period an entry counts in for the two-person limit: its calendar month."""
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)


def payee_period_total(entry: LedgerEntry, programme: Programme | None = None) -> Decimal:
    """What this entry's payee receives in its programme and batch period, in whatever
    currency, converted into the programme's currency at the rates finance recorded (the
    rate valid on each entry's day): every entry that is not reversed (reversals and what
    they reverse net to zero), this one included. A missing rate refuses."""
    programme = programme or entry.programme
    start, end = approval_period(entry.earned_on)
    rows = (
        LedgerEntry.objects.filter(
            participation_id=entry.participation_id,
            earned_on__gte=start,
            earned_on__lte=end,
            amount__gt=0,
            reversals__isnull=True,
        )
        .order_by()
        .values("currency", "earned_on")
        .annotate(t=money_sum())
    )
    total = Decimal("0.00")
    for row in rows:
        total += convert(cents(row["t"]), row["currency"], programme.currency, row["earned_on"])
    return total


def needs_two_approvers(entry: LedgerEntry) -> bool:
    """Above the programme's threshold two different people approve. The threshold applies
    to what one payee receives in a batch period, in the programme's currency whatever the
    currencies of the entries, so splitting an amount into entries, or into currencies,
    below it changes nothing."""
    programme = entry.programme
    threshold = programme.approval_threshold
    if threshold is None:
        return False
    if entry.reverses_id or entry.amount <= 0:
        return abs(convert(entry.amount, entry.currency, programme.currency, entry.earned_on)) > (
            threshold
        )
    return payee_period_total(entry, programme) > threshold


def _partner(entry: LedgerEntry) -> LedgerEntry | None:
    """The entry's reversal, or the entry a reversal reverses, while both are still accrued
    (they are approved together); None otherwise."""
    if entry.reverses_id:
        partner = LedgerEntry.objects.select_for_update().filter(pk=entry.reverses_id).first()
    else:
        partner = LedgerEntry.objects.select_for_update().filter(reverses=entry).first()
    if partner is None or partner.state != E.ACCRUED:
        return None
    return partner


@transaction.atomic
def entry_approve(*, actor, entry: LedgerEntry) -> LedgerEntry:
    """Approve an accrued entry. Above the programme's threshold (per payee and period) two
    different people must; nobody approves an entry they created or accrued. An entry and
    its reversal are approved together, in one step, and net to zero."""
    entry = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
    programme = Programme.objects.get(pk=entry.programme_id)
    entry.programme = programme
    policy.require(actor, "approve", entry)
    # Only an accrued entry is approved here: exported and paid entries go back to approved
    # only when the bank fails or returns their payment (reconciliation), never by approval.
    if entry.state != E.ACCRUED:
        raise DomainError(f"Entry {entry.pk} is already {entry.get_state_display().lower()}.")
    partner = _partner(entry)
    if partner is not None:
        partner.programme = programme
        policy.require(actor, "approve", partner)
        return _approve_pair(actor=actor, entry=entry, partner=partner)
    now = timezone.now()
    two = needs_two_approvers(entry)
    if two and entry.approved_by_id is None:
        LedgerEntry.objects.filter(pk=entry.pk).workflow_update(approved_by=actor, approved_at=now)
        action, step = "compensation.entry.first_approval", 1
    elif two:
        if entry.approved_by_id == actor.pk:
            raise DomainError(
                f"Entry {entry.pk} brings what this payee receives this month above "
                f"{programme.approval_threshold} {programme.currency}: a second, different "
                "person must approve it. You gave the first approval."
            )
        LedgerEntry.objects.filter(pk=entry.pk).workflow_update(
            second_approver=actor, second_approved_at=now, state=E.APPROVED
        )
        action, step = "compensation.entry.approved", 2
    else:
        LedgerEntry.objects.filter(pk=entry.pk).workflow_update(
            approved_by=actor, approved_at=now, state=E.APPROVED
        )
        action, step = "compensation.entry.approved", 1
    record(
        action=action,
        obj=entry,
        actor=actor,
        programme=programme,
        subject=entry.participation.user,
        data={"amount": str(entry.amount), "currency": entry.currency, "approval": step},
    )
    entry.refresh_from_db()
    return entry


def _approve_pair(*, actor, entry: LedgerEntry, partner: LedgerEntry) -> LedgerEntry:
    """An entry and its reversal, both accrued: approved at once (they net to zero)."""
    now = timezone.now()
    for row in (entry, partner):
        LedgerEntry.objects.filter(pk=row.pk).workflow_update(
            approved_by=actor, approved_at=now, state=E.APPROVED
        )
        record(
            action="compensation.entry.approved",
            obj=row,
            actor=actor,
            programme=entry.programme,
            subject=entry.participation.user,
            data={
                "amount": str(row.amount),
                "currency": row.currency,
                "approval": 1,
                "with": (partner if row is entry else entry).pk,
            },
        )
    entry.refresh_from_db()
    return entry


@dataclass
class BulkApproval:
    approved: int = 0
    first_approvals: int = 0
    refused: list = field(default_factory=list)  # [(entry id, message)]


MAX_BULK = 500


@transaction.atomic
def entries_approve(*, actor, entry_ids) -> BulkApproval:
    """Approve many entries; each one that cannot be approved is reported with why."""
    policy.require_two_factor(actor)
    ids = sorted({int(i) for i in entry_ids})
    if not ids:
        raise DomainError("Choose at least one entry to approve.")
    if len(ids) > MAX_BULK:
        raise DomainError(f"Approve at most {MAX_BULK} entries at once; narrow the filter.")
    out = BulkApproval()
    # Every entry the person may see; each one they may not approve is reported with why.
    entries = {e.pk: e for e in LedgerEntry.objects.restrict(actor).filter(pk__in=ids)}
    for pk in ids:
        entry = entries.get(pk)
        if entry is None:
            out.refused.append((pk, "No such entry."))
            continue
        try:
            with transaction.atomic():
                done = entry_approve(actor=actor, entry=entry)
        except DomainError as exc:
            out.refused.append((pk, exc.message))
            continue
        if done.state == E.APPROVED:
            out.approved += 1
        else:
            out.first_approvals += 1
    return out
