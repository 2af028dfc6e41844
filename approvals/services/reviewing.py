"""Reviewing: a reviewer claims an item, releases it, and decides it (approve, reject with
a reason, request changes; or decide an appeal, finally). Who may is the policy's rule
(`policy.require_review`: a reviewer or manager of the programme, never on their own
output, and an appeal never by the reviewer whose decision is appealed)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, NotAllowed
from programs import policy

from ..models import OutputSubmission, ReasonCode, ReviewDecision
from .workflow import Outcome, Stage, Status, _audit, _clear_claim, _locked, _move, _write_decision


@transaction.atomic
def submission_claim(*, actor, submission: OutputSubmission) -> OutputSubmission:
    """Take an item for `REVIEW_CLAIM_MINUTES` so that no other reviewer works on it meanwhile."""
    submission = _locked(submission)
    policy.require_review(actor, submission)
    now = timezone.now()
    if submission.status not in OutputSubmission.OPEN:
        raise DomainError(_("This item is no longer waiting for review."), code="wrong_status")
    if submission.claim_active(now) and submission.claimed_by_id != actor.pk:
        raise DomainError(
            _("%(email)s is reviewing this item until %(time)s UTC.")
            % {
                "email": submission.claimed_by.email,
                "time": f"{submission.claim_expires_at:%H:%M}",
            },
            code="claimed",
        )
    if submission.status == Status.PENDING:
        _move(submission, Status.IN_REVIEW, message="This item cannot be claimed now.")
    submission.claimed_by = actor
    submission.claim_expires_at = now + timedelta(minutes=settings.REVIEW_CLAIM_MINUTES)
    submission.save()
    _audit(
        "approvals.submission.claimed",
        submission,
        actor=actor,
        until=submission.claim_expires_at,
    )
    return submission


@transaction.atomic
def submission_release(*, submission: OutputSubmission, actor=None) -> OutputSubmission:
    """Give a claimed item back to the queue (by the reviewer, or the sweep once it expired)."""
    submission = _locked(submission)
    now = timezone.now()
    if actor is not None:
        policy.require(actor, "review", submission)
        if submission.claim_active(now) and submission.claimed_by_id != actor.pk:
            raise NotAllowed(_("Only the reviewer who claimed this item can release it."))
    elif submission.claim_active(now):
        return submission
    if not submission.claimed_by_id:
        raise DomainError(_("This item is not claimed."), code="not_claimed")
    if submission.status == Status.IN_REVIEW:
        _move(submission, Status.PENDING, message=_("This item cannot be released now."))
    _clear_claim(submission)
    submission.save()
    _audit("approvals.submission.released", submission, actor=actor, expired=actor is None)
    return submission


@transaction.atomic
def submission_decide(
    *,
    submission: OutputSubmission,
    actor,
    outcome: str,
    reason: ReasonCode | None = None,
    note: str = "",
) -> ReviewDecision:
    """A reviewer approves, rejects or requests changes (or decides an appeal, finally).

    Anything but an approval needs a reason code from the programme's list. An
    appeal is decided by someone other than the reviewer who rejected.
    """
    submission = _locked(submission)
    policy.require_review(actor, submission)
    note = (note or "").strip()
    now = timezone.now()
    appeal = submission.status == Status.APPEALED
    allowed = ReviewDecision.APPEAL_OUTCOMES if appeal else ReviewDecision.REVIEWER_OUTCOMES
    if outcome not in allowed:
        raise DomainError(
            _("An appeal is either approved or the rejection stands.")
            if appeal
            else _("Choose approve, reject or request changes."),
            field="outcome",
        )
    if submission.status not in OutputSubmission.OPEN:
        raise DomainError(
            _("This item has already been decided (%(status)s).")
            % {"status": submission.get_status_display().lower()},
            code="already_decided",
        )
    if submission.claim_active(now) and submission.claimed_by_id != actor.pk:
        raise DomainError(
            _("%(email)s has claimed this item until %(time)s UTC.")
            % {
                "email": submission.claimed_by.email,
                "time": f"{submission.claim_expires_at:%H:%M}",
            },
            code="claimed",
        )
    if outcome != Outcome.APPROVED and reason is None:
        raise DomainError(
            _("Choose a reason: it is required for anything but an approval."), field="reason"
        )
    if reason is not None and (reason.programme_id != submission.programme_id or not reason.active):
        raise DomainError(_("Choose a reason from this programme's list."), field="reason")
    _move(submission, outcome, message=_("This decision is not possible now."))
    return _write_decision(
        submission,
        stage=Stage.APPEAL if appeal else Stage.REVIEW,
        outcome=outcome,
        reviewer=actor,
        reason=reason,
        note=note,
        now=now,
    )


def submissions_bulk_approve(*, actor, submissions) -> tuple[int, list[str]]:
    """Approve each item on its own (one transaction each); returns (approved, problems)."""
    approved, problems = 0, []
    for submission in submissions:
        try:
            submission_decide(submission=submission, actor=actor, outcome=Outcome.APPROVED)
            approved += 1
        except DomainError as exc:
            problems.append(f"“{submission.title}”: {exc.message}")
    return approved, problems
