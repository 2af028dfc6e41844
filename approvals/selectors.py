"""Reads about output submissions that pages, the demo and the transparency page share."""

from collections import defaultdict
from datetime import timedelta

from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from core import search
from core.figures import duration, guard, median_and_quantile, shown
from programs.models import Programme
from programs.selectors import Attention, current_terms

from .models import Appeal, OutputSubmission, ReasonCode, ReviewDecision

# What a search of outputs reads (their description is the prompt), and each column's weight.
SEARCH_FIELDS = (("title", "A"), ("prompt", "B"), ("intended_venue", "C"))


def search_submissions(qs, q: str):
    """Outputs of `qs` whose title, prompt or venue match `q` (core.search.text_search)."""
    return search.text_search(qs, q, SEARCH_FIELDS)


def review_queue(user):
    """Items `user` may review, with what each row of the queue shows (`QueueRow`).

    The queue's FilterSet narrows this to the open items (or to the one open status
    chosen), so the database sees a single status condition it can seek an index on.
    """
    return OutputSubmission.objects.restrict(user, "review")


class QueueRow:
    """One row of the review queue, read as a tuple of the few columns it shows rather
    than three model instances (the item, its programme, participant and claimant): 50 rows
    built in a fifth of the time. `is_open` and `claim_active` are the model's own."""

    FIELDS = (
        "pk",
        "title",
        "version",
        "intended_use",
        "intended_venue",
        "status",
        "submitted_at",
        "due_at",
        "clock_at",
        "claimed_by_id",
        "claim_expires_at",
        "escalated_at",
        "programme__name",
        "participant__email",
        "claimed_by__email",
    )
    __slots__ = tuple(f.replace("__", "_") for f in FIELDS)
    OPEN = OutputSubmission.OPEN
    is_open = OutputSubmission.is_open
    claim_active = OutputSubmission.claim_active

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)


def decided_outputs(user):
    """Decided outputs of the programmes `user` reviews, never their own (the staff list of
    decided outputs); `filters.DecidedFilter` narrows them."""
    return (
        OutputSubmission.objects.restrict(user, "review")
        .filter(status__in=OutputSubmission.DECIDED, decided_at__isnull=False)
        .select_related("programme", "participant")
    )


def reviewable_programmes(user):
    return Programme.objects.restrict(user, "review")


def my_submissions(user):
    return (
        OutputSubmission.objects.restrict(user).filter(participant=user).select_related("programme")
    )


def history(submission: OutputSubmission) -> list[OutputSubmission]:
    """Every version of this output, oldest first (one query per version; chains are short)."""
    chain = [submission]
    current = submission
    while current.previous_id:
        current = OutputSubmission.objects.select_related("previous").get(pk=current.previous_id)
        chain.append(current)
    later = submission
    while True:
        nxt = OutputSubmission.objects.filter(previous=later).first()
        if nxt is None:
            break
        chain.insert(0, nxt)
        later = nxt
    return list(reversed(chain))


def decisions_of(submission: OutputSubmission):
    return (
        ReviewDecision.objects.filter(submission=submission)
        .select_related("reviewer", "reason")
        .order_by("decided_at", "pk")
    )


def approved_by_token(token: str) -> OutputSubmission | None:
    """The approved output behind a public verification link, or None."""
    if not token or len(token) > 64:
        return None
    return (
        OutputSubmission.objects.filter(
            verify_token=token, status__in=OutputSubmission.APPROVED_STATES
        )
        .select_related("programme", "terms_version")
        .first()
    )


# --- The public page: how the programme keeps its approval promises ----------------------

Outcome = ReviewDecision.Outcome
# Decisions a reviewer made (not the automatic ones), and those of them under a deadline.
BY_REVIEWER = Q(stage=ReviewDecision.Stage.REVIEW) & ~Q(outcome=Outcome.DEEMED_APPROVED)
HAS_DEADLINE = BY_REVIEWER & Q(submission__due_at__isnull=False)
# Rejections that give a reason code.
REJECTED_FOR = Q(outcome=Outcome.REJECTED, reason__isnull=False)


def _submission_counts(programme: Programme) -> dict:
    return OutputSubmission.objects.filter(programme=programme).aggregate(
        people=Count("participant", distinct=True),
        submitted=Count("pk"),
        waiting=Count("pk", filter=Q(status__in=OutputSubmission.OPEN)),
        # Still open after the deadline passed: the deadline is already missed.
        open_past_deadline=Count(
            "pk", filter=Q(status__in=OutputSubmission.OPEN, due_at__lt=timezone.now())
        ),
    )


def _decision_counts(decisions, codes: dict):
    """Review times (n, median, 90th percentile) and, in the same pass, the counts per
    outcome, the late and timely decisions, and the rejections per reason code of the
    programme (a GROUP BY joined to the reasons is planned badly at scale)."""
    return median_and_quantile(
        decisions,
        F("decided_at") - F("submission__submitted_at"),
        0.9,
        convert=lambda span: span.total_seconds() / 3600,
        where=BY_REVIEWER,
        also={
            **{outcome: Count("pk", filter=Q(outcome=outcome)) for outcome in Outcome.values},
            "avg": Avg(F("decided_at") - F("submission__submitted_at"), filter=BY_REVIEWER),
            "late": Count("pk", filter=BY_REVIEWER & Q(submission__due_at__lt=F("decided_at"))),
            "with_deadline": Count("pk", filter=HAS_DEADLINE),
            "rejected_for_a_reason": Count("pk", filter=REJECTED_FOR),
            **{f"reason_{pk}": Count("pk", filter=REJECTED_FOR & Q(reason=pk)) for pk in codes},
            "within_deadline": Count(
                "pk", filter=HAS_DEADLINE & Q(decided_at__lte=F("submission__due_at"))
            ),
        },
    )


def _rejection_reasons(decisions, codes: dict, counts: dict) -> list[tuple[str, int]]:
    """(label, rejections) most first. A reason from elsewhere than the programme's list is
    noticed by the total and then counted the plain way."""
    by_label = defaultdict(int)
    for pk, label in codes.items():
        by_label[label] += counts[f"reason_{pk}"]
    if sum(by_label.values()) == counts["rejected_for_a_reason"]:
        return sorted(((lb, n) for lb, n in by_label.items() if n), key=lambda r: (-r[1], r[0]))
    return list(
        decisions.filter(REJECTED_FOR)
        .values_list("reason__label")
        .annotate(n=Count("pk"))
        .order_by("-n", "reason__label")
        .values_list("reason__label", "n")
    )


def _approval_figures(submissions: dict, times: tuple, counts: dict, reasons) -> dict:
    """The public figures, each withheld when fewer than five people stand behind it."""
    people = submissions["people"]
    spans, span_median, span_p90 = times
    avg_hours = round(counts["avg"].total_seconds() / 3600, 1) if counts["avg"] else None
    # A deemed approval is a missed deadline, and so is an item still open past it: the
    # share within the deadline counts every item whose deadline passed before a decision.
    after = counts["late"] + counts[Outcome.DEEMED_APPROVED]
    missed = after + submissions["open_past_deadline"]
    within_deadline = counts["within_deadline"]
    with_deadline = within_deadline + missed
    figures = {
        "submitted_by": people,
        "waiting": submissions["waiting"],
        "approved": counts[Outcome.APPROVED],
        "deemed_approved": counts[Outcome.DEEMED_APPROVED],
        "not_required": counts[Outcome.NOT_REQUIRED],
        "rejected": counts[Outcome.REJECTED],
        "changes_requested": counts[Outcome.CHANGES_REQUESTED],
        "average_review_hours": avg_hours if avg_hours is not None else "no decisions yet",
        "decided_after_deadline": after,
        "open_past_deadline": submissions["open_past_deadline"],
        "missed_deadline": missed,
        "submitted": submissions["submitted"],
        "review_hours_median": round(span_median, 1) if spans else None,
        "review_hours_p90": round(span_p90, 1) if spans else None,
        "share_decided_within_deadline_percent": (
            round(within_deadline / with_deadline * 100, 1) if with_deadline else None
        ),
        "rejection_reasons": {label: n for label, n in reasons},
    }
    return {
        key: value if key == "submitted_by" else guard(value, people)
        for key, value in figures.items()
    }


def _approval_rows(figures: dict) -> list[list]:
    return [
        ["Outputs submitted", figures["submitted"]],
        [
            "Time to a reviewer's decision, median",
            duration(shown(figures["review_hours_median"], "no decisions yet")),
        ],
        [
            "Time to a reviewer's decision, 90th percentile",
            duration(shown(figures["review_hours_p90"], "no decisions yet")),
        ],
        [
            "Decided within the published deadline (%)",
            shown(figures["share_decided_within_deadline_percent"], "no deadline published"),
        ],
        ["Outputs waiting for review", figures["waiting"]],
        ["Approved by a reviewer", figures["approved"]],
        ["Deemed approved (deadline missed)", figures["deemed_approved"]],
        ["Approval not required", figures["not_required"]],
        ["Rejected", figures["rejected"]],
        ["Changes requested", figures["changes_requested"]],
        ["Average time to a decision", duration(figures["average_review_hours"])],
        [
            "Decided after the deadline (deemed approvals included)",
            figures["decided_after_deadline"],
        ],
        ["Still open past the deadline", figures["open_past_deadline"]],
        ["Deadlines missed in all", figures["missed_deadline"]],
    ]


def _decision_chart(figures: dict) -> dict:
    return {
        "title": "Output decisions",
        "items": [
            ["Approved", figures["approved"]],
            ["Deemed approved", figures["deemed_approved"]],
            ["Not required", figures["not_required"]],
            ["Rejected", figures["rejected"]],
            ["Changes requested", figures["changes_requested"]],
        ],
    }


def transparency_section(programme: Programme) -> dict:
    """How the programme keeps its approval promises: counts by outcome and review times.

    Three queries whatever the programme's size: the submissions, the reason codes, and
    one pass over the decisions with the review times' median and 90th percentile
    (computed in the database on PostgreSQL).
    """
    submissions = _submission_counts(programme)
    people = submissions["people"]
    decisions = ReviewDecision.objects.filter(submission__programme=programme)
    codes = dict(ReasonCode.objects.filter(programme=programme).values_list("pk", "label"))
    spans, span_median, span_p90, counts = _decision_counts(decisions, codes)
    reasons = _rejection_reasons(decisions, codes, counts)
    figures = _approval_figures(submissions, (spans, span_median, span_p90), counts, reasons)
    rows = _approval_rows(figures)
    charts = []
    if people >= 5:
        charts.append(_decision_chart(figures))
    if people >= 5 and reasons:
        charts.append({"title": "Rejection reasons", "items": [[label, n] for label, n in reasons]})
        rows += [[f"Rejected for: {label}", n] for label, n in reasons]
    return {
        "approvals": figures,
        "sections": [{"title": "Output approval", "rows": rows}],
        "charts": charts,
        "compare": [
            # Shown as the programme page shows it ("26 days"), not as a number of hours.
            ["Review time, median", ["approvals", "review_hours_median"], "duration"],
            [
                "Decided within the deadline (%)",
                ["approvals", "share_decided_within_deadline_percent"],
            ],
        ],
    }


def my_standing(user, per_group: int = 5) -> dict[int, dict[str, dict]]:
    """A participant's outputs that wait for someone, per programme (the portal home).

    programme id → group → {"count", "items"}, where the groups are "waiting" (open: a
    reviewer decides, nearest clock first), "changes" (changes requested: I resubmit) and
    "appeal" (rejected, the terms allow an appeal and none was filed). At most `per_group`
    items per group and programme, with the count of all of them: one query (window
    functions over narrow rows), however many outputs and programmes. Items are dicts:
    pk, title, status, status_label, due_at, on_missed_deadline.
    """
    S = OutputSubmission.Status
    group = Case(
        When(status__in=OutputSubmission.OPEN, then=Value("waiting")),
        When(status=S.CHANGES_REQUESTED, then=Value("changes")),
        default=Value("appeal"),
        output_field=CharField(),
    )
    partition = [F("programme_id"), group]
    rows = (
        OutputSubmission.objects.restrict(user)
        .filter(participant=user)
        .filter(
            Q(status__in=[*OutputSubmission.OPEN, S.CHANGES_REQUESTED])
            # Not `appeal__isnull`: its LEFT JOIN read every appeal of every programme.
            | Q(
                ~Exists(Appeal.objects.filter(submission=OuterRef("pk"))),
                status=S.REJECTED,
                terms_version__appeals_allowed=True,
            )
        )
        .annotate(
            group=group,
            group_count=Window(Count("pk"), partition_by=partition),
            group_rank=Window(
                RowNumber(), partition_by=partition, order_by=[F("clock_at").asc(), F("pk").asc()]
            ),
        )
        .filter(group_rank__lte=per_group)
        .values(
            "pk",
            "programme_id",
            "title",
            "status",
            "due_at",
            "clock_at",
            "group",
            "group_count",
            "terms_version__on_missed_deadline",
        )
    )
    labels = dict(S.choices)
    out: dict[int, dict[str, dict]] = defaultdict(dict)
    for r in sorted(rows, key=lambda r: (r["clock_at"], r["pk"])):
        entry = out[r["programme_id"]].setdefault(
            r["group"], {"count": r["group_count"], "items": []}
        )
        entry["items"].append(
            {
                "pk": r["pk"],
                "title": r["title"],
                "status": r["status"],
                "status_label": labels.get(r["status"], r["status"]),
                "due_at": r["due_at"],
                "on_missed_deadline": r["terms_version__on_missed_deadline"],
            }
        )
    return dict(out)


def attention_counts(user, now) -> list:
    """Staff home: every open review item, per programme this person reviews, counted by
    its clock: overdue, due within 24 h, due later, and with no deadline (with the age of
    the oldest of those, which no clock would ever raise). One grouped query."""
    from .filters import DUE_SOON  # the filters import these selectors: a cycle at import

    soon = now + DUE_SOON
    none = Q(due_at__isnull=True)
    rows = (
        OutputSubmission.objects.restrict(user, "review")
        .open()
        .order_by()
        .values("programme_id")
        .annotate(
            overdue=Count("pk", filter=Q(due_at__lte=now)),
            soon=Count("pk", filter=Q(due_at__gt=now, due_at__lte=soon)),
            later=Count("pk", filter=Q(due_at__gt=soon)),
            none=Count("pk", filter=none),
            oldest=Min("submitted_at", filter=none),
        )
    )
    queue = reverse("approvals:queue")
    out = []
    for r in rows:
        pk = r["programme_id"]
        at = f"{queue}?programme={pk}"
        out += [
            Attention(pk, 10, _("review items overdue"), r["overdue"], f"{at}&overdue=on", True),
            Attention(pk, 11, _("review items due within 24 h"), r["soon"], f"{at}&due_soon=on"),
            Attention(pk, 12, _("review items due later"), r["later"], f"{at}&due_later=on"),
            Attention(
                pk,
                13,
                _("review items with no deadline"),
                r["none"],
                f"{at}&no_deadline=on",
                oldest=r["oldest"],
            ),
        ]
    return out


def deadline_before_submitting(programmes, now=None) -> list[dict]:
    """What each programme's terms in force promise for a review, said before the tester
    submits: which uses need approval, and the date a decision is due by if they submit now."""
    now = now or timezone.now()
    out = []
    for programme in programmes:
        terms = current_terms(programme, now)
        if terms is None:
            continue
        S = terms.ApprovalScope
        if terms.approval_scope == S.NONE:
            text = gettext(
                "No approval is needed: you may share an output as soon as you submit it."
            )
        else:
            text = (
                gettext("Approval is needed for every output.")
                if terms.approval_scope == S.EVERY_OUTPUT
                else gettext("Approval is needed for public sharing.")
            )
            if terms.review_deadline_hours:
                due = now + timedelta(hours=terms.review_deadline_hours)
                missed = terms.get_on_missed_deadline_display().lower()
                text += " " + gettext(
                    "Submitted now, the decision is due by %(when)s UTC (within %(hours)d "
                    "hours); if it is late, the output is %(missed)s."
                ) % {
                    "when": f"{due:%d %b %Y %H:%M}",
                    "hours": terms.review_deadline_hours,
                    "missed": missed,
                }
            else:
                text += " " + gettext("These terms set no deadline for the review.")
        out.append({"programme": programme, "text": text})
    return out
