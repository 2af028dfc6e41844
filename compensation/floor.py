"""A pay floor that tops up: terms may promise a minimum effective hourly pay.

The period is the calendar month (the stipend's monthly period and the two-person limit's
`approval_period`). For the last complete month, for each participant of a programme whose
terms in force on a day worked state a floor (`TermsVersion.hourly_floor`):

- *owed* = Σ over the days worked under a floor: confirmed hours of that day × the floor of
  the terms in force that day;
- *earned* = what the ledger holds for the work of those days under terms with a floor:
  hourly, stipend and bounty entries (and their reversals) earned on those days, in the
  floor's currency; top-ups, prizes, grants and adjustments are not pay for hours;
- if earned < owed, the difference is accrued as one `topup` entry, keyed by participant
  and month (`floor:<participation>:<YYYY-MM>`, through `services.accrue_once`), so running
  it again accrues nothing more; it is audited and shown on the statement like any entry.

Hours confirmed after the month's top-up was computed are not topped up again (one top-up
per participant and month); the hourly accrual runs first so that every confirmed hour
already paid by the hour is counted as earned.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from labour.models import TimeEntry
from participants.models import Participation
from participants.selectors import published_terms, terms_in_force
from programs.models import Programme, TermsVersion
from programs.selectors import terms_in_force_on

from . import services
from .models import CENT, LedgerEntry, cents

# What counts as pay for hours worked (reversals of these are netted in).
WORK_KINDS = (LedgerEntry.Kind.HOURLY, LedgerEntry.Kind.STIPEND, LedgerEntry.Kind.BOUNTY)
SOURCE = "floor"


def floor_period(today: date) -> tuple[str, date, date]:
    """The last complete calendar month before `today`: (label "YYYY-MM", first, last day)."""
    return services.stipend_period(TermsVersion.StipendPeriod.MONTHLY, today)


def _days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def floor_days(programme: Programme, start: date, end: date) -> dict[date, TermsVersion]:
    """{day: terms in force that day} for the days of the period whose terms state a floor.

    The programme's published versions are read once (`published_terms`) and each day's
    version is picked from them as `terms_in_force` picks it, at the end of that day."""
    published = published_terms([programme.pk])
    out = {}
    for day in _days(start, end):
        end_of_day = timezone.make_aware(datetime.combine(day, time.max))
        terms = terms_in_force(published, end_of_day).get(programme.pk)
        if terms is not None and terms.hourly_floor:
            out[day] = terms
    return out


def shortfalls(programme: Programme, start: date, end: date) -> dict:
    """{participation id: (owed, earned, hours, currency, terms)} for the period's floor days."""

    days = floor_days(programme, start, end)
    if not days:
        return {}
    currency = days[max(days)].currency
    days = {d: t for d, t in days.items() if t.currency == currency}
    owed: dict = defaultdict(Decimal)
    minutes: dict = defaultdict(int)
    for pid, day, m in (
        TimeEntry.objects.confirmed()
        .filter(programme=programme, date__gte=start, date__lte=end, date__in=list(days))
        .order_by()
        .values_list("participation_id", "date")
        .annotate(m=Sum("minutes"))
        .values_list("participation_id", "date", "m")
    ):
        owed[pid] += Decimal(m) / 60 * days[day].hourly_floor
        minutes[pid] += m
    if not owed:
        return {}
    earned = dict(
        LedgerEntry.objects.filter(
            programme=programme,
            participation_id__in=list(owed),
            currency=currency,
            earned_on__in=list(days),
        )
        .filter(
            Q(kind__in=WORK_KINDS)
            | Q(kind=LedgerEntry.Kind.REVERSAL, reverses__kind__in=WORK_KINDS)
        )
        .order_by()
        .values_list("participation_id")
        .annotate(s=Sum("amount"))
        .values_list("participation_id", "s")
    )
    last_terms = days[max(days)]
    return {
        pid: (
            owed[pid].quantize(CENT, rounding=ROUND_HALF_UP),
            cents(earned.get(pid)),
            (Decimal(minutes[pid]) / 60).quantize(CENT),
            currency,
            last_terms,
        )
        for pid in owed
    }


def accrue_topups(
    *, today: date | None = None, programme: Programme | None = None
) -> services.AccrualResult:
    """Top up, once per participant and month, what the last complete month's confirmed
    hours earned below the floor of the terms."""
    today = today or timezone.localdate()
    label, start, end = floor_period(today)
    result = services.AccrualResult()
    programmes = Programme.objects.filter(
        terms__hourly_floor__isnull=False, terms__status=TermsVersion.Status.PUBLISHED
    ).distinct()
    if programme is not None:
        programmes = programmes.filter(pk=programme.pk)
    for prog in programmes.order_by("pk"):
        # Confirmed hours paid by the hour are in the ledger before they are compared.
        services.accrue_hourly(programme=prog)
        rows = shortfalls(prog, start, end)
        people = Participation.objects.select_related("user", "programme").in_bulk(list(rows))
        for pid, (owed, earned, hours, currency, terms) in sorted(rows.items()):
            gap = owed - earned
            if gap <= 0:
                result.skipped["at or above the floor"] += 1
                continue
            entry, created = services.accrue_once(
                participation=people[pid],
                kind=LedgerEntry.Kind.TOPUP,
                amount=gap,
                currency=currency,
                source_type=SOURCE,
                source_id=f"{pid}:{label}",
                description=f"Pay floor top-up for {label}: {hours} h × {terms.hourly_floor} "
                f"{currency}/h = {owed}, earned {earned} (terms v{terms.number})",
                terms=terms,
                maker=None,
            )
            if created:
                result.created.append(entry.pk)
            else:
                result.skipped["already topped up"] += 1
    return result


def floor_figures(programme: Programme, *, periods: int = 3, today: date | None = None):
    """For the public page: the floor of the terms in force, and for each of the last complete
    months with a floor, the people who worked, how many were topped up and by how much.
    None when no published terms of the programme ever stated a floor."""
    if (
        not TermsVersion.objects.published()
        .filter(programme=programme, hourly_floor__isnull=False)
        .exists()
    ):
        return None
    today = today or timezone.localdate()
    months = []
    probe = today
    for _ in range(periods):
        label, start, end = floor_period(probe)
        months.append((label, start, end))
        probe = start
    topups = defaultdict(lambda: [0, Decimal("0.00")])
    for source_id, amount in LedgerEntry.objects.filter(
        programme=programme, kind=LedgerEntry.Kind.TOPUP, source_type=SOURCE
    ).values_list("source_id", "amount"):
        label = source_id.rsplit(":", 1)[-1]
        topups[label][0] += 1
        topups[label][1] += amount
    out = []
    for label, start, end in months:
        days = floor_days(programme, start, end)
        if not days:
            continue

        worked = (
            TimeEntry.objects.confirmed()
            .filter(programme=programme, date__in=list(days))
            .values("participation_id")
            .distinct()
            .count()
        )
        people, amount = topups.get(label, (0, Decimal("0.00")))
        out.append(
            {
                "period": label,
                "floor": str(days[max(days)].hourly_floor),
                "currency": days[max(days)].currency,
                "people_with_hours": worked,
                "held_without_top_up": people == 0,
                "people_topped_up": people,
                "topped_up": str(cents(amount)),
            }
        )
    current = TermsVersion.objects.published().filter(programme=programme)
    current = terms_in_force_on(programme, today) or current.order_by("-number").first()
    return {
        "floor": str(current.hourly_floor) if current and current.hourly_floor else None,
        "currency": current.currency if current else programme.currency,
        "periods": out,
    }
