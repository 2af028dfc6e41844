"""Deadlines: what the terms say happens when an item is not decided in time (deemed
approved, or escalated to the managers), and the reminder before an item falls due. The
sweep runs under beat; every service re-checks its items under lock, so it is safe to run
twice or on two machines at once."""

from datetime import timedelta
from typing import NamedTuple

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from audit.services import Entry, record_many
from core.db import insert_rows, update_rows
from core.errors import DomainError
from core.languages import language_of
from core.services import notify, notify_many
from programs import policy, signals
from programs.models import Programme, TermsVersion

from ..models import OutputSubmission, ReviewDecision
from .reviewing import submission_release
from .workflow import (
    Outcome,
    Stage,
    Status,
    _audit,
    _decision_message,
    _locked,
    _notify_participant,
)

# Reviewers are reminded this long before an item falls due.
REMIND_BEFORE = timedelta(hours=12)
# The sweep deems this many items approved per transaction (and statement).
DEEM_CHUNK = 2000


class _Due(NamedTuple):
    """An item `submissions_deem_approved` decides: the columns it needs, no model."""

    pk: int
    title: str
    content_hash: str
    verify_token: str | None
    participant_id: int
    email: str
    programme_id: int
    terms_number: int
    deadline_hours: int

    @property
    def note(self) -> str:
        return (
            f"No decision within the {self.deadline_hours} "
            f"hour{'' if self.deadline_hours == 1 else 's'} that terms version "
            f"{self.terms_number} promise."
        )


# --- Deemed approved ----------------------------------------------------------------------


def _due_items(now, limit: int, submission_ids) -> list[_Due]:
    """Up to `limit` items past their deadline under terms that say "deemed approved",
    locked with `SKIP LOCKED` (an item a reviewer is deciding right now is left to them)."""
    due = OutputSubmission.objects.select_for_update(skip_locked=True, of=("self",)).filter(
        status__in=(Status.PENDING, Status.IN_REVIEW),
        due_at__lte=now,
        terms_version__on_missed_deadline=TermsVersion.OnMissedDeadline.DEEMED_APPROVED,
    )
    if submission_ids is not None:
        due = due.filter(pk__in=list(submission_ids))
    rows = due.order_by("due_at", "pk").values_list(
        "pk",
        "title",
        "content_hash",
        "verify_token",
        "participant_id",
        "participant__email",
        "programme_id",
        "terms_version__number",
        "terms_version__review_deadline_hours",
    )[:limit]
    return [_Due(*row) for row in rows]


def _write_deemed(items: list[_Due], now) -> list[int]:
    """Each item's decision and certificate link, set-based; the decisions' ids."""
    decision_ids = insert_rows(
        ReviewDecision,
        ["submission", "stage", "outcome", "note", "decided_at"],
        [(s.pk, Stage.REVIEW, Outcome.DEEMED_APPROVED, s.note, now) for s in items],
    )
    update_rows(
        OutputSubmission,
        ["verify_token"],
        [(s.pk, s.verify_token or OutputSubmission.new_token()) for s in items],
        status=Status.DEEMED_APPROVED,
        decided_at=now,
        claimed_by=None,
        claim_expires_at=None,
    )
    return decision_ids


def _audit_deemed(items: list[_Due], decision_ids: list[int], now) -> None:
    """The items' audit events, appended to the chain in order (`record_many`)."""
    record_many(
        [
            Entry(
                action="approvals.submission.decided",
                object_type=OutputSubmission._meta.label_lower,
                object_id=str(s.pk),
                programme_id=s.programme_id,
                subject_id=s.participant_id,
                data={
                    "status": Status.DEEMED_APPROVED,
                    "decision": decision,
                    "stage": Stage.REVIEW,
                    "outcome": Outcome.DEEMED_APPROVED,
                    "reason": "",
                    "terms_version": s.terms_number,
                },
                binds=(
                    ReviewDecision,
                    decision,
                    {
                        "submission": s.pk,
                        "stage": Stage.REVIEW,
                        "outcome": Outcome.DEEMED_APPROVED,
                        "reviewer": None,
                        "reason": None,
                        "note": s.note,
                        "decided_at": now,
                    },
                ),
            )
            for s, decision in zip(items, decision_ids, strict=True)
        ]
    )


def _announce_deemed(items: list[_Due], decision_ids: list[int]) -> None:
    """Per programme: the webhook event of each item, and each participant's notification."""
    stage, outcome = Stage.REVIEW, Outcome.DEEMED_APPROVED
    url = reverse("approvals:output", args=[0]).replace("/0/", "/{}/")
    by_programme: dict = {}
    for s, decision in zip(items, decision_ids, strict=True):
        by_programme.setdefault(s.programme_id, []).append((s, decision))
    programmes = Programme.objects.in_bulk(list(by_programme))
    for programme_id, pairs in by_programme.items():
        programme = programmes[programme_id]
        signals.submission_deemed_approved.send_many(
            OutputSubmission,
            programme=programme,
            payloads=[
                signals.SubmissionDecided(
                    submission=s.pk,
                    stage=stage,
                    outcome=outcome,
                    reason="",
                    content_hash=s.content_hash,
                    terms_version=s.terms_number,
                )
                for s, _ in pairs
            ],
        )
        notify_many(
            [
                {
                    "recipient_id": s.participant_id,
                    "to_email": s.email,
                    "subject": f"Decision on “{s.title}”",
                    "body": _decision_message(
                        s, outcome=outcome, reason=None, note=s.note, stage=stage
                    ),
                    "url": url.format(s.pk),
                    "dedupe_key": f"approvals:decided:{decision}",
                }
                for s, decision in pairs
            ],
            programme=programme,
        )


@transaction.atomic
def submissions_deem_approved(*, now=None, limit: int = DEEM_CHUNK, submission_ids=None) -> int:
    """Up to `limit` items past their deadline under terms that say "deemed approved"
    (of `submission_ids`, when given), deemed approved at once, set-based.

    Each still gets its decision, its certificate link, its audit event (appended to the
    chain in order, `audit.services.record_many`), the participant's notification and the
    webhook event. The rows are locked with `SKIP LOCKED`: an item a reviewer is deciding
    right now is left to them (and to the next sweep, should they not decide it); a reviewer
    who comes later finds it decided. Returns how many were deemed approved.
    """
    now = now or timezone.now()
    items = _due_items(now, limit, submission_ids)
    if not items:
        return 0
    decision_ids = _write_deemed(items, now)
    _audit_deemed(items, decision_ids, now)
    _announce_deemed(items, decision_ids)
    return len(items)


@transaction.atomic
def submission_deem_approved(*, submission: OutputSubmission, now=None) -> ReviewDecision | None:
    """The terms' deadline passed without a decision, and they say: deemed approved. The
    sweep's rule (`submissions_deem_approved`) applied to one item; None when it is not due,
    was decided meanwhile, or a reviewer is deciding it right now (running twice changes
    nothing)."""
    if not submissions_deem_approved(now=now, limit=1, submission_ids=[submission.pk]):
        return None
    return ReviewDecision.objects.get(submission_id=submission.pk, stage=Stage.REVIEW)


# --- Escalation and reminders ---------------------------------------------------------------


@transaction.atomic
def submission_escalate(*, submission: OutputSubmission, now=None) -> bool:
    """Past due and not deemed approved: tell every manager of the programme, once."""
    now = now or timezone.now()
    submission = _locked(submission)
    if (
        submission.status not in OutputSubmission.OPEN
        or submission.due_at is None
        or submission.due_at > now
        or submission.escalated_at is not None
    ):
        return False
    submission.escalated_at = now
    submission.save(update_fields=["escalated_at"])
    managers = list(policy.staff_of(submission.programme, policy.MANAGE))
    _audit(
        "approvals.submission.escalated",
        submission,
        round=submission.round,
        due_at=submission.due_at,
        managers=[m.pk for m in managers],
    )
    for manager in managers:
        notify(
            user=manager,
            subject=f"Review deadline missed: “{submission.title}”",
            body=f"The {submission.round} of “{submission.title}” in {submission.programme.name} "
            f"was due {submission.due_at:%d %b %Y %H:%M} UTC and is still open.",
            url=reverse("approvals:detail", args=[submission.pk]),
            dedupe_key=f"approvals:escalated:{submission.pk}:{submission.round}:{manager.pk}",
            programme=submission.programme,
        )
    with translation.override(language_of(submission.participant, submission.programme)):
        subject = gettext("Your output “%(title)s” was escalated") % {"title": submission.title}
        body = gettext(
            "The review deadline of “%(title)s” passed on %(when)s UTC without a decision, so "
            "it went to the managers of %(name)s. Nothing is needed from you."
        ) % {
            "title": submission.title,
            "when": f"{submission.due_at:%d %b %Y %H:%M}",
            "name": submission.programme.name,
        }
    _notify_participant(
        submission,
        subject=subject,
        body=body,
        key=f"approvals:escalated-participant:{submission.pk}:{submission.round}",
    )
    return True


@transaction.atomic
def submission_remind(*, submission: OutputSubmission, now=None) -> bool:
    """Before an item falls due, remind its claimer (or else every reviewer), once per round."""
    now = now or timezone.now()
    submission = _locked(submission)
    if (
        submission.status not in OutputSubmission.OPEN
        or submission.due_at is None
        or submission.due_at <= now
        or submission.due_at > now + REMIND_BEFORE
        or submission.reminded_at is not None
    ):
        return False
    submission.reminded_at = now
    submission.save(update_fields=["reminded_at"])
    if submission.claim_active(now):
        people = [submission.claimed_by]
    else:
        people = list(policy.staff_of(submission.programme, {policy.REVIEWER}))
    _audit(
        "approvals.submission.reminded",
        submission,
        round=submission.round,
        due_at=submission.due_at,
        reviewers=[p.pk for p in people],
    )
    for person in people:
        notify(
            user=person,
            subject=f"Due soon: “{submission.title}”",
            body=f"The review of “{submission.title}” in {submission.programme.name} is due "
            f"{submission.due_at:%d %b %Y %H:%M} UTC.",
            url=reverse("approvals:detail", args=[submission.pk]),
            dedupe_key=f"approvals:reminder:{submission.pk}:{submission.round}:{person.pk}",
            programme=submission.programme,
        )
    return True


def deadlines_sweep(*, now=None, limit: int = 1000) -> dict:
    """Apply the terms to every item past due, and remind before items fall due.

    Items to deem approved go a chunk at a time (`submissions_deem_approved`, one
    transaction each); the rest one item per transaction. Every service re-checks its
    items under lock, so the sweep is safe to run twice or on two machines at once.
    Deadlines run whatever the participant's or the programme's access status.
    An appeal past due is escalated, never deemed approved: a reasoned
    rejection stands until a second person has looked at it.
    """
    now = now or timezone.now()
    counts = {"deemed_approved": 0, "escalated": 0, "reminded": 0, "released": 0}
    # Deemed approvals, set-based a chunk per transaction, until none is left.
    while deemed := submissions_deem_approved(now=now, limit=DEEM_CHUNK):
        counts["deemed_approved"] += deemed
    open_items = OutputSubmission.objects.filter(status__in=OutputSubmission.OPEN)
    # The rest past due is escalated: appeals, and items under terms that say "escalate". An
    # item to deem approved that a reviewer held locked just now is left to the next sweep.
    overdue = (
        open_items.filter(due_at__lte=now, escalated_at__isnull=True)
        .exclude(
            status__in=(Status.PENDING, Status.IN_REVIEW),
            terms_version__on_missed_deadline=TermsVersion.OnMissedDeadline.DEEMED_APPROVED,
        )
        .order_by("due_at")[:limit]
    )
    for submission in list(overdue):
        counts["escalated"] += submission_escalate(submission=submission, now=now)
    due_soon = open_items.filter(
        due_at__gt=now, due_at__lte=now + REMIND_BEFORE, reminded_at__isnull=True
    ).order_by("due_at")[:limit]
    for submission in list(due_soon):
        counts["reminded"] += submission_remind(submission=submission, now=now)
    expired = open_items.filter(claim_expires_at__lte=timezone.now())[:limit]
    for submission in list(expired):
        try:
            submission_release(submission=submission)
            counts["released"] += 1
        except DomainError:
            pass  # released or re-claimed meanwhile
    return counts
