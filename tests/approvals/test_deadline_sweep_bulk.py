"""The deadline sweep deems many items approved at once, a chunk per transaction, and each
still gets everything a single deemed approval gets."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse

from approvals import services
from approvals.models import OutputSubmission, ReviewDecision
from audit.models import AuditEvent
from audit.selectors import verify_log
from core.errors import DomainError
from core.models import OutboxMessage
from integrations.models import WebhookDelivery, WebhookEndpoint
from tests.factories import make_participant

N = 12


@pytest.fixture
def many(programme, submit, monkeypatch):
    """N submissions of two participants, all due by `later`; chunks of 5 (three of them)."""
    monkeypatch.setattr(services.deadlines, "DEEM_CHUNK", 5)
    people = [
        make_participant(programme, email="swimmer@example.com"),
        make_participant(programme, email="diver@example.com"),
    ]
    items = [submit(people[i % 2], title=f"Lap {i}") for i in range(N)]
    later = max(s.due_at for s in items) + timedelta(minutes=1)
    return items, people, later


def _hook(programme, manager):
    return WebhookEndpoint.objects.create(
        programme=programme,
        created_by=manager,
        url="https://hooks.example.org/tt",
        events=["submission.deemed_approved"],
        secret="s" * 64,
    )


def test_many_items_due_at_once_each_get_a_decision_certificate_event_notice_and_webhook(
    many, programme, manager, client
):
    items, people, later = many
    hook = _hook(programme, manager)
    before = AuditEvent.objects.count()
    counts = services.deadlines_sweep(now=later)
    assert counts["deemed_approved"] == N
    tokens = set()
    for s in items:
        s.refresh_from_db()
        assert s.status == OutputSubmission.Status.DEEMED_APPROVED and s.decided_at == later
        decision = s.decisions.get()
        assert decision.outcome == "deemed_approved" and decision.reviewer is None
        assert "72 hours that terms version 1 promise" in decision.note
        tokens.add(s.verify_token)
        page = client.get(reverse("approvals:verify", args=[s.verify_token])).content.decode()
        assert "Deemed approved" in page and s.content_hash in page
        event = AuditEvent.objects.get(action="approvals.submission.decided", object_id=str(s.pk))
        assert event.subject_id == s.participant_id and event.programme_id == programme.pk
        assert event.data == {
            "status": "deemed_approved",
            "decision": decision.pk,
            "stage": "review",
            "outcome": "deemed_approved",
            "reason": "",
            "terms_version": 1,
        }
        message = OutboxMessage.objects.get(dedupe_key=f"approvals:decided:{decision.pk}")
        assert message.recipient_id == s.participant_id
        assert f"“{s.title}” is deemed approved" in message.body
        assert message.url == reverse("approvals:output", args=[s.pk])
    assert len(tokens) == N and None not in tokens
    assert AuditEvent.objects.count() == before + N
    deliveries = WebhookDelivery.objects.filter(endpoint=hook, event="submission.deemed_approved")
    assert sorted(json.loads(d.body)["data"]["submission"] for d in deliveries) == sorted(
        s.pk for s in items
    )
    result = verify_log(records=False)
    assert result.ok and result.checked == AuditEvent.objects.count()


def test_the_bulk_sweep_writes_the_events_one_by_one_writes_would_make(many, monkeypatch):
    """Same keyed hashes, same bound decisions as `record` one at a time."""
    from audit import services as audit

    items, _, later = many
    services.deadlines_sweep(now=later)
    fields = ("action", "object_id", "record_hash", "record_fields", "hash")
    events = list(AuditEvent.objects.order_by("id"))[-N:]
    bulk = [tuple(getattr(e, f) for f in fields) for e in events]
    with transaction.atomic():
        sid = transaction.savepoint()
        if connection.vendor == "postgresql":  # the append-only trigger, off in this savepoint
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        AuditEvent.objects.filter(pk__in=[e.pk for e in events])._raw_delete(AuditEvent.objects.db)
        for e in events:
            monkeypatch.setattr(audit.timezone, "now", lambda e=e: e.created_at)
            audit.record(
                action=e.action,
                obj=OutputSubmission.objects.get(pk=e.object_id),
                binds=ReviewDecision.objects.get(pk=e.data["decision"]),
                programme=e.programme,
                subject=e.subject,
                data=e.data,
            )
        one_by_one = list(AuditEvent.objects.order_by("id").values_list(*fields))[-N:]
        transaction.savepoint_rollback(sid)
    assert one_by_one == bulk


def test_a_second_sweep_finds_nothing_and_writes_nothing(many):
    items, _, later = many
    services.deadlines_sweep(now=later)
    rows = (
        ReviewDecision.objects.count(),
        AuditEvent.objects.count(),
        OutboxMessage.objects.count(),
    )
    again = services.deadlines_sweep(now=later + timedelta(minutes=5))
    assert again == {"deemed_approved": 0, "escalated": 0, "reminded": 0, "released": 0}
    assert rows == (
        ReviewDecision.objects.count(),
        AuditEvent.objects.count(),
        OutboxMessage.objects.count(),
    )


def test_a_decision_a_reviewer_made_first_stands_and_appeals_are_never_deemed(
    many, reviewer, reasons
):
    items, people, later = many
    decided = items[0]
    services.submission_claim(actor=reviewer, submission=decided)
    services.submission_decide(
        submission=decided, actor=reviewer, outcome="rejected", reason=reasons["quality"]
    )
    counts = services.deadlines_sweep(now=later)
    assert counts["deemed_approved"] == N - 1
    decided.refresh_from_db()
    assert decided.status == OutputSubmission.Status.REJECTED
    assert [d.outcome for d in decided.decisions.all()] == ["rejected"]
    services.submission_appeal(actor=decided.participant, submission=decided, note="Please look.")
    decided.refresh_from_db()
    assert services.deadlines_sweep(now=decided.due_at + timedelta(minutes=1)) == {
        "deemed_approved": 0,
        "escalated": 1,
        "reminded": 0,
        "released": 0,
    }


def test_the_sweep_runs_from_the_periodic_task_over_every_item_due(many, monkeypatch):
    from approvals import tasks

    items, _, later = many
    monkeypatch.setattr(services.deadlines.timezone, "now", lambda: later)
    assert tasks.sweep_review_deadlines()["deemed_approved"] == N
    assert tasks.sweep_review_deadlines()["deemed_approved"] == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_reviewer_holding_an_item_while_the_sweep_runs_keeps_it_and_their_decision_stands(
    programme, reviewer, monkeypatch
):
    """PostgreSQL: the sweep skips the row a reviewer has locked (SKIP LOCKED) instead of
    waiting or overwriting; the reviewer's decision lands; the next sweep leaves it."""
    monkeypatch.setattr(services.deadlines, "DEEM_CHUNK", 3)
    person = make_participant(programme, email="racer@example.com")
    items = [
        services.submission_create(
            actor=person,
            programme=programme,
            title=f"Race {i}",
            intended_use="social",
            url=f"https://example.org/race/{i}",
        )
        for i in range(7)
    ]
    held = items[3]
    later = max(s.due_at for s in items) + timedelta(minutes=1)
    locked, swept = threading.Event(), threading.Event()
    outcome = []

    def reviewer_decides():
        try:
            with transaction.atomic():
                submission = OutputSubmission.objects.select_for_update().get(pk=held.pk)
                locked.set()
                swept.wait(timeout=30)
                services.submission_decide(
                    submission=submission, actor=reviewer, outcome="approved"
                )
            outcome.append("decided")
        except DomainError as exc:
            outcome.append(str(exc))
        finally:
            connections.close_all()

    thread = threading.Thread(target=reviewer_decides)
    thread.start()
    assert locked.wait(timeout=30)
    try:
        counts = services.deadlines_sweep(now=later)
    finally:
        swept.set()
        thread.join()
    assert counts["deemed_approved"] == 6
    assert outcome == ["decided"]
    held.refresh_from_db()
    assert held.status == OutputSubmission.Status.APPROVED
    assert [(d.outcome, d.reviewer_id) for d in held.decisions.all()] == [("approved", reviewer.pk)]
    assert services.deadlines_sweep(now=later)["deemed_approved"] == 0
    assert ReviewDecision.objects.filter(submission__in=items).count() == 7
    assert verify_log(records=False).ok
