"""/healthz and /healthz/ready: each part fails with its name, and recovers."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from audit.tasks import sequence
from core import status
from core.models import OutboxMessage
from core.services import notify

from .conftest import BEARER, refuse_the_audit_log, repair

pytestmark = pytest.mark.django_db


def ready(client):
    response = client.get("/healthz/ready", **BEARER)
    assert response.status_code in (200, 503), response.content
    return response


def test_healthz_answers_ok_while_the_database_answers_and_the_log_verifies(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["failing"] == [] and response.json()["checks"]["audit"]["ok"]


def test_healthz_names_the_audit_log_once_it_is_refused_and_recovers_when_it_verifies(
    client, programme
):
    altered = refuse_the_audit_log(programme)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["audit"]
    assert "does not verify" in response.json()["checks"]["audit"]["detail"]
    assert f"event #{altered}" in response.json()["checks"]["audit"]["detail"]
    # Repaired (the operator restored the event): the next run seals and signs, health returns.
    repair(altered)
    assert sequence() == "+1 → 3"  # after the programme's terms and the first event
    assert client.get("/healthz").status_code == 200


def test_healthz_names_the_database_when_it_does_not_answer_without_its_error(client, monkeypatch):
    def down(self, sql, params=None):
        raise OperationalError('connection to server at "db.internal" failed')

    monkeypatch.setattr(CursorWrapper, "execute", down)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database", "audit"]
    assert "db.internal" not in response.content.decode()  # open to anyone: no internals
    monkeypatch.undo()
    assert client.get("/healthz").status_code == 200


def test_ready_is_ok_with_every_part_named_when_tasks_run_in_process(client):
    body = ready(client).json()
    assert body["ok"] is True
    assert list(body["checks"]) == [
        "database",
        "redis",
        "broker",
        "worker",
        "beat",
        "audit",
        "outbox",
    ]


def test_ready_names_the_database_and_recovers(client, monkeypatch):
    def down(self, sql, params=None):
        raise OperationalError("the database went away")

    monkeypatch.setattr(CursorWrapper, "execute", down)
    response = ready(client)
    assert response.status_code == 503 and "database" in response.json()["failing"]
    assert "went away" in response.json()["checks"]["database"]["detail"]
    monkeypatch.undo()
    assert ready(client).status_code == 200


def test_ready_names_redis_when_it_does_not_answer_and_recovers(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = ready(client)
    assert response.status_code == 503 and response.json()["failing"] == ["redis"]
    settings.REDIS_URL = ""
    assert ready(client).status_code == 200


def test_ready_names_the_broker_and_the_workers_when_the_broker_is_down(client, with_broker):
    status.report("beat")
    with_broker.conf.broker_url = "redis://127.0.0.1:1/0"
    response = ready(client)
    assert response.status_code == 503
    assert {"broker", "worker"} <= set(response.json()["failing"])


def test_ready_names_the_worker_when_none_answers_a_ping(client, with_broker, settings):
    status.report("beat")
    response = ready(client)
    assert response.status_code == 503 and response.json()["failing"] == ["worker"]
    check = response.json()["checks"]["worker"]
    assert check["answered"] == 0 and check["wanted"] == 1
    assert "0 of 1 workers answered a ping within 0.2 s" == check["detail"]


def test_ready_names_beat_when_it_has_not_ticked_for_its_stale_time_and_recovers(
    client, with_broker, settings, monkeypatch
):
    from ops import health

    monkeypatch.setattr(health, "_workers", lambda: health.Check(True, "answered"))
    assert ready(client).json()["checks"]["beat"]["detail"] == "beat has never ticked"
    status.report("beat", now=timezone.now() - timedelta(seconds=16))
    response = ready(client)
    assert response.status_code == 503 and response.json()["failing"] == ["beat"]
    # 3 × the shortest interval: the audit sequencer's AUDIT_SEQUENCE_SECONDS (5 s).
    assert response.json()["checks"]["beat"]["stale_after_seconds"] == 15
    status.report("beat")
    assert ready(client).status_code == 200


def test_ready_names_the_audit_log_when_refused(client, programme):
    refuse_the_audit_log(programme)
    response = ready(client)
    assert response.status_code == 503 and response.json()["failing"] == ["audit"]


def test_ready_names_the_audit_sequencer_when_it_lags(client, settings, monkeypatch):
    from audit import health as audit_health

    lagging = audit_health.AuditHealth(True, "", 10, 4, 400.0, 30.0)
    monkeypatch.setattr(audit_health, "status", lambda now=None: lagging)
    settings.HEALTH_AUDIT_MAX_LAG = 300
    response = ready(client)
    assert response.status_code == 503 and response.json()["failing"] == ["audit"]
    assert "400 s" in response.json()["checks"]["audit"]["detail"]
    settings.HEALTH_AUDIT_MAX_LAG = 600
    assert ready(client).status_code == 200


def test_ready_names_the_outbox_when_its_oldest_mail_waited_too_long_and_recovers(
    client, participant, settings
):
    message = notify(user=participant, subject="Stuck", body="x", dedupe_key="health:1")
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.PENDING, created_at=timezone.now() - timedelta(minutes=20)
    )
    settings.HEALTH_OUTBOX_MAX_AGE = 15 * 60
    response = ready(client)
    assert response.status_code == 503 and response.json()["failing"] == ["outbox"]
    assert response.json()["checks"]["outbox"]["pending"] == 1
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.SENT)
    assert ready(client).status_code == 200
