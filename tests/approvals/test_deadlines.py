"""The review clock: deemed approval or escalation when the terms' deadline passes, reminders before."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from approvals import services, tasks
from approvals.models import OutputSubmission, ReviewDecision
from audit.models import AuditEvent
from core.models import OutboxMessage
from participants.models import Participation
from participants.services import pause_start
from programs.models import TermsVersion
from tests.factories import make_staff


def _after_deadline(submission) -> timezone.datetime:
    return submission.due_at + timedelta(minutes=1)


def test_an_item_past_the_deadline_is_deemed_approved_with_a_certificate(
    participant, submit, client
):
    s = submit(participant)
    counts = services.deadlines_sweep(now=_after_deadline(s))
    assert counts["deemed_approved"] == 1
    s.refresh_from_db()
    assert s.status == OutputSubmission.Status.DEEMED_APPROVED
    decision = s.decisions.get()
    assert decision.outcome == ReviewDecision.Outcome.DEEMED_APPROVED and decision.reviewer is None
    assert AuditEvent.objects.filter(
        action="approvals.submission.decided", object_id=str(s.pk)
    ).exists()
    assert "deemed approved" in OutboxMessage.objects.get(recipient=participant).body
    page = client.get(reverse("approvals:verify", args=[s.verify_token])).content.decode()
    assert "Deemed approved" in page and s.content_hash in page


def test_an_item_before_its_deadline_is_left_alone(participant, submit):
    s = submit(participant)
    services.deadlines_sweep(now=s.due_at - timedelta(hours=13))
    s.refresh_from_db()
    assert s.status == OutputSubmission.Status.PENDING


def test_the_periodic_task_is_safe_to_run_twice(participant, submit):
    s = submit(participant)
    OutputSubmission.objects.filter(pk=s.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    first = tasks.sweep_review_deadlines()
    second = tasks.sweep_review_deadlines()
    assert first["deemed_approved"] == 1 and second["deemed_approved"] == 0
    assert ReviewDecision.objects.count() == 1


def test_escalation_when_the_terms_say_escalate_notifies_each_manager_once(
    participant, programme, manager, submit
):
    TermsVersion.objects.filter(programme=programme).update(
        on_missed_deadline=TermsVersion.OnMissedDeadline.ESCALATED
    )
    other_manager = make_staff(programme, "manager", email="manager2@example.com")
    s = submit(participant)
    later = _after_deadline(s)
    assert services.deadlines_sweep(now=later)["escalated"] == 1
    assert services.deadlines_sweep(now=later + timedelta(hours=1))["escalated"] == 0
    s.refresh_from_db()
    assert s.status == OutputSubmission.Status.PENDING and s.escalated_at is not None
    notes = OutboxMessage.objects.filter(subject__startswith="Review deadline missed")
    assert sorted(n.recipient.email for n in notes) == sorted([manager.email, other_manager.email])
    assert AuditEvent.objects.filter(action="approvals.submission.escalated").count() == 1


def test_reviewers_are_reminded_once_before_an_item_falls_due(participant, reviewer, submit):
    s = submit(participant)
    soon = s.due_at - timedelta(hours=2)
    assert services.deadlines_sweep(now=soon)["reminded"] == 1
    assert services.deadlines_sweep(now=soon + timedelta(minutes=30))["reminded"] == 0
    reminder = OutboxMessage.objects.get(subject__startswith="Due soon")
    assert reminder.recipient == reviewer


def test_the_deadline_keeps_running_during_a_pause_and_after_the_participant_withdraws(
    participant, participant2, programme, manager, submit
):
    paused = submit(participant, title="During the pause")
    gone = submit(participant2, title="After withdrawal")
    pause_start(actor=manager, programme=programme, reason="Security incident")
    Participation.objects.filter(user=participant2).update(status=Participation.Status.WITHDRAWN)
    services.deadlines_sweep(now=_after_deadline(gone))
    for s in (paused, gone):
        s.refresh_from_db()
        assert s.status == OutputSubmission.Status.DEEMED_APPROVED


def test_expired_claims_go_back_to_the_queue(participant, reviewer, submit, settings):
    settings.REVIEW_CLAIM_MINUTES = 0
    s = submit(participant)
    services.submission_claim(actor=reviewer, submission=s)
    assert services.deadlines_sweep()["released"] == 1
    s.refresh_from_db()
    assert s.status == OutputSubmission.Status.PENDING and s.claimed_by is None
