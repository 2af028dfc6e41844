"""Reads about the labour log that pages, exports and other apps share.

For compensation: `confirmed_time_entries` (hourly pay: sum `minutes` of
confirmed entries, priced with the terms in force on `date`).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import models
from django.db.models import Count, Min, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from core.figures import guard, median_and_quantile
from programs.models import Programme, TermsVersion
from programs.selectors import per_programme

from .models import TimeEntry

# --- Hours --------------------------------------------------------------------------------


def week_start(day: date) -> date:
    """The Monday of the week of `day` (weeks run Monday to Sunday)."""
    return day - timedelta(days=day.weekday())


def confirmed_time_entries(
    programme: Programme | None = None, *, since: date | None = None, until: date | None = None
):
    """Confirmed entries (the hours that count for pay), optionally for a date range inclusive."""
    qs = TimeEntry.objects.confirmed().select_related("user", "participation")
    if programme is not None:
        qs = qs.filter(programme=programme)
    if since is not None:
        qs = qs.filter(date__gte=since)
    if until is not None:
        qs = qs.filter(date__lte=until)
    return qs


def expected_hours(programme_ids) -> dict[int, Decimal | None]:
    """{programme id: expected hours per week} from the terms in force now (one query)."""
    out: dict[int, Decimal | None] = {}
    rows = (
        TermsVersion.objects.effective(timezone.now())
        .filter(programme_id__in=list(programme_ids))
        .order_by("programme_id", "-number")
        .values_list("programme_id", "expected_hours_per_week")
    )
    for programme_id, hours in rows:
        out.setdefault(programme_id, hours)
    return out


@dataclass
class WeekRow:
    programme: Programme
    logged: int = 0
    confirmed: int = 0
    disputed: int = 0
    expected_hours: Decimal | None = None

    @property
    def logged_hours(self):
        return round(Decimal(self.logged) / 60, 1)

    @property
    def confirmed_hours(self):
        return round(Decimal(self.confirmed) / 60, 1)

    @property
    def disputed_hours(self):
        return round(Decimal(self.disputed) / 60, 1)


@dataclass
class HoursSummary:
    week: date
    entries: list
    week_rows: list
    month_start: date
    month_weeks: list  # [(week start, [WeekRow, …]), …]
    previous_week: date
    next_week: date | None
    month_total: int

    @property
    def month_total_hours(self):
        return round(Decimal(self.month_total) / 60, 1)


def _row(rows, programme, expected):
    if programme.pk not in rows:
        rows[programme.pk] = WeekRow(programme=programme, expected_hours=expected)
    return rows[programme.pk]


def hours_summary(user, week: date) -> HoursSummary:
    """A participant's week (entries and totals per programme) and the month around it.

    Two queries: the person's entries of the weeks overlapping the month, and
    the expected hours of their programmes.
    """
    week = week_start(week)
    month_start = week.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    span_start = week_start(month_start)
    span_end = max(next_month - timedelta(days=1), week + timedelta(days=6))
    entries = list(
        TimeEntry.objects.restrict(user)
        .filter(user=user, date__gte=span_start, date__lte=span_end)
        .select_related("programme", "ticket")
        .order_by("-date", "-id")
    )
    expected = expected_hours({e.programme_id for e in entries})
    week_entries = [e for e in entries if week <= e.date <= week + timedelta(days=6)]
    week_rows: dict[int, WeekRow] = {}
    by_week: dict[date, dict[int, WeekRow]] = defaultdict(dict)
    month_total = 0
    for e in entries:
        targets = []
        if week <= e.date <= week + timedelta(days=6):
            targets.append(_row(week_rows, e.programme, expected.get(e.programme_id)))
        if month_start <= e.date < next_month:
            month_total += e.minutes
            targets.append(
                _row(by_week[week_start(e.date)], e.programme, expected.get(e.programme_id))
            )
        for row in targets:
            row.logged += e.minutes
            if e.status == TimeEntry.Status.CONFIRMED:
                row.confirmed += e.minutes
            elif e.status == TimeEntry.Status.DISPUTED:
                row.disputed += e.minutes
    this_week = week_start(timezone.localdate())
    return HoursSummary(
        week=week,
        entries=week_entries,
        week_rows=sorted(week_rows.values(), key=lambda r: r.programme.name),
        month_start=month_start,
        month_weeks=[
            (w, sorted(rows.values(), key=lambda r: r.programme.name))
            for w, rows in sorted(by_week.items())
        ],
        previous_week=week - timedelta(days=7),
        next_week=week + timedelta(days=7) if week < this_week else None,
        month_total=month_total,
    )


def weekly_totals(user, week: date) -> list[dict]:
    """Minutes per participant and programme in one week, for the staff this person is.

    One grouped query over the week (not the whole table), plus expected hours.
    """
    week = week_start(week)
    rows = list(
        TimeEntry.objects.restrict(user, "confirm")
        .filter(date__gte=week, date__lte=week + timedelta(days=6))
        .values("programme_id", "programme__name", "user__email")
        .annotate(
            logged=Sum("minutes"),
            confirmed=Sum("minutes", filter=Q(status=TimeEntry.Status.CONFIRMED)),
            disputed=Sum("minutes", filter=Q(status=TimeEntry.Status.DISPUTED)),
        )
        .order_by("programme__name", "user__email")
    )
    expected = expected_hours({r["programme_id"] for r in rows})
    for r in rows:
        r["expected_hours"] = expected.get(r["programme_id"])
        r["logged_hours"] = round(Decimal(r["logged"] or 0) / 60, 1)
        r["confirmed_hours"] = round(Decimal(r["confirmed"] or 0) / 60, 1)
        r["disputed_hours"] = round(Decimal(r["disputed"] or 0) / 60, 1)
    return rows


def hours_queue(user):
    """Entries this person may confirm or dispute, with what the page shows."""
    return TimeEntry.objects.restrict(user, "confirm").select_related("programme", "user", "ticket")


def transparency_section(programme: Programme) -> dict:
    """Labour for the public page: confirmed hours, per person, against the terms."""

    confirmed = TimeEntry.objects.confirmed().filter(programme=programme)
    # Hours per person: the median and 90th percentile of each person's confirmed total.
    people, median_hours, p90_hours, _ = median_and_quantile(
        confirmed.order_by().values("user").annotate(m=Sum("minutes")),
        "m",
        0.9,
        convert=lambda minutes: minutes / 60,
    )
    work = confirmed.aggregate(
        minutes=Sum("minutes"), first=models.Min("date"), last=models.Max("date")
    )
    total_hours = round(work["minutes"] / 60, 1) if work["minutes"] is not None else 0
    span_weeks = max(1, ((work["last"] - work["first"]).days + 1) / 7) if work["first"] else None
    per_week = round(total_hours / people / span_weeks, 1) if people and span_weeks else None
    expected = expected_hours([programme.pk]).get(programme.pk)
    labour = {
        "people_with_confirmed_hours": people,
        "confirmed_hours_total": guard(total_hours, people),
        "hours_per_person_median": guard(round(median_hours or 0, 1), people),
        "hours_per_person_p90": guard(round(p90_hours or 0, 1), people),
        "hours_per_person_per_week_actual": guard(per_week, people),
        "hours_per_week_expected_in_terms": str(expected) if expected is not None else None,
    }
    section_rows = [
        ["Confirmed hours, total", labour["confirmed_hours_total"]],
        ["Hours per person, median", labour["hours_per_person_median"]],
        ["Hours per person, 90th percentile", labour["hours_per_person_p90"]],
        ["Hours per person per week, actual", labour["hours_per_person_per_week_actual"]],
        ["Hours per week expected in the terms", labour["hours_per_week_expected_in_terms"] or "—"],
    ]
    return {
        "labour": labour,
        "sections": [{"title": "Labour", "rows": section_rows}],
        "charts": [],
        "compare": [
            ["Confirmed hours, total", ["labour", "confirmed_hours_total"]],
            ["Hours per person per week (actual)", ["labour", "hours_per_person_per_week_actual"]],
        ],
    }


def week_by_programme(user, day: date) -> dict[int, dict]:
    """A participant's standing per programme (the portal home), in one grouped query:
    minutes logged, confirmed and disputed in the week of `day`, the disputed entries
    waiting for their answer (how many, and the first of them and its day, to link to).
    """
    week = week_start(day)
    in_week = Q(date__gte=week, date__lte=week + timedelta(days=6))
    disputed = Q(status=TimeEntry.Status.DISPUTED)
    rows = (
        TimeEntry.objects.restrict(user)
        .filter(user=user)
        .filter(in_week | disputed)
        .order_by()
        .values("programme_id")
        .annotate(
            logged=Sum("minutes", filter=in_week),
            confirmed=Sum("minutes", filter=in_week & Q(status=TimeEntry.Status.CONFIRMED)),
            to_answer=Count("pk", filter=disputed),
            first_to_answer=Min("pk", filter=disputed),
            first_to_answer_on=Min("date", filter=disputed),
        )
    )
    return {
        r["programme_id"]: {
            "logged_hours": round(Decimal(r["logged"] or 0) / 60, 1),
            "confirmed_hours": round(Decimal(r["confirmed"] or 0) / 60, 1),
            "to_answer": r["to_answer"],
            "first_to_answer": r["first_to_answer"],
            "first_to_answer_on": r["first_to_answer_on"],
        }
        for r in rows
    }


def attention_counts(user, now) -> list:
    """Staff home: logged hours waiting for confirmation, per programme this person confirms
    (the staff home). One grouped query."""

    queue = reverse("labour:queue")
    return per_programme(
        TimeEntry.objects.restrict(user, "confirm").filter(status=TimeEntry.Status.LOGGED),
        order=30,
        label=gettext("hour entries to confirm"),
        url=lambda r: f"{queue}?programme={r['programme_id']}&status=logged",
        since="created_at",  # no target covers confirmation: the home shows the oldest's age
    )
