"""Accruals: the terms turned into ledger entries (hours, bounties, stipends, what another
app's record earns), and a bounty that follows its finding.

Every accrual is idempotent: each entry has an `idempotency_key` derived from what it pays
for, so running an accrual twice accrues once.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.services import Entry, record, record_many
from core.db import insert_rows, update_rows
from core.errors import DomainError
from core.l10n import english
from core.services import notify
from feedback.models import Ticket
from feedback.selectors import accepted_findings
from labour.models import TimeEntry
from participants.models import Participation
from programs import policy
from programs.models import Programme, TermsVersion
from programs.selectors import terms_in_force_on

from ..models import CENT, LedgerEntry
from .ledger import CHUNK, E, _accrue, checked_amount, checked_currency, reverse_entry


@dataclass
class AccrualResult:
    """What one accrual run did: the ids of the entries written, and items that earn nothing
    (with why)."""

    created: list = field(default_factory=list)
    skipped: dict = field(default_factory=lambda: defaultdict(int))

    @property
    def count(self) -> int:
        return len(self.created)


# --- Hours ----------------------------------------------------------------------------------

# The hourly accrual reads and writes this many time entries per statement.
HOURLY_CHUNK = 5000
HOURLY_FIELDS = [
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


class _TermsOfDay:
    """The terms that pay a day's hours, read once per programme and day over a run."""

    def __init__(self):
        self.programmes: dict = {}
        self.versions: dict = {}
        self.by_day: dict = {}

    def read(self, rows) -> None:
        """Load the programmes and logged-under versions of a chunk not read yet."""
        need = {r[2] for r in rows} - set(self.programmes)
        self.programmes.update(Programme.objects.in_bulk(list(need)))
        need = {r[5] for r in rows} - set(self.versions)
        self.versions.update(TermsVersion.objects.in_bulk(list(need)))

    def on(self, programme_id: int, day: date, logged_under: int | None):
        key = (programme_id, day)
        if key not in self.by_day:
            self.by_day[key] = terms_in_force_on(self.programmes[programme_id], day)
        # A day before the first published version (work logged late) falls back to the
        # terms the hours were logged under, which the participant had accepted.
        return self.by_day[key] or self.versions.get(logged_under)


def _next_hourly_chunk(todo, after: int) -> list[tuple]:
    """The next chunk of time entries to take into account, locked (`SKIP LOCKED`: two runs
    share the work)."""
    return list(
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


def _hourly_rows(rows, terms_of: _TermsOfDay, result: AccrualResult):
    """The ledger rows (`HOURLY_FIELDS`) a chunk of time entries earns, and per row the
    payee and the terms; entries under terms that do not pay by the hour are skipped."""
    entries, paying = [], []
    for pk, participation_id, programme_id, day, minutes, logged_under, user_id in rows:
        terms = terms_of.on(programme_id, day, logged_under)
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
    return entries, paying


def _hourly_audit(entries, paying, ids, result: AccrualResult) -> list[Entry]:
    """The audit events of the entries written (an id of None: the key was already in the
    ledger)."""
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
                binds=(
                    LedgerEntry,
                    pk,
                    {**dict(zip(HOURLY_FIELDS, row, strict=True)), "reverses": None},
                ),
            )
        )
    return audit


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
    result = AccrualResult()
    todo = TimeEntry.objects.confirmed().filter(pay_checked_at__isnull=True)
    if programme is not None:
        todo = todo.filter(programme=programme)
    if time_entry_ids is not None:
        todo = todo.filter(pk__in=list(time_entry_ids))
    terms_of = _TermsOfDay()
    after = 0
    while rows := _next_hourly_chunk(todo, after):
        after = rows[-1][0]
        terms_of.read(rows)
        entries, paying = _hourly_rows(rows, terms_of, result)
        ids = insert_rows(LedgerEntry, HOURLY_FIELDS, entries, skip_existing="idempotency_key")
        record_many(_hourly_audit(entries, paying, ids, result))
        update_rows(TimeEntry, [], [(r[0],) for r in rows], pay_checked_at=timezone.now())
    return result


# --- Bounties -------------------------------------------------------------------------------


@transaction.atomic
def accrue_bounties(*, programme: Programme | None = None, ticket_ids=None) -> AccrualResult:
    """Each accepted finding × the bounty for its severity in the terms it was filed under."""
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
            amount=checked_amount(amount),
            currency=terms.currency,
            source_type="feedback.ticket",
            source_id=str(ticket.pk),
            description=f"Accepted {english(ticket.get_severity_display).lower()} finding "
            f"#{ticket.pk} (terms v{terms.number})",
            earned_on=accepted_on,
            idempotency_key=f"bounty:ticket:{ticket.pk}",
            terms=terms,
        )
        if created:
            result.created.append(entry.pk)
    return result


# --- Stipends -------------------------------------------------------------------------------


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
                amount=checked_amount(terms.stipend_amount),
                currency=terms.currency,
                source_type="period",
                source_id=label,
                description=f"Stipend for {english(terms.get_stipend_period_display)} {label} "
                f"(terms v{terms.number})",
                earned_on=end,
                idempotency_key=f"stipend:{participation.pk}:{label}",
                terms=terms,
            )
            if created:
                result.created.append(entry.pk)
    return result


# --- What another app's record earns -------------------------------------------------------


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
    amount = checked_amount(amount)
    if amount <= 0:
        raise DomainError("Only a positive amount accrues.", field="amount")
    entry, created = _accrue(
        participation=participation,
        kind=kind,
        amount=amount,
        currency=checked_currency(currency),
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


# --- Bounties follow their finding -----------------------------------------------------------


def bounty_follow_ticket(*, programme, payload, **_) -> None:
    """A finding that stops counting as accepted (accepted → won't fix) takes its bounty with
    it: an unpaid bounty is reversed (the two then settle together, netting to zero); one
    already exported or paid is flagged to the programme's finance, who recover it by hand.

    Receiver of `programs.signals.ticket_status_changed` (feedback sits below compensation
    and cannot call it).
    """
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
        reverse_entry(bounty, why=why)
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
            subject=f"Bounty already {english(bounty.get_state_display).lower()}: {why}",
            body=f"Entry {bounty.pk} ({bounty.amount} {bounty.currency}) was "
            f"{english(bounty.get_state_display).lower()} before the {why}. Decide whether to "
            "recover it: reverse the entry (the negative balance carries forward to the "
            "payee's next payout) or leave it.",
            dedupe_key=f"compensation.bounty_flagged:{bounty.pk}:{person.pk}",
            url=reverse("compensation:entry", args=[bounty.pk]),
            programme=programme,
        )
