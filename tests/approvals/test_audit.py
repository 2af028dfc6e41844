"""Every service leaves an audit event about the participant, and the chain still verifies."""

from django.core.management import call_command

from approvals import services
from audit.models import AuditEvent


def test_every_approval_service_leaves_an_audit_event(
    participant, reviewer, second_reviewer, manager, programme, reasons, submit, settings
):
    a = submit(participant, title="A")
    services.submission_claim(actor=reviewer, submission=a)
    services.submission_release(actor=reviewer, submission=a)
    services.submission_decide(
        submission=a, actor=reviewer, outcome="rejected", reason=reasons["safety"]
    )
    services.submission_appeal(actor=participant, submission=a, note="Please")
    b = submit(participant, title="B")
    services.submission_decide(
        submission=b, actor=reviewer, outcome="changes_requested", reason=reasons["brand"]
    )
    services.submission_resubmit(
        actor=participant, previous=b, title="B2", intended_use="social", url="https://x.org/b2"
    )
    c = submit(participant, title="C")
    services.submission_withdraw(actor=participant, submission=c)
    d = submit(participant, title="D")
    services.submission_remind(
        submission=d, now=d.due_at - __import__("datetime").timedelta(hours=1)
    )
    services.submission_escalate(submission=d, now=d.due_at)
    reason = services.reason_code_create(actor=manager, programme=programme, label="Other")
    services.reason_code_set_active(actor=manager, reason=reason, active=False)

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "approvals.submission.submitted",
        "approvals.submission.claimed",
        "approvals.submission.released",
        "approvals.submission.decided",
        "approvals.submission.appealed",
        "approvals.submission.resubmitted",
        "approvals.submission.withdrawn",
        "approvals.submission.reminded",
        "approvals.submission.escalated",
        "approvals.reason.created",
        "approvals.reason.updated",
    } <= actions
    about_participant = AuditEvent.objects.filter(
        action__startswith="approvals.submission", subject=participant
    )
    assert (
        about_participant.count()
        == AuditEvent.objects.filter(action__startswith="approvals.submission").count()
    )
    call_command("audit_verify")
