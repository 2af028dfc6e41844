"""What every change of an output submission shares: the locked row, the allowed status
moves, the review clock, the audit event, the participant's notification, and the writing
of a decision with the message the participant reads."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from audit.services import record
from core.errors import DomainError
from core.languages import language_of
from core.services import notify
from programs import signals
from programs.models import TermsVersion

from ..models import NO_DEADLINE, OutputSubmission, ReasonCode, ReviewDecision

Status = OutputSubmission.Status
Outcome = ReviewDecision.Outcome
Stage = ReviewDecision.Stage


def _locked(submission: OutputSubmission) -> OutputSubmission:
    return OutputSubmission.objects.select_for_update().get(pk=submission.pk)


def _move(submission: OutputSubmission, to: str, *, message: str) -> None:
    """Check that the current status allows `to`, or refuse with `message`."""
    if to not in OutputSubmission.TRANSITIONS[submission.status]:
        raise DomainError(message, code="wrong_status")
    submission.status = to


def _due_from(terms: TermsVersion, start):
    if not terms.review_deadline_hours:
        return None
    return start + timedelta(hours=terms.review_deadline_hours)


def _set_clock(submission: OutputSubmission, due_at) -> None:
    submission.due_at = due_at
    submission.clock_at = due_at or NO_DEADLINE
    submission.reminded_at = None
    submission.escalated_at = None


def _clear_claim(submission: OutputSubmission) -> None:
    submission.claimed_by = None
    submission.claim_expires_at = None


def _notify_participant(submission: OutputSubmission, *, subject: str, body: str, key: str):
    notify(
        user=submission.participant,
        subject=subject,
        body=body,
        url=reverse("approvals:output", args=[submission.pk]),
        dedupe_key=key,
        programme=submission.programme,
    )


def _audit(action: str, submission: OutputSubmission, *, actor=None, binds=None, **data):
    record(
        action=action,
        obj=submission,
        binds=binds,
        actor=actor,
        programme=submission.programme,
        subject=submission.participant,
        data={"status": submission.status, **data},
    )


def _write_decision(
    submission: OutputSubmission,
    *,
    stage: str,
    outcome: str,
    reviewer=None,
    reason: ReasonCode | None = None,
    note: str = "",
    now,
) -> ReviewDecision:
    """Record the decision; the unique (submission, stage) constraint is the last guard."""
    try:
        with transaction.atomic():
            decision = ReviewDecision.objects.create(
                submission=submission,
                stage=stage,
                outcome=outcome,
                reviewer=reviewer,
                reason=reason,
                note=note,
                decided_at=now,
            )
    except IntegrityError as exc:
        raise DomainError("This item has already been decided.", code="already_decided") from exc
    submission.decided_at = now
    if decision.is_approval and not submission.verify_token:
        submission.verify_token = OutputSubmission.new_token()
    _clear_claim(submission)
    submission.save()
    _audit(
        "approvals.submission.decided",
        submission,
        actor=reviewer,
        binds=decision,
        decision=decision.pk,
        stage=stage,
        outcome=outcome,
        reason=reason.code if reason else "",
        # What the tester read, so the log says the reason as they were told it.
        reason_label=reason.label if reason else "",
        terms_version=submission.terms_version.number,
    )
    signal = (
        signals.submission_deemed_approved
        if outcome == Outcome.DEEMED_APPROVED
        else signals.submission_decided
    )
    signal.send(
        OutputSubmission,
        programme=submission.programme,
        payload=signals.SubmissionDecided(
            submission=submission.pk,
            stage=stage,
            outcome=outcome,
            reason=reason.code if reason else "",
            content_hash=submission.content_hash,
            terms_version=submission.terms_version.number,
        ),
    )
    with translation.override(language_of(submission.participant, submission.programme)):
        subject = gettext("Decision on “%(title)s”") % {"title": submission.title}
        body = _decision_message(submission, outcome=outcome, reason=reason, note=note, stage=stage)
    _notify_participant(
        submission,
        subject=subject,
        body=body,
        key=f"approvals:decided:{decision.pk}",
    )
    return decision


def _decision_message(submission, *, outcome: str, reason, note: str, stage: str) -> str:
    """What the participant reads about a decision on their output."""
    what = {
        Outcome.APPROVED: gettext(
            "“%(title)s” was approved. You may share it for the use you gave."
        ),
        Outcome.DEEMED_APPROVED: gettext(
            "“%(title)s” is deemed approved: the review deadline in the terms passed without a "
            "decision. You may share it for the use you gave."
        ),
        Outcome.NOT_REQUIRED: gettext(
            "“%(title)s” needs no approval for this use under the terms. You may share it."
        ),
        Outcome.REJECTED: gettext("“%(title)s” was rejected."),
        Outcome.CHANGES_REQUESTED: gettext("“%(title)s” needs changes before it can be approved."),
    }[outcome]
    lines = [what % {"title": submission.title}]
    if reason:
        lines.append(gettext("Reason: %(reason)s.") % {"reason": reason.label})
    if note:
        lines.append(gettext("Note from the reviewer: %(note)s") % {"note": note})
    if stage == Stage.APPEAL:
        lines.append(gettext("This was the decision on your appeal; it is final."))
    return "\n".join(lines)
