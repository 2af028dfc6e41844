"""Faults while people work: Redis stopped, the database dropping the connection mid-request.

**Redis stopped while 100 decisions are made.** A private `redis-server` (tests/security/
private_redis.py; the shared one on 6379 is never touched) is the broker and the cache of
this process and of a real Celery worker of its own. It is stopped; reviewers decide 100
outputs, half through the review page and half through the API. Every request must answer
within 5 s and every decision must be stored with its audit event and its outbox row. Then
Redis starts again, the worker reconnects, beat's sweep (`retry_pending_outbox`) is queued
as beat would, and every participant's mail must arrive exactly once — also after a
second sweep and a duplicate delivery of every send task.

**The database dropping the connection mid-request.** A restart of PostgreSQL terminates
every backend (SQLSTATE 57P01, "terminating connection due to administrator command").
The test does exactly that to the server process serving the request, at the worst moment:
inside the service's transaction, after the decision (or ledger line) was written and
before its audit event. `pg_terminate_backend` on the request's own backend is a faithful
stand-in for a restart as the application sees it, without stopping a server others use.
The page must be the 500 template, nothing of the change may remain (no decision without
its audit event, no ledger line without its event), and the next request must work.

Figure: faults injected, requests, slowest answer, records lost, records doubled.
"""

import email
import email.policy
import time
from decimal import Decimal

import pytest
import requests
from django.db import connection
from rest_framework.test import APIClient

from api.services import token_create
from approvals import services as approvals
from approvals.models import OutputSubmission, ReviewDecision
from audit.models import AuditEvent
from audit.selectors import verify_log
from compensation.models import LedgerEntry
from core.models import OutboxMessage
from core.tasks import retry_pending_outbox, send_outbox_message
from tests.conftest import ROOT, start_worker, stop_worker, summarise, wait_for
from tests.factories import make_participant

from .private_redis import private_redis, use_redis

pytestmark = [pytest.mark.postgres]

DECISIONS = 100


def _mail_subjects(mail_dir) -> list[str]:
    subjects = []
    for path in sorted(p for p in mail_dir.iterdir() if p.is_file()):
        for chunk in path.read_text().split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                message = email.message_from_string(chunk.strip(), policy=email.policy.default)
                subjects.append(str(message["subject"]))
    return subjects


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_redis_stopped_while_100_decisions_are_made(
    client, programme, reviewer, settings, tmp_path
):
    settings.REQUIRE_STAFF_MFA = False
    participant = make_participant(programme, email="faulted@example.com")
    _, token = token_create(actor=reviewer, name="faults", scope="write")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.force_login(reviewer)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    timings, answers = [], {}
    with private_redis() as redis, use_redis(redis, settings):
        worker = start_worker("faults", REDIS_URL=redis.url, EMAIL_FILE_PATH=str(mail_dir))
        try:
            submissions = [
                approvals.submission_create(
                    actor=participant,
                    programme=programme,
                    title=f"Fault {i:03d}",
                    intended_use="social",
                    url=f"https://example.org/fault/{i}",
                )
                for i in range(DECISIONS)
            ]
            # What was queued before the fault is sent first, so the count below is clean.
            wait_for(
                lambda: not OutboxMessage.objects.filter(status="pending").exists(),
                timeout=60,
                what="the worker to send what was queued before the fault",
            )
            redis.stop()
            assert not redis.up()
            for i, s in enumerate(submissions):
                started = time.monotonic()
                if i % 2:
                    response = api.post(
                        f"/api/v1/submissions/{s.pk}/decide/",
                        {"outcome": "approved"},
                        format="json",
                    )
                else:
                    response = client.post(
                        f"/review/{s.pk}/decide/", {"outcome": "approved", "note": ""}
                    )
                timings.append(time.monotonic() - started)
                answers[response.status_code] = answers.get(response.status_code, 0) + 1
            slowest = max(timings)
            decided = ReviewDecision.objects.filter(submission__in=submissions).count()
            events = AuditEvent.objects.filter(action="approvals.submission.decided").count()
            pending = OutboxMessage.objects.filter(
                dedupe_key__startswith="approvals:decided:", status="pending"
            ).count()
            assert sorted(answers) in ([200, 302], [302, 200]), answers
            assert slowest < 5, f"slowest answer {slowest:.2f}s"
            assert (decided, events, pending) == (DECISIONS, DECISIONS, DECISIONS)

            redis.start()

            def sweep_done():
                # Beat's sweep, queued as beat would; the worker may still be reconnecting.
                try:
                    retry_pending_outbox.delay(0)
                except Exception:  # noqa: BLE001 - the broker connection is being re-made
                    return False
                time.sleep(2)
                return not OutboxMessage.objects.filter(status="pending").exists()

            wait_for(sweep_done, timeout=120, interval=1, what="every pending mail to be sent")
            # A second sweep and a duplicate of every send task must not send anything again.
            retry_pending_outbox.delay(0)
            for message in OutboxMessage.objects.filter(
                dedupe_key__startswith="approvals:decided:"
            ):
                send_outbox_message.delay(message.pk)
            wait_for(lambda: _queue_empty(redis), timeout=60, what="the duplicates to be run")
            time.sleep(2)  # the last task taken off the queue finishes
        finally:
            stop_worker(worker)
    subjects = _mail_subjects(mail_dir)
    counts = {s.title: sum(f"“{s.title}”" in subject for subject in subjects) for s in submissions}
    lost = sum(n == 0 for n in counts.values())
    doubled = sum(n - 1 for n in counts.values() if n > 1)
    summarise(faults=1, lost=lost, doubled=doubled)
    print(
        f"\nFIGURE fault, Redis stopped: {DECISIONS} decisions made (page and API) while "
        f"Redis was down; slowest answer {slowest:.2f}s; {decided} decisions stored; after the "
        f"restart {DECISIONS - lost} mails delivered, {lost} lost, {doubled} doubled"
    )
    assert (lost, doubled) == (0, 0), counts
    assert verify_log(records=False).ok


def _queue_empty(redis) -> bool:
    return redis._cli("llen", "celery").stdout.strip() == "0"


# --- The database connection dropped mid-request -----------------------------------------


def _terminate_own_backend_then(original):
    """Wrap `record`: the first call kills the request's database session, as a restart does."""
    state = {"fired": 0}

    def record(*args, **kwargs):
        if not state["fired"]:
            state["fired"] += 1
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return original(*args, **kwargs)

    return record, state


def _session(live_server, client, user):
    client.force_login(user)
    s = requests.Session()
    s.cookies.set("sessionid", client.cookies["sessionid"].value)
    s.get(f"{live_server.url}/portal/", timeout=10)
    return s


def _post(s, live_server, path, data):
    token = s.cookies.get("csrftoken")
    return s.post(
        f"{live_server.url}{path}",
        data={**data, "csrfmiddlewaretoken": token},
        headers={"Referer": live_server.url + path},
        allow_redirects=False,
        timeout=15,
    )


@pytest.mark.django_db(transaction=True)
def test_the_database_dropping_the_connection_mid_request_leaves_nothing_half_written(
    live_server, client, programme, participant, reviewer, manager, settings, monkeypatch
):
    from approvals import services as approval_services
    from compensation import services as pay_services

    settings.REQUIRE_STAFF_MFA = False
    submission = approvals.submission_create(
        actor=participant,
        programme=programme,
        title="Cut off",
        intended_use="social",
        url="https://example.org/cut-off.mp4",
    )
    faults, lost, doubled, half = 0, 0, 0, []

    # 1. A decision: the row is written, then the connection dies before the audit event.
    reviewer_session = _session(live_server, client, reviewer)
    wrapped, fired = _terminate_own_backend_then(approval_services.workflow.record)
    monkeypatch.setattr(approval_services.workflow, "record", wrapped)
    response = _post(
        reviewer_session, live_server, f"/review/{submission.pk}/decide/", {"outcome": "approved"}
    )
    faults += fired["fired"]
    assert fired["fired"] == 1
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    submission.refresh_from_db()
    decided_events = AuditEvent.objects.filter(
        action="approvals.submission.decided", object_id=str(submission.pk)
    )
    state = (
        submission.status,
        ReviewDecision.objects.filter(submission=submission).count(),
        decided_events.count(),
        OutboxMessage.objects.filter(dedupe_key__startswith="approvals:decided:").count(),
    )
    if state != ("pending", 0, 0, 0):
        half.append(f"decision: {state}")
    # The next request works and records the decision once, with everything that goes with it.
    monkeypatch.undo()
    response = _post(
        reviewer_session, live_server, f"/review/{submission.pk}/decide/", {"outcome": "approved"}
    )
    assert response.status_code == 302, response.text[:2000]
    submission.refresh_from_db()
    after = (
        submission.status,
        ReviewDecision.objects.filter(submission=submission).count(),
        decided_events.count(),
        OutboxMessage.objects.filter(dedupe_key__startswith="approvals:decided:").count(),
    )
    assert after == ("approved", 1, 1, 1)

    # 2. A prize: the ledger line is written, then the connection dies before its audit event.
    manager_session = _session(live_server, client, manager)
    award_page = manager_session.get(f"{live_server.url}/finance/awards/new/", timeout=10)
    assert award_page.status_code == 200
    wrapped, fired = _terminate_own_backend_then(pay_services.ledger.record)
    monkeypatch.setattr(pay_services.ledger, "record", wrapped)
    form = {
        "programme": programme.pk,
        "participant_email": participant.email,
        "kind": "prize",
        "amount": "25.00",
        "currency": "EUR",
        "reason": "Best bug of the week",
        "once": "fault-award-1",  # the form's per-render token (core.forms.SubmitOnce)
    }
    response = _post(manager_session, live_server, "/finance/awards/new/", form)
    faults += fired["fired"]
    assert fired["fired"] == 1 and response.status_code == 500
    entries = LedgerEntry.objects.filter(description__endswith="Best bug of the week")
    award_events = AuditEvent.objects.filter(action="compensation.entry.accrued")
    if entries.exists() or award_events.exists():
        half.append(f"award: {entries.count()} entries, {award_events.count()} events")
    monkeypatch.undo()
    # The manager resends the same form (same token): it lands once.
    response = _post(manager_session, live_server, "/finance/awards/new/", form)
    assert response.status_code == 302, response.text[:2000]
    response = _post(manager_session, live_server, "/finance/awards/new/", form)
    assert entries.count() == 1 and entries.get().amount == Decimal("25.00")
    doubled += entries.count() - 1
    lost += 1 - entries.count()
    assert verify_log(records=False).ok
    summarise(faults=faults, lost=lost, doubled=doubled)
    print(
        f"\nFIGURE fault, database connection dropped mid-request: {faults} faults injected "
        f"(decision, prize), {faults} error pages, {len(half)} half-written changes, next "
        f"request worked, {lost} lost, {doubled} doubled"
    )
    assert half == []
    assert OutputSubmission.objects.get(pk=submission.pk).status == "approved"
    assert (ROOT / "templates" / "500.html").exists()
