"""A Celery worker killed with SIGKILL mid-task: the task runs again, nothing is sent twice."""

import signal
import time

import pytest
from django.db import transaction

from core.models import OutboxMessage
from core.services import notify

from ..conftest import start_worker, stop_worker, summarise, wait_for


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_leaves_the_mail_to_be_sent_exactly_once(
    user_factory, celery_worker_process
):
    stop_worker(celery_worker_process)  # only the workers of this test consume now
    try:
        slow = start_worker(
            "doomed",
            EMAIL_BACKEND="tests.support.slow_mail.SlowFileBackend",
            SLOW_MAIL_SECONDS="30",
            CELERY_VISIBILITY_TIMEOUT="3",
        )
        mail_dir = slow["mail_dir"]
        for p in mail_dir.iterdir():
            p.unlink()
        person = user_factory(email="killed@example.com")
        with transaction.atomic():
            message = notify(
                user=person, subject="Survives a SIGKILL", body="x", dedupe_key="kill:1"
            )
        wait_for(
            lambda: "send_outbox_message" in open(slow["log"].name).read(),
            what="the worker to start the task",
        )
        time.sleep(1)
        slow["proc"].send_signal(signal.SIGKILL)
        slow["proc"].wait(timeout=10)
        slow["log"].close()
        assert OutboxMessage.objects.get(pk=message.pk).status == "pending"
        fresh = start_worker(
            "fresh",
            CELERY_VISIBILITY_TIMEOUT="3",
            CELERY_RESTORE_INTERVAL="1",
            CELERY_RESTORE_THROTTLE="1",
        )
        try:
            wait_for(
                lambda: OutboxMessage.objects.get(pk=message.pk).status == "sent",
                timeout=60,
                what="the redelivered task to send the mail",
            )
            time.sleep(2)
        finally:
            stop_worker(fresh)
        sent = [p for p in mail_dir.iterdir() if "Survives a SIGKILL" in p.read_text()]
        assert len(sent) == 1
        summarise(faults=1, lost=0, doubled=len(sent) - 1)
        print(
            "\nFIGURE worker SIGKILL mid-send: 1 fault injected, task redelivered, mail sent 1 time (0 lost, 0 doubled)"
        )
    finally:
        celery_worker_process.update(start_worker("session"))
