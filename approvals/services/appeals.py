"""Appeals: a participant appeals a rejection once, when the terms allow it; a different
reviewer or a manager decides it (`reviewing.submission_decide`), before a deadline."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError, NotAllowed
from core.services import notify
from programs import policy

from ..models import Appeal, OutputSubmission, ReviewDecision
from .workflow import Outcome, Status, _audit, _clear_claim, _due_from, _locked, _move, _set_clock


@transaction.atomic
def submission_appeal(*, actor, submission: OutputSubmission, note: str) -> Appeal:
    """Appeal a rejection once, when the terms allow it; a different reviewer decides."""
    submission = _locked(submission)
    if submission.participant_id != actor.pk:
        raise NotAllowed("Only the participant who submitted this output can appeal.")
    note = (note or "").strip()
    if not note:
        raise DomainError("Say why the decision should change.", field="note")
    if not submission.terms_version.appeals_allowed:
        raise DomainError(
            f"Terms version {submission.terms_version.number} do not allow appeals.",
            code="no_appeals",
        )
    if Appeal.objects.filter(submission=submission).exists():
        raise DomainError("A rejection can be appealed once; the appeal was decided.")
    _move(submission, Status.APPEALED, message="Only a rejected output can be appealed.")
    now = timezone.now()
    appeal = Appeal.objects.create(submission=submission, note=note, filed_at=now)
    _set_clock(submission, _due_from(submission.terms_version, now))
    _clear_claim(submission)
    submission.save()
    _audit("approvals.submission.appealed", submission, actor=actor, appeal=appeal.pk)
    rejected_by = (
        ReviewDecision.objects.filter(submission=submission, outcome=Outcome.REJECTED)
        .order_by("-decided_at")
        .values_list("reviewer_id", flat=True)
        .first()
    )
    due = f" Decide it by {submission.due_at:%d %b %Y %H:%M} UTC." if submission.due_at else ""
    # Everyone who may decide the appeal hears of it: the programme's reviewers and
    # managers, except the reviewer whose rejection is appealed and the participant.
    for person in policy.staff_of(submission.programme, policy.REVIEW):
        if person.pk in (rejected_by, actor.pk):
            continue
        notify(
            user=person,
            subject=f"Appeal to decide: “{submission.title}”",
            body=f"{actor.get_full_name() or actor.email} appealed the rejection of "
            f"“{submission.title}” in {submission.programme.name}.{due}",
            url=reverse("approvals:detail", args=[submission.pk]),
            dedupe_key=f"approvals:appealed:{submission.pk}:{person.pk}",
            programme=submission.programme,
        )
    return appeal
