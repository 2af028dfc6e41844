"""Every change to the ledger and the payout batches.

Accruals turn the terms into ledger entries and are idempotent: each entry has
an `idempotency_key` derived from what it pays for, so running an accrual twice
accrues once. Approvals, exports and payments move entries' workflow columns
forward; money is never edited, a correction is a reversal entry.
"""

import csv
import hashlib
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audit.services import record
from core import currencies
from core.csvsafe import safe_cell
from core.encryption import decrypt_json, encrypt_bytes, encrypt_json
from core.errors import DomainError
from core.services import enqueue_after_commit, notify
from participants.models import Participation
from programs import policy, signals
from programs.models import Programme, TermsVersion
from programs.selectors import terms_in_force_on

from . import bankfiles
from .models import (
    CENT,
    LedgerEntry,
    PayoutBatch,
    PayoutDetails,
    PayoutLine,
    TaxStatus,
    cents,
    money_sum,
)

MAX_AMOUNT = Decimal("9999999999.99")
# Batches with more entries than this are built by a background task.
BACKGROUND_ENTRIES = 500
CHUNK = 500
BATCH_COLUMNS = [
    "batch id",
    "payee id",
    "name",
    "email",
    "payout reference",
    "amount",
    "currency",
    "period",
    "number of entries",
]
E = LedgerEntry.State


def _money(value, *, field_name: str = "amount") -> Decimal:
    """A Decimal with cents, or a DomainError a person understands."""
    if isinstance(value, float):
        raise DomainError("Amounts are exact decimals, never floats.", field=field_name)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(f"“{value}” is not an amount.", field=field_name) from None
    if not amount.is_finite():
        raise DomainError(f"“{value}” is not an amount.", field=field_name)
    if amount != amount.quantize(CENT):
        raise DomainError("Amounts have at most two decimals (cents).", field=field_name)
    if abs(amount) > MAX_AMOUNT:
        raise DomainError("That amount is too large.", field=field_name)
    return amount.quantize(CENT)


def _currency(value: str) -> str:
    code = currencies.normalise(value)
    if not currencies.is_currency(code):
        raise DomainError(currencies.MESSAGE.format(code=code), field="currency")
    return code


def _accrue(
    *,
    participation: Participation,
    kind: str,
    amount: Decimal,
    currency: str,
    source_type: str,
    source_id: str,
    description: str,
    earned_on: date,
    idempotency_key: str,
    terms: TermsVersion | None = None,
    actor=None,
    reverses: LedgerEntry | None = None,
) -> tuple[LedgerEntry, bool]:
    """Write one entry unless its idempotency key is already in the ledger."""
    existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(
                participation=participation,
                programme_id=participation.programme_id,
                kind=kind,
                amount=amount,
                currency=currency,
                source_type=source_type,
                source_id=source_id,
                description=description[:300],
                earned_on=earned_on,
                idempotency_key=idempotency_key,
                terms_version=terms,
                created_by=actor,
                reverses=reverses,
            )
    except IntegrityError:
        # A concurrent run wrote the same key first.
        existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing, False
    record(
        action="compensation.entry.accrued",
        obj=entry,
        actor=actor,
        programme=participation.programme,
        subject=participation.user,
        data={
            "kind": kind,
            "amount": str(amount),
            "currency": currency,
            "source": f"{source_type}:{source_id}",
            "terms_version": terms.number if terms else None,
            "reverses": reverses.pk if reverses else None,
        },
    )
    return entry, True


# --- Accruals from the terms -----------------------------------------------------------


@dataclass
class AccrualResult:
    """What one accrual run did: the ids of the entries written, and items that earn nothing
    (with why)."""

    created: list = field(default_factory=list)
    skipped: dict = field(default_factory=lambda: defaultdict(int))

    @property
    def count(self) -> int:
        return len(self.created)


# The hourly accrual reads and writes this many time entries per statement.
HOURLY_CHUNK = 5000


@transaction.atomic
def accrue_hourly(*, programme: Programme | None = None, time_entry_ids=None) -> AccrualResult:
    """Confirmed hours × the hourly rate of the terms in force on the day worked.

    Hours under unpaid (or any non-hourly) terms accrue nothing; they still count
    as hours on the statement and the public page.

    Set-based, a chunk of entries at a time: the entries not yet taken into account (an
    index holds only those, so a run with nothing new reads nothing), locked with `SKIP
    LOCKED` so two runs share the work; their ledger entries in one insert that skips a
    key already in the ledger; their audit events appended to the chain in order
    (`audit.services.record_many`); the entries marked as taken into account.
    """
    from audit.services import Entry, record_many
    from core.db import insert_rows, update_rows
    from labour.models import TimeEntry

    result = AccrualResult()
    todo = TimeEntry.objects.confirmed().filter(pay_checked_at__isnull=True)
    if programme is not None:
        todo = todo.filter(programme=programme)
    if time_entry_ids is not None:
        todo = todo.filter(pk__in=list(time_entry_ids))
    programmes: dict = {}
    terms_of: dict = {}
    versions: dict = {}
    fields = [
        "participation",
        "programme",
        "kind",
        "amount",
        "currency",
        "source_type",
        "source_id",
        "description",
        "earned_on",
        "idempotency_key",
        "terms_version",
    ]
    after = 0
    while True:
        rows = list(
            todo.filter(pk__gt=after)
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list(
                "pk",
                "participation_id",
                "programme_id",
                "date",
                "minutes",
                "terms_version_id",
                "participation__user_id",
            )[:HOURLY_CHUNK]
        )
        if not rows:
            break
        after = rows[-1][0]
        need = {r[2] for r in rows} - set(programmes)
        programmes.update(Programme.objects.in_bulk(list(need)))
        need = {r[5] for r in rows} - set(versions)
        versions.update(TermsVersion.objects.in_bulk(list(need)))
        entries, paying = [], []
        for pk, participation_id, programme_id, day, minutes, logged_under, user_id in rows:
            key = (programme_id, day)
            if key not in terms_of:
                terms_of[key] = terms_in_force_on(programmes[programme_id], day)
            # A day before the first published version (work logged late) falls back to the
            # terms the hours were logged under, which the participant had accepted.
            terms = terms_of[key] or versions.get(logged_under)
            if (
                terms is None
                or terms.pay_model != TermsVersion.PayModel.HOURLY
                or not terms.hourly_rate
            ):
                result.skipped["terms do not pay by the hour"] += 1
                continue
            amount = (Decimal(minutes) / Decimal(60) * terms.hourly_rate).quantize(
                CENT, rounding=ROUND_HALF_UP
            )
            hours = (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"))
            paying.append((user_id, terms))
            entries.append(
                (
                    participation_id,
                    programme_id,
                    LedgerEntry.Kind.HOURLY,
                    amount,
                    terms.currency,
                    "feedback.timeentry",
                    str(pk),
                    f"{hours} h on {day:%Y-%m-%d} at {terms.hourly_rate} "
                    f"{terms.currency}/h (terms v{terms.number})"[:300],
                    day,
                    f"hourly:timeentry:{pk}",
                    terms.pk,
                )
            )
        ids = insert_rows(LedgerEntry, fields, entries, skip_existing="idempotency_key")
        audit = []
        for row, (user_id, terms), pk in zip(entries, paying, ids, strict=True):
            if pk is None:
                result.skipped["already accrued"] += 1
                continue
            result.created.append(pk)
            audit.append(
                Entry(
                    action="compensation.entry.accrued",
                    object_type=LedgerEntry._meta.label_lower,
                    object_id=str(pk),
                    programme_id=row[1],
                    subject_id=user_id,
                    data={
                        "kind": row[2],
                        "amount": str(row[3]),
                        "currency": row[4],
                        "source": f"{row[5]}:{row[6]}",
                        "terms_version": terms.number,
                        "reverses": None,
                    },
                )
            )
        record_many(audit)
        update_rows(TimeEntry, [], [(r[0],) for r in rows], pay_checked_at=timezone.now())
    return result


@transaction.atomic
def accrue_bounties(*, programme: Programme | None = None, ticket_ids=None) -> AccrualResult:
    """Each accepted finding × the bounty for its severity in the terms it was filed under."""
    from feedback.selectors import accepted_findings

    result = AccrualResult()
    qs = accepted_findings(programme)
    if ticket_ids is not None:
        qs = qs.filter(pk__in=list(ticket_ids))
    done = set(
        LedgerEntry.objects.filter(source_type="feedback.ticket", kind=LedgerEntry.Kind.BOUNTY)
        .values_list("source_id", flat=True)
        .iterator(chunk_size=CHUNK)
    )
    for ticket in qs.order_by("pk").iterator(chunk_size=CHUNK):
        if str(ticket.pk) in done:
            result.skipped["already accrued"] += 1
            continue
        terms = ticket.terms_version
        amount = terms.bounty_for(ticket.severity) if ticket.severity else None
        if terms.pay_model != TermsVersion.PayModel.BOUNTY or not amount:
            result.skipped["terms pay no bounty for it"] += 1
            continue
        participation = Participation.objects.filter(
            user_id=ticket.reporter_id, programme_id=ticket.programme_id
        ).first()
        if participation is None:
            result.skipped["reporter is not a participant"] += 1
            continue
        accepted_on = timezone.localdate(ticket.accepted_at)
        entry, created = _accrue(
            participation=participation,
            kind=LedgerEntry.Kind.BOUNTY,
            amount=_money(amount),
            currency=terms.currency,
            source_type="feedback.ticket",
            source_id=str(ticket.pk),
            description=f"Accepted {ticket.get_severity_display().lower()} finding "
            f"#{ticket.pk} (terms v{terms.number})",
            earned_on=accepted_on,
            idempotency_key=f"bounty:ticket:{ticket.pk}",
            terms=terms,
        )
        if created:
            result.created.append(entry.pk)
    return result


def stipend_period(period: str, today: date) -> tuple[str, date, date]:
    """The last complete period before `today`: (label, first day, last day)."""
    if period == TermsVersion.StipendPeriod.WEEKLY:
        this_monday = today - timedelta(days=today.weekday())
        start = this_monday - timedelta(days=7)
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}", start, start + timedelta(days=6)
    first_of_month = today.replace(day=1)
    end = first_of_month - timedelta(days=1)
    start = end.replace(day=1)
    return f"{start:%Y-%m}", start, end


@transaction.atomic
def accrue_stipends(*, today: date | None = None, programme: Programme | None = None):
    """One stipend per active participant for the last complete period of stipend terms."""
    today = today or timezone.localdate()
    result = AccrualResult()
    programmes = Programme.objects.filter(
        terms__pay_model=TermsVersion.PayModel.STIPEND, terms__status=TermsVersion.Status.PUBLISHED
    ).distinct()
    if programme is not None:
        programmes = programmes.filter(pk=programme.pk)
    for prog in programmes:
        # Which period: the one the terms in force yesterday define.
        probe = terms_in_force_on(prog, today - timedelta(days=1))
        if probe is None or probe.pay_model != TermsVersion.PayModel.STIPEND:
            continue
        label, start, end = stipend_period(probe.stipend_period or "monthly", today)
        terms = terms_in_force_on(prog, end)
        if terms is None or terms.pay_model != TermsVersion.PayModel.STIPEND:
            continue
        if not terms.stipend_amount:
            result.skipped["no stipend amount"] += 1
            continue
        participations = Participation.objects.filter(
            programme=prog,
            status=Participation.Status.ACTIVE,
            joined_at__date__lte=end,
        ).select_related("user")
        for participation in participations.order_by("pk").iterator(chunk_size=CHUNK):
            entry, created = _accrue(
                participation=participation,
                kind=LedgerEntry.Kind.STIPEND,
                amount=_money(terms.stipend_amount),
                currency=terms.currency,
                source_type="period",
                source_id=label,
                description=f"Stipend for {terms.get_stipend_period_display()} {label} "
                f"(terms v{terms.number})",
                earned_on=end,
                idempotency_key=f"stipend:{participation.pk}:{label}",
                terms=terms,
            )
            if created:
                result.created.append(entry.pk)
    return result


def accrue_once(
    *,
    participation: Participation,
    kind: str,
    amount,
    currency: str,
    source_type: str,
    source_id: str,
    description: str,
    terms: TermsVersion | None,
    maker,
) -> tuple[LedgerEntry, bool]:
    """Accrue what another app's record earns (a promotional use, a competition prize),
    once per record: the key is the source, so a second accrual for the same record
    returns the first entry. `maker` is who caused it and may not approve it."""
    amount = _money(amount)
    if amount <= 0:
        raise DomainError("Only a positive amount accrues.", field="amount")
    entry, created = _accrue(
        participation=participation,
        kind=kind,
        amount=amount,
        currency=_currency(currency),
        source_type=source_type,
        source_id=source_id,
        description=description,
        earned_on=timezone.localdate(),
        idempotency_key=f"{source_type}:{source_id}"[:120],
        terms=terms,
        actor=maker,
    )
    if created:
        notify(
            user=participation.user,
            subject=f"{entry.description[:150]}: {amount} {entry.currency} accrued",
            body=f"{entry.description}\nIt will be paid once finance has approved and exported it.",
            dedupe_key=f"compensation.accrued:{entry.pk}",
            url=reverse("compensation:statement"),
            programme=participation.programme,
        )
    return entry, created


@transaction.atomic
def award_create(
    *,
    actor,
    participation: Participation,
    kind: str,
    amount,
    currency: str,
    reason: str,
    idempotency_key: str = "",
) -> LedgerEntry:
    """A prize or grant (or a manual adjustment) decided by a manager of the programme."""
    if kind not in LedgerEntry.MANUAL_KINDS:
        raise DomainError("Only prizes, grants and adjustments are created by hand.", field="kind")
    policy.require(actor, "award", participation)
    amount = _money(amount)
    if amount <= 0 and kind != LedgerEntry.Kind.ADJUSTMENT:
        raise DomainError("A prize or grant is a positive amount.", field="amount")
    if amount == 0:
        raise DomainError("An adjustment of zero changes nothing.", field="amount")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why: the participant reads it on their statement.", field="reason")
    terms = terms_in_force_on(participation.programme, timezone.localdate())
    key = f"manual:{idempotency_key or uuid.uuid4().hex}"[:120]
    label = LedgerEntry.Kind(kind).label
    entry, created = _accrue(
        participation=participation,
        kind=kind,
        amount=amount,
        currency=_currency(currency),
        source_type="manual",
        source_id="",
        description=f"{label}: {reason}",
        earned_on=timezone.localdate(),
        idempotency_key=key,
        terms=terms,
        actor=actor,
    )
    if created:
        notify(
            user=participation.user,
            subject=f"{label} of {amount} {entry.currency} in {participation.programme.name}",
            body=f"{entry.description}\nIt will be paid once finance has approved and exported it.",
            dedupe_key=f"compensation.award:{entry.pk}",
            url=reverse("compensation:statement"),
            programme=participation.programme,
        )
    return entry


@transaction.atomic
def entry_reverse(*, actor, entry: LedgerEntry, reason: str) -> LedgerEntry:
    """Correct an entry by a reversal: a new entry of the negated amount pointing at it."""
    entry = LedgerEntry.objects.select_for_update().select_related("programme").get(pk=entry.pk)
    policy.require(actor, "reverse", entry)
    if entry.kind == LedgerEntry.Kind.REVERSAL:
        raise DomainError("A reversal cannot itself be reversed; record a new entry instead.")
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise DomainError("This entry was already reversed.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the entry is reversed.", field="reason")
    reversal, _ = _accrue(
        participation=entry.participation,
        kind=LedgerEntry.Kind.REVERSAL,
        amount=-entry.amount,
        currency=entry.currency,
        source_type="compensation.ledgerentry",
        source_id=str(entry.pk),
        description=f"Reversal of entry {entry.pk}: {reason}",
        earned_on=timezone.localdate(),
        idempotency_key=f"reversal:{entry.pk}",
        terms=entry.terms_version,
        actor=actor,
        reverses=entry,
    )
    return reversal


# --- Approval ------------------------------------------------------------------------------


def approval_period(day: date) -> tuple[date, date]:
    """The batch period an entry counts in for the two-person limit: its calendar month."""
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)


def payee_period_total(entry: LedgerEntry) -> Decimal:
    """What this entry's payee receives in its programme, currency and batch period: every
    entry that is not reversed (reversals and what they reverse net to zero), this one included.
    """
    start, end = approval_period(entry.earned_on)
    rows = LedgerEntry.objects.filter(
        participation_id=entry.participation_id,
        currency=entry.currency,
        earned_on__gte=start,
        earned_on__lte=end,
        amount__gt=0,
        reversals__isnull=True,
    )
    return cents(rows.aggregate(t=money_sum())["t"])


def needs_two_approvers(entry: LedgerEntry) -> bool:
    """Above the programme's threshold two different people approve. The threshold applies
    to what one payee receives in a batch period, so splitting an amount into entries below
    it changes nothing."""
    threshold = entry.programme.approval_threshold
    if threshold is None or entry.reverses_id or entry.amount <= 0:
        return threshold is not None and abs(entry.amount) > threshold
    return payee_period_total(entry) > threshold


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
    if E.APPROVED not in LedgerEntry.TRANSITIONS[entry.state]:
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


# --- Export batches -----------------------------------------------------------------------


def batch_candidates(
    *,
    programmes,
    currency: str,
    period_start: date,
    period_end: date,
    method: str = PayoutBatch.Method.FILE,
    tax_gate: bool = True,
):
    """Approved, not yet exported entries of these programmes that a batch of the period
    takes (all currencies; the caller narrows to one).

    - The period's entries, and for the same payees whatever was held back before it (a
      negative balance carries forward to their next payout).
    - An entry whose reversal is not approved yet waits for it, and a reversal waits for
      its entry: the two are exported and settled together.
    - A payee whose entries come to less than zero is left out; the balance carries
      forward, shown on their statement. No batch has a negative line.
    - A SEPA, PayPal or Wise batch takes only the payees whose payout details name that
      method; the others wait for a batch of their method (or a CSV one).
    - In a programme that requires a tax status, a payee without a valid one of its kinds
      waits (`tax_gate=False` gives what the batch would take without that rule).
    """
    approved = LedgerEntry.objects.filter(
        programme__in=programmes, state=E.APPROVED, batch__isnull=True
    )
    if tax_gate:
        approved = _tax_gate(approved, programmes)
    if method != PayoutBatch.Method.FILE:
        kinds = [k for k, m in PayoutDetails.BATCH_METHOD.items() if m == method]
        approved = approved.filter(participation__user__payout_details__method__in=kinds)
    in_period = approved.filter(earned_on__gte=period_start, earned_on__lte=period_end)
    payees = in_period.values("participation_id")
    rows = approved.filter(earned_on__lte=period_end, participation_id__in=payees)
    rows = rows.exclude(reversals__state=E.ACCRUED).exclude(reverses__state=E.ACCRUED)
    negative = (
        rows.values("participation_id", "currency").annotate(net=money_sum()).filter(net__lt=0)
    )
    held = [(r["participation_id"], r["currency"]) for r in negative]
    for participation_id, held_currency in held:
        rows = rows.exclude(participation_id=participation_id, currency=held_currency)
    return rows


def _tax_gate(entries, programmes, *, on: date | None = None):
    """The entries without those of payees who still owe their programme a tax status."""
    from django.db.models import Q

    on = on or timezone.localdate()
    for programme in programmes:
        if not programme.tax_forms:
            continue
        cleared = TaxStatus.objects.filter(
            participation__programme=programme, kind__in=programme.tax_forms
        ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        entries = entries.exclude(
            Q(programme=programme) & ~Q(participation_id__in=cleared.values("participation_id"))
        )
    return entries


def batch_tax_waiting(**request) -> list[Participation]:
    """The payees a batch with these choices would pay but for a missing tax status."""
    without = batch_candidates(**request, tax_gate=False).values("participation_id")
    with_gate = batch_candidates(**request).values("participation_id")
    return list(
        Participation.objects.filter(pk__in=without)
        .exclude(pk__in=with_gate)
        .select_related("user", "programme")
        .order_by("programme__name", "user__email")
    )


MAX_TAX_DOCUMENT_BYTES = 5 * 1024 * 1024
TAX_DOCUMENT_TYPES = set(TaxStatus.EXTENSIONS)


@transaction.atomic
def tax_status_record(
    *,
    actor,
    participation: Participation,
    kind: str,
    valid_until: date | None = None,
    document=None,
) -> TaxStatus:
    """Finance records the tax status a payee gave the programme, with an optional copy of the
    form (checked by its content, stored encrypted). A later record replaces the earlier one;
    a record without a document keeps the document already held. Audited; the payee is told.
    """
    from django.core.exceptions import ValidationError

    from core.uploads import sha256_of, validate_upload

    participation = Participation.objects.select_related("programme", "user").get(
        pk=participation.pk
    )
    policy.require(actor, "record", TaxStatus(participation=participation))
    programme = participation.programme
    accepted = programme.tax_forms or Programme.TaxForm.values
    if kind not in accepted:
        names = ", ".join(str(Programme.TaxForm(k).label) for k in accepted)
        raise DomainError(f"{programme.name} accepts: {names}.", field="kind")
    if valid_until is not None and valid_until < timezone.localdate():
        raise DomainError(
            f"That status expired on {valid_until:%Y-%m-%d}; record one that is valid.",
            field="valid_until",
        )
    status = TaxStatus.objects.select_for_update().filter(participation=participation).first()
    created = status is None
    if created:
        status = TaxStatus(participation=participation)
    if document is not None:
        if document.size > MAX_TAX_DOCUMENT_BYTES:
            raise DomainError(
                f"The document is {document.size / 1_048_576:.1f} MB; the limit is 5 MB.",
                field="document",
            )
        try:
            mime = validate_upload(document, allowed=TAX_DOCUMENT_TYPES)
        except ValidationError as exc:
            raise DomainError(exc.messages[0], field="document") from None
        status.document_sha256 = sha256_of(document)
        document.seek(0)
        status.document_secret = encrypt_bytes(document.read())
        status.document_type = mime
    status.kind = kind
    status.valid_until = valid_until
    status.recorded_by = actor
    status.save()
    record(
        action="compensation.tax_status.recorded",
        obj=status,
        actor=actor,
        programme=programme,
        subject=participation.user,
        data={
            "kind": kind,
            "valid_until": valid_until,
            "document": bool(status.document_secret),
            "document_sha256": status.document_sha256,
            "new": created,
        },
    )
    valid = f", valid until {valid_until:%Y-%m-%d}" if valid_until else ""
    notify(
        user=participation.user,
        subject=f"Your tax status for {programme.name} is recorded",
        body=f"Finance recorded your {status.get_kind_display()}{valid}. Your approved pay "
        "goes into the next payout.",
        dedupe_key=f"compensation.tax_status:{status.pk}:{uuid.uuid4().hex}",
        url=reverse("compensation:statement"),
        programme=programme,
    )
    return status


def _require_finance_of(actor, programmes) -> None:
    """A batch is built and settled by a person who is finance of every one of its programmes."""
    for programme in programmes:
        policy.require(actor, "payouts", programme)


def _check_batch_request(*, actor, programmes, period_start, period_end):
    programmes = list(programmes)
    if not programmes:
        raise DomainError("Choose at least one programme.", field="programmes")
    _require_finance_of(actor, programmes)
    if period_start is None or period_end is None or period_start > period_end:
        raise DomainError("The period's start must be on or before its end.", field="period_end")
    return programmes


@transaction.atomic
def batch_create(
    *,
    actor,
    programmes,
    currency: str,
    period_start: date,
    period_end: date,
    method: str = PayoutBatch.Method.FILE,
    background: bool | None = None,
) -> PayoutBatch:
    """Lock every matching approved entry into a new batch, then build its file.

    Two batches created at the same moment never share an entry: the rows are
    locked (SELECT … FOR UPDATE) and claimed with UPDATE … WHERE batch_id IS NULL,
    so a concurrent batch waits and then finds them taken.
    """
    programmes = _check_batch_request(
        actor=actor, programmes=programmes, period_start=period_start, period_end=period_end
    )
    currency = _currency(currency)
    if method not in PayoutBatch.Method.values:
        raise DomainError(f"“{method}” is not a payout method.", field="method")
    bankfiles.check_method_currency(method, currency)
    if method == PayoutBatch.Method.SEPA and not settings.PAYOUT_DEBTOR_IBAN:
        raise DomainError(
            "SEPA files need the account money is paid from: set PAYOUT_DEBTOR_IBAN.",
            field="method",
        )
    batch = PayoutBatch.objects.create(
        method=method,
        currency=currency,
        period_start=period_start,
        period_end=period_end,
        created_by=actor,
    )
    batch.programmes.set(programmes)
    matching = batch_candidates(
        programmes=programmes,
        currency=currency,
        period_start=period_start,
        period_end=period_end,
        method=method,
    ).filter(currency=currency)
    ids = list(
        LedgerEntry.objects.filter(pk__in=matching.values("pk"))
        .select_for_update(skip_locked=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    claimed = LedgerEntry.objects.filter(
        pk__in=ids, batch__isnull=True, state=E.APPROVED
    ).workflow_update(batch=batch, state=E.EXPORTED)
    if not claimed:
        raise DomainError(
            "No approved entry waits for export in that period and currency.", code="empty"
        )
    total = cents(LedgerEntry.objects.filter(batch=batch).aggregate(t=money_sum())["t"])
    rows = LedgerEntry.objects.filter(batch=batch).values("participation").distinct().count()
    PayoutBatch.objects.filter(pk=batch.pk).update(
        entries_count=claimed, total=total, rows_total=rows
    )
    record(
        action="compensation.batch.created",
        obj=batch,
        actor=actor,
        data={
            "programmes": [p.slug for p in programmes],
            "currency": currency,
            "method": method,
            "period": f"{period_start}..{period_end}",
            "entries": claimed,
            "total": str(total),
        },
    )
    if background is None:
        background = claimed > BACKGROUND_ENTRIES
    if background:
        from .tasks import build_batch

        enqueue_after_commit(build_batch, batch.pk)
    else:
        batch_build(batch_id=batch.pk)
    batch.refresh_from_db()
    return batch


def _batch_files(batch: PayoutBatch) -> tuple[bytes, bytes]:
    """The CSV and XLSX of a batch, one row per payee, formula-looking text escaped."""
    from openpyxl import Workbook

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(BATCH_COLUMNS)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"Batch {batch.pk}")
    sheet.append(BATCH_COLUMNS)
    period = batch.period_label
    # Tuples, not model instances: a big batch has 100,000 lines.
    rows = batch.lines.order_by("participation_id").values_list(
        "participation_id",
        "name",
        "email",
        "payout_reference",
        "amount",
        "currency",
        "entries_count",
    )
    for payee, name, email, reference, amount, currency, entries in rows.iterator(
        chunk_size=5 * CHUNK
    ):
        cells = [
            batch.pk,
            payee,
            safe_cell(name),
            safe_cell(email),
            safe_cell(reference),
            amount,
            currency,
            period,
            entries,
        ]
        writer.writerow([f"{c:.2f}" if isinstance(c, Decimal) else c for c in cells])
        sheet.append(cells)
    xlsx = io.BytesIO()
    book.save(xlsx)
    return text.getvalue().encode("utf-8"), xlsx.getvalue()


def batch_build(*, batch_id: int) -> PayoutBatch:
    """Write the batch's payee lines and files (in the background for big batches).

    Lines are written by the database, `LINE_CHUNK` payees at a time (`write_lines`), each
    chunk committed with the progress (`rows_done`) so finance can watch it. Safe to run
    again: a batch that is no longer building is left alone, and a half-built one starts
    over.
    """
    with transaction.atomic():
        batch = PayoutBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != PayoutBatch.Status.BUILDING:
            return batch
        PayoutLine.objects.filter(batch=batch).delete()
        PayoutBatch.objects.filter(pk=batch_id).update(rows_done=0)
    try:
        write_lines(batch_id=batch_id, currency=batch.currency)
        with transaction.atomic():
            batch = PayoutBatch.objects.select_for_update().get(pk=batch_id)
            if batch.status != PayoutBatch.Status.BUILDING:
                return batch
            csv_bytes, xlsx_bytes = _batch_files(batch)
            stamp = uuid.uuid4().hex[:12]
            if batch.provider_variant:
                provider_bytes = _provider_file(batch)
                batch.provider_file.save(
                    f"batch-{batch.pk}-{stamp}.{batch.provider_variant}",
                    ContentFile(provider_bytes),
                    save=False,
                )
                batch.provider_sha256 = hashlib.sha256(provider_bytes).hexdigest()
            batch.csv_file.save(f"batch-{batch.pk}-{stamp}.csv", ContentFile(csv_bytes), save=False)
            batch.xlsx_file.save(
                f"batch-{batch.pk}-{stamp}.xlsx", ContentFile(xlsx_bytes), save=False
            )
            batch.csv_sha256 = hashlib.sha256(csv_bytes).hexdigest()
            batch.xlsx_sha256 = hashlib.sha256(xlsx_bytes).hexdigest()
            batch.rows_done = batch.rows_total = batch.lines.count()
            batch.status = PayoutBatch.Status.READY
            batch.error = ""
            batch.save(
                update_fields=[
                    "csv_file",
                    "xlsx_file",
                    "csv_sha256",
                    "xlsx_sha256",
                    "provider_file",
                    "provider_sha256",
                    "rows_done",
                    "rows_total",
                    "status",
                    "error",
                ]
            )
            record(
                action="compensation.batch.ready",
                obj=batch,
                data={
                    "lines": batch.rows_total,
                    "csv_sha256": batch.csv_sha256,
                    "total": str(batch.total),
                },
            )
            for programme in batch.programmes.all():
                signals.batch_exported.send(
                    PayoutBatch,
                    programme=programme,
                    payload=signals.BatchExported(
                        batch=batch.pk,
                        currency=batch.currency,
                        lines=batch.rows_total,
                        total=str(batch.total),
                        csv_sha256=batch.csv_sha256,
                    ),
                )
    except Exception as exc:
        # The entries stay in the batch (they were exported); finance sees the failure and
        # can build it again.
        PayoutBatch.objects.filter(pk=batch_id).update(
            status=PayoutBatch.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    return batch


@transaction.atomic
def batch_retry(*, actor, batch: PayoutBatch) -> PayoutBatch:
    """Build a failed batch again, in the background."""
    batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
    _require_finance_of(actor, batch.programmes.all())
    if PayoutBatch.Status.BUILDING not in PayoutBatch.TRANSITIONS[batch.status]:
        raise DomainError(f"Batch {batch.pk} is {batch.get_status_display().lower()}, not failed.")
    PayoutBatch.objects.filter(pk=batch.pk).update(status=PayoutBatch.Status.BUILDING, error="")
    record(action="compensation.batch.retried", obj=batch, actor=actor, data={})
    from .tasks import build_batch

    enqueue_after_commit(build_batch, batch.pk)
    batch.refresh_from_db()
    return batch


def _provider_file(batch: PayoutBatch) -> bytes:
    """The bank's or provider's file of a method batch, from the details copied on its lines."""
    lines = [
        (line, decrypt_json(line.details_secret))
        for line in batch.lines.order_by("participation_id")
    ]
    return bankfiles.WRITERS[batch.method](batch, lines)


# Payees per INSERT … SELECT of `write_lines`: each chunk commits and moves the progress bar.
LINE_CHUNK = 10_000


def _lines_sql() -> str:
    """One INSERT … SELECT writing the lines of a range of payees: their entries in the batch
    summed and counted, with the payee's name, email, payout reference and payout details as
    they are now (a batch keeps the details it was built with). Plain SQL that SQLite and
    PostgreSQL both run."""
    from django.contrib.auth import get_user_model

    user = get_user_model()._meta.db_table
    return f"""
        INSERT INTO {PayoutLine._meta.db_table}
            (batch_id, participation_id, name, email, payout_reference, amount, currency,
             entries_count, paid_reference, paid_at, details_secret, details_masked)
        SELECT %s, s.pid,
               SUBSTR(COALESCE(NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''),
                               u.username), 1, 300),
               u.email, p.payout_reference, ROUND(s.total, 2), %s, s.n, '', NULL,
               COALESCE(d.secret, ''), COALESCE(d.masked, '')
        FROM (SELECT participation_id AS pid, SUM(amount) AS total, COUNT(*) AS n
              FROM {LedgerEntry._meta.db_table}
              WHERE batch_id = %s AND participation_id BETWEEN %s AND %s
              GROUP BY participation_id) s
        JOIN {Participation._meta.db_table} p ON p.id = s.pid
        JOIN {user} u ON u.id = p.user_id
        LEFT JOIN {PayoutDetails._meta.db_table} d ON d.user_id = u.id
        ORDER BY s.pid
    """


def write_lines(*, batch_id: int, currency: str) -> int:
    """Every payee's line of a batch, written set-based: one query for the payees, then one
    INSERT … SELECT per `LINE_CHUNK` of them, each committed with the progress. No query and
    no Python object per line. Returns the number of lines."""
    from django.db import connection

    payees = list(
        LedgerEntry.objects.filter(batch_id=batch_id)
        .order_by("participation_id")
        .values_list("participation_id", flat=True)
        .distinct()
    )
    sql = _lines_sql()
    for start in range(0, len(payees), LINE_CHUNK):
        chunk = payees[start : start + LINE_CHUNK]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [batch_id, currency, batch_id, chunk[0], chunk[-1]])
            PayoutBatch.objects.filter(pk=batch_id).update(rows_done=start + len(chunk))
    return len(payees)


# --- Reconciliation -------------------------------------------------------------------------


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
    _require_finance_of(actor, batch.programmes.all())
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
            amount = _money(row.get("amount", ""))
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
    lines = {line.end_to_end_id: line for line in batch.lines.all()}
    report = StatementImport()
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


# --- Payout details ---------------------------------------------------------------------------


def _mask_iban(iban: str) -> str:
    return f"{iban[:4]} •••• {iban[-4:]}"


def _mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


@transaction.atomic
def payout_details_set(
    *,
    user,
    legal_name: str,
    country: str,
    method: str,
    iban: str = "",
    bic: str = "",
    email: str = "",
) -> PayoutDetails:
    """A person says how they want to be paid. Validated, stored encrypted, shown masked.

    Only the person themselves sets their details (`user`, the signed-in person; no one acts
    for someone else here, so nobody can redirect another person's pay). Batches already
    built keep the details they were built with. The change is an audit event (method,
    country and the masked account, never the account) and the person is notified, so a
    change they did not make does not go unnoticed.
    """
    import pycountry
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email
    from schwifty import BIC, IBAN
    from schwifty.exceptions import SchwiftyException

    if user is None or not user.is_authenticated:
        raise DomainError("Sign in to give your payout details.", code="not_allowed")
    legal_name = " ".join((legal_name or "").split())
    if not legal_name:
        raise DomainError(
            "Give your legal name, as your bank or provider knows it.", field="legal_name"
        )
    if len(legal_name) > 140:
        raise DomainError(
            "The legal name is too long (140 characters at most).", field="legal_name"
        )
    country = (country or "").strip().upper()
    if pycountry.countries.get(alpha_2=country) is None:
        raise DomainError(
            f"“{country}” is not a country code; use two letters such as DE, FR or US.",
            field="country",
        )
    if method not in PayoutDetails.Method.values:
        raise DomainError(f"“{method}” is not a payout method.", field="method")
    secret: dict = {"legal_name": legal_name}
    if method == PayoutDetails.Method.BANK:
        try:
            account = IBAN(iban or "")
        except SchwiftyException as exc:
            raise DomainError(f"That IBAN is not valid: {exc}.", field="iban") from None
        if not account.in_sepa_zone:
            raise DomainError(
                f"Accounts in {account.country_code} are outside the SEPA zone; choose Wise "
                "or PayPal to be paid there.",
                field="iban",
            )
        secret["iban"] = account.compact
        if (bic or "").strip():
            try:
                secret["bic"] = str(BIC(bic.strip()))
            except SchwiftyException as exc:
                raise DomainError(f"That BIC is not valid: {exc}.", field="bic") from None
        masked = _mask_iban(account.compact)
    else:
        email = (email or "").strip()
        try:
            validate_email(email)
        except ValidationError:
            raise DomainError(
                f"Give the email address of your {PayoutDetails.Method(method).label} account.",
                field="email",
            ) from None
        secret["email"] = email
        masked = _mask_email(email)
    details = PayoutDetails.objects.select_for_update().filter(user=user).first()
    created = details is None
    if created:
        details = PayoutDetails(user=user)
    details.method = method
    details.country = country
    details.secret = encrypt_json(secret)
    details.masked = masked
    details.save()
    record(
        action="compensation.payout_details.set",
        obj=details,
        actor=user,
        subject=user,
        data={"method": method, "country": country, "account": masked, "new": created},
    )
    notify(
        user=user,
        subject="Your payout details were changed",
        body=f"You will be paid by {details.get_method_display()} to {masked} ({country}). "
        "If you did not make this change, change your password and tell the programme's "
        "finance team.",
        dedupe_key=f"compensation.payout_details:{details.pk}:{uuid.uuid4().hex}",
        url=reverse("compensation:payout_details"),
    )
    return details


# --- Bounties follow their finding -----------------------------------------------------------


def bounty_follow_ticket(*, programme, payload, **_) -> None:
    """A finding that stops counting as accepted (accepted → won't fix) takes its bounty with
    it: an unpaid bounty is reversed (the two then settle together, netting to zero); one
    already exported or paid is flagged to the programme's finance, who recover it by hand.

    Receiver of `programs.signals.ticket_status_changed` (feedback sits below compensation
    and cannot call it).
    """
    from feedback.models import Ticket

    if payload.old not in Ticket.COUNTS_AS_ACCEPTED or payload.new in Ticket.COUNTS_AS_ACCEPTED:
        return
    bounty = (
        LedgerEntry.objects.select_for_update()
        .filter(source_type="feedback.ticket", source_id=str(payload.ticket), kind="bounty")
        .select_related("participation__user")
        .first()
    )
    if bounty is None or LedgerEntry.objects.filter(reverses=bounty).exists():
        return
    why = f"finding #{payload.ticket} moved from {payload.old} to {payload.new}"
    if bounty.state in (E.ACCRUED, E.APPROVED):
        reversal, _ = _accrue(
            participation=bounty.participation,
            kind=LedgerEntry.Kind.REVERSAL,
            amount=-bounty.amount,
            currency=bounty.currency,
            source_type="compensation.ledgerentry",
            source_id=str(bounty.pk),
            description=f"Reversal of entry {bounty.pk}: {why}",
            earned_on=timezone.localdate(),
            idempotency_key=f"reversal:{bounty.pk}",
            terms=bounty.terms_version,
            reverses=bounty,
        )
        notify(
            user=bounty.participation.user,
            subject=f"Bounty of {bounty.amount} {bounty.currency} withdrawn",
            body=f"Your {why}, so its bounty is reversed before payment.",
            dedupe_key=f"compensation.bounty_reversed:{bounty.pk}",
            url=reverse("compensation:statement"),
            programme=programme,
        )
        return
    record(
        action="compensation.bounty.flagged",
        obj=bounty,
        programme=programme,
        subject=bounty.participation.user,
        data={"ticket": payload.ticket, "state": bounty.state, "amount": str(bounty.amount)},
    )
    for person in policy.staff_of(programme, "payouts"):
        notify(
            user=person,
            subject=f"Bounty already {bounty.get_state_display().lower()}: {why}",
            body=f"Entry {bounty.pk} ({bounty.amount} {bounty.currency}) was "
            f"{bounty.get_state_display().lower()} before the {why}. Decide whether to "
            "recover it: reverse the entry (the negative balance carries forward to the "
            "payee's next payout) or leave it.",
            dedupe_key=f"compensation.bounty_flagged:{bounty.pk}:{person.pk}",
            url=reverse("compensation:entry", args=[bounty.pk]),
            programme=programme,
        )
