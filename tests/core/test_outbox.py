"""Notifications go through an outbox row written with the change, and are sent once."""

import time

import pytest
from django.core import mail
from django.db import transaction

from core.models import OutboxMessage
from core.services import notify
from core.tasks import retry_pending_outbox, send_outbox_message

from ..conftest import wait_for


def test_a_notification_is_sent_after_commit_and_kept(
    participant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=participant, subject="Hello", body="Body", dedupe_key="t:1")
    message = OutboxMessage.objects.get(dedupe_key="t:1")
    assert message.status == OutboxMessage.Status.SENT
    assert [m.to for m in mail.outbox] == [["participant@example.com"]]


def test_the_same_dedupe_key_queues_one_notification(
    participant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=participant, subject="Hello", body="Body", dedupe_key="t:2")
        notify(user=participant, subject="Hello", body="Body", dedupe_key="t:2")
    assert OutboxMessage.objects.filter(dedupe_key="t:2").count() == 1
    assert len(mail.outbox) == 1


def test_sending_twice_sends_once(participant):
    message = notify(user=participant, subject="Hello", body="Body", dedupe_key="t:3")
    assert send_outbox_message(message.pk) == "sent"
    assert send_outbox_message(message.pk) == "skipped"
    assert len(mail.outbox) == 1


def test_nothing_is_queued_when_the_change_rolls_back(
    participant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                notify(user=participant, subject="Hello", body="Body", dedupe_key="t:4")
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert not OutboxMessage.objects.filter(dedupe_key="t:4").exists()
    assert mail.outbox == []


def test_a_failed_send_stays_pending_and_the_sweep_sends_it(participant, settings, monkeypatch):
    message = notify(user=participant, subject="Hello", body="Body", dedupe_key="t:5")
    import core.tasks

    def broken(*a, **k):
        raise OSError("smtp down")

    monkeypatch.setattr(core.tasks, "send_mail", broken)
    assert send_outbox_message(message.pk) == "failed"
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING and "smtp down" in message.last_error
    monkeypatch.undo()
    assert retry_pending_outbox(older_than_seconds=0) == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT and message.attempts == 2


def test_my_notifications_page_lists_only_mine(participant, participant2, as_user):
    notify(user=participant, subject="For me", body="x", dedupe_key="t:6")
    notify(user=participant2, subject="Not for me", body="x", dedupe_key="t:7")
    page = as_user(participant).get("/notifications/").content.decode()
    assert "For me" in page and "Not for me" not in page


# --- With Redis and the real worker (PostgreSQL pass) ----------------------------------


def _mail_files(mail_dir):
    return sorted(p for p in mail_dir.iterdir() if p.is_file())


def _clear(mail_dir):
    for p in _mail_files(mail_dir):
        p.unlink()


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_real_worker_sends_the_outbox_once(celery_worker_process, user_factory):
    mail_dir = celery_worker_process["mail_dir"]
    _clear(mail_dir)
    person = user_factory(email="worker-once@example.com")
    with transaction.atomic():
        message = notify(user=person, subject="Via the worker", body="x", dedupe_key="w:1")
    wait_for(
        lambda: OutboxMessage.objects.get(pk=message.pk).status == "sent",
        what="the worker to send the message",
    )
    send_outbox_message.delay(message.pk)  # a duplicate delivery of the task
    time.sleep(1.5)
    texts = [p.read_text() for p in _mail_files(mail_dir)]
    assert sum("Via the worker" in t for t in texts) == 1


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_outbox_survives_redis_stopped_and_restarted(user_factory, settings, tmp_path):
    """Redis down: the change commits quickly, mail waits; Redis back: each mail sent once.

    The Redis stopped here is a private one (tests/security/private_redis.py) with a worker
    of its own: the shared server on 6379 serves other sessions and must never be stopped.
    """
    from tests.conftest import start_worker, stop_worker
    from tests.security.private_redis import private_redis, use_redis

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    person = user_factory(email="redis-down@example.com")
    with private_redis() as redis, use_redis(redis, settings):
        worker = start_worker("outbox-down", REDIS_URL=redis.url, EMAIL_FILE_PATH=str(mail_dir))
        try:
            redis.stop()
            timings = []
            for i in range(5):
                started = time.monotonic()
                with transaction.atomic():
                    notify(user=person, subject=f"While down {i}", body="x", dedupe_key=f"down:{i}")
                timings.append(time.monotonic() - started)
            print(f"\nFIGURE outbox with Redis down: slowest commit {max(timings):.2f}s of 5")
            assert max(timings) < 5
            pending = OutboxMessage.objects.filter(dedupe_key__startswith="down:", status="pending")
            assert pending.count() == 5
            redis.start()

            def sweep_done():
                # Beat's sweep, once Redis is back, hands the pending rows to the worker.
                try:
                    retry_pending_outbox.delay(0)
                except Exception:  # noqa: BLE001 - the broker may still be reconnecting
                    return False
                time.sleep(1)
                return not pending.exists()

            wait_for(sweep_done, timeout=120, interval=1, what="the sweep to send the pending mail")
            retry_pending_outbox.delay(0)  # a second sweep must not send anything again
            time.sleep(2)
        finally:
            stop_worker(worker)
    texts = [p.read_text() for p in _mail_files(mail_dir)]
    for i in range(5):
        assert sum(f"While down {i}" in t for t in texts) == 1
