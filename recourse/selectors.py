"""Reads of contests that several pages need: the tester's own, the staff's open list."""

from datetime import datetime, time

from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from compensation.models import LedgerEntry
from core.businessdays import add_business_days
from core.figures import WITHHELD, guard, median
from feedback.models import Ticket, TicketComment
from participants.models import Consent
from programs.selectors import Attention

from .models import Contest

# Contests answered by finance or a manager (a first contest; a final word is a manager's).
MONEY_KINDS = (Contest.Kind.PAY, Contest.Kind.FEE, Contest.Kind.PAYOUT)


def promised_awards(user):
    """The tester's latest acceptance, per programme, of terms that promise a grant or a prize:
    what an award never made is contested from (`services.contest_open(consent=…)`)."""
    latest = {}
    for consent in (
        Consent.objects.filter(participation__user=user)
        .select_related("participation__programme", "terms_version")
        .order_by("participation_id", "-accepted_at", "-pk")
    ):
        latest.setdefault(consent.participation_id, consent)
    return [c for c in latest.values() if c.terms_version.pay_model in Contest.AWARDING]


def my_contests(user):
    return (
        Contest.objects.filter(tester=user).select_related("programme").order_by("-filed_at", "-id")
    )


def answerable(user):
    """The contests the person's roles let them answer (`policy.contest_action`), never their
    own nor those of decisions they made: a first contest of a ticket or hours (reviewers,
    managers), of pay or a fee (finance, managers), a final word (managers)."""
    first = Contest.objects.filter(round=Contest.FIRST)
    return (
        (
            first.exclude(kind__in=(*MONEY_KINDS, Contest.Kind.AWARD)).restrict(
                user, "answer_contest"
            )
            | first.filter(kind__in=MONEY_KINDS).restrict(user, "answer_pay_contest")
            | first.filter(kind=Contest.Kind.AWARD).restrict(user, "answer_award_contest")
            | Contest.objects.filter(round=Contest.FINAL).restrict(user, "final_word")
        )
        .exclude(tester=user)
        .exclude(decision_maker=user)
    )


def open_contests(user):
    """Open contests the person may answer, the earliest due first."""
    return (
        answerable(user)
        .filter(status=Contest.Status.OPEN)
        .select_related("programme", "tester")
        .order_by("due_at", "filed_at", "id")
    )


def attention_counts(user, now) -> list[Attention]:
    """Staff home: open contests this person may answer, per programme: overdue (urgent),
    within their target, and with no target (with the oldest one's age). One grouped query."""
    rows = (
        answerable(user)
        .filter(status=Contest.Status.OPEN)
        .order_by()
        .values("programme_id")
        .annotate(
            overdue=Count("pk", filter=Q(due_at__lt=now)),
            waiting=Count("pk", filter=Q(due_at__gte=now)),
            none=Count("pk", filter=Q(due_at__isnull=True)),
            oldest=Min("filed_at", filter=Q(due_at__isnull=True)),
        )
    )
    at = reverse("recourse:open")
    out = []
    for r in rows:
        pk = r["programme_id"]
        out += [
            Attention(
                pk,
                30,
                gettext("contests overdue"),
                r["overdue"],
                f"{at}?programme={pk}&overdue=on",
                True,
            ),
            Attention(
                pk,
                31,
                gettext("contests to answer"),
                r["waiting"] + r["none"],
                f"{at}?programme={pk}",
                oldest=r["oldest"],
            ),
        ]
    return out


def contests_of(
    *, ticket=None, entry=None, pay=None, result=None, fee=None, line=None, consent=None
):
    """The contests of one record's decisions, for the record's own page."""
    given = {
        "ticket": ticket,
        "time_entry": entry,
        "ledger_entry": pay,
        "competition_entry": result,
        "promotional_use": fee,
        "payout_line": line,
        "consent": consent,
    }
    where = {name: record for name, record in given.items() if record is not None}
    return Contest.objects.filter(**where).order_by("filed_at", "id")


# --- Public figures: the response targets kept, per quarter -----------------------------------

QUARTERS_SHOWN = 4


def _quarter(moment) -> str:
    return f"{moment.year} Q{(moment.month - 1) // 3 + 1}"


def _kept(items, now) -> dict:
    """{quarter: figures} of (started, due, done, person) items: the median days taken and the
    share met. An item decided late, or still open past its date, is missed; one still open
    within its date is not counted yet. Withheld below MIN_GROUP people."""
    by_quarter: dict[str, dict] = {}
    for started, due, done, person in items:
        if done is None and now <= due:
            continue
        q = by_quarter.setdefault(_quarter(started), {"days": [], "met": 0, "people": set()})
        q["days"].append(((done or now) - started).total_seconds() / 86400)
        q["met"] += done is not None and done <= due
        q["people"].add(person)
    out = {}
    for quarter in sorted(by_quarter, reverse=True)[:QUARTERS_SHOWN]:
        q = by_quarter[quarter]
        counted = len(q["days"])
        out[quarter] = guard(
            {
                "counted": counted,
                "median_days": round(median(q["days"]), 1),
                "met_percent": round(100 * q["met"] / counted),
            },
            len(q["people"]),
        )
    return out


def _triage_items(programme):
    cal = programme.holiday_calendar
    rows = (
        Ticket.objects.filter(programme=programme, terms_version__triage_days__isnull=False)
        .exclude(status=Ticket.Status.NEEDS_INFO, triaged_at__isnull=True)
        .values_list("created_at", "terms_version__triage_days", "triaged_at", "reporter_id")
        .iterator(chunk_size=2000)
    )
    for created, days, triaged, reporter in rows:
        yield created, add_business_days(created, days, cal), triaged, reporter


def _first_response_items(programme):
    cal = programme.holiday_calendar
    first_comment = (
        TicketComment.objects.filter(ticket=OuterRef("pk"), visible_to_reporter=True)
        .exclude(author=OuterRef("reporter"))
        .order_by("created_at")
        .values("created_at")[:1]
    )
    rows = (
        Ticket.objects.filter(programme=programme, terms_version__first_response_days__isnull=False)
        .annotate(first_comment=Subquery(first_comment))
        .values_list(
            "created_at",
            "terms_version__first_response_days",
            "first_comment",
            "triaged_at",
            "needs_info_since",
            "reporter_id",
        )
        .iterator(chunk_size=2000)
    )
    for created, days, *answers, reporter in rows:
        answered = min((a for a in answers if a), default=None)
        yield created, add_business_days(created, days, cal), answered, reporter


def _quarters_start(now):
    """The first moment of the oldest quarter the public page shows."""
    first = (now.year * 12 + (now.month - 1) // 3 * 3) - 3 * (QUARTERS_SHOWN - 1)
    return now.replace(
        year=first // 12, month=first % 12 + 1, day=1, hour=0, minute=0, second=0, microsecond=0
    )


def _payment_items(programme, now):
    """Approved pay under terms that promise payment within `payment_days` business days: the
    clock starts at approval (the second one when it took two) and stops on the day paid."""
    cal = programme.holiday_calendar
    start = _quarters_start(now)
    rows = (
        LedgerEntry.objects.filter(
            programme=programme,
            terms_version__payment_days__isnull=False,
            amount__gt=0,
            approved_at__isnull=False,
        )
        .exclude(state=LedgerEntry.State.ACCRUED)
        .filter(
            Q(second_approved_at__gte=start)
            | Q(second_approved_at__isnull=True, approved_at__gte=start)
        )
        .values_list(
            "approved_at",
            "second_approved_at",
            "terms_version__payment_days",
            "paid_at",
            "participation__user_id",
        )
        .iterator(chunk_size=2000)
    )
    zone = timezone.get_current_timezone()
    for first, second, days, paid_on, person in rows:
        approved = second or first
        done = None
        if paid_on is not None:
            done = max(approved, datetime.combine(paid_on, time.min, tzinfo=zone))
        yield approved, add_business_days(approved, days, cal), done, person


def _contest_items(programme):
    rows = (
        Contest.objects.filter(programme=programme, due_at__isnull=False)
        .values_list("filed_at", "due_at", "decided_at", "tester_id")
        .iterator(chunk_size=2000)
    )
    yield from rows


def transparency_section(programme) -> dict:
    """The public page's response targets: per target and quarter (of when the clock started),
    the median days taken and the share met, a missed date counting as missed."""
    now = timezone.now()
    targets = {
        "first_response": ("First response", _kept(_first_response_items(programme), now)),
        "triage": ("Triage decision", _kept(_triage_items(programme), now)),
        "contest": ("Decision on a contest", _kept(_contest_items(programme), now)),
        "payment": ("Payment after approval", _kept(_payment_items(programme, now), now)),
    }
    rows = []
    for label, quarters in targets.values():
        for quarter, value in quarters.items():
            if not value.get(WITHHELD):
                value = (
                    f"median {value['median_days']} days; {value['met_percent']} % met "
                    f"(of {value['counted']})"
                )
            rows.append([f"{label}, {quarter}", value])
    if not rows:
        rows.append(["Items under a target", "none decided or overdue yet"])
    return {
        "response_targets": {key: quarters for key, (_, quarters) in targets.items()},
        "sections": [{"title": "Response targets kept", "rows": rows}],
    }
