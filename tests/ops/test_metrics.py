"""/metrics: never public, and each figure moves with the thing it counts."""

from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone

from api.services import token_create
from approvals.models import OutputSubmission
from audit import sequencer
from audit.services import record
from audit.tasks import sequence
from compensation.models import PayoutBatch
from core.models import OutboxMessage
from core.services import notify
from core.tasks import run_periodic
from integrations.webhooks import DELIVERIES
from ops.metrics import exposition
from tests.api.test_webhooks import Receiver, _register
from tests.audit.tamper import sql as tamper
from tests.factories import ProgrammeFactory

from .conftest import BEARER, TOKEN, parse

pytestmark = pytest.mark.django_db


# --- Who may read them ------------------------------------------------------------------


def test_metrics_are_refused_to_anyone_without_the_token_or_an_allowed_network(client):
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": TOKEN}):
        response = client.get("/metrics", **headers)
        assert response.status_code == 403
        assert b"tt_" not in response.content and b"django_http" not in response.content
        assert "METRICS_TOKEN" in response.json()["detail"]
        assert client.get("/healthz/ready", **headers).status_code == 403
    assert client.get("/metrics", **BEARER).status_code == 200


def test_an_allowed_network_reads_them_without_a_token_but_a_forged_forwarded_for_does_not(
    client, settings
):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    inside = client.get("/metrics", REMOTE_ADDR="10.20.3.4")
    assert inside.status_code == 200 and b"tt_outbox_pending" in inside.content
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    forged = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.20.3.4")
    assert forged.status_code == 403  # the header counts only from the operator's proxies
    settings.TRUSTED_PROXIES = ["192.0.2.1"]
    proxied = client.get("/metrics", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.20.3.4")
    assert proxied.status_code == 200


def test_with_neither_a_token_nor_networks_nobody_reads_them_and_the_deploy_check_says_so(
    client, settings
):
    from ops.apps import metrics_closed

    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403
    assert [w.id for w in metrics_closed()] == ["ops.W001"]


# --- Requests, database, cache (django-prometheus) ------------------------------------


def test_requests_are_counted_with_their_latency_by_view(client, programme, scrape):
    name = "django_http_requests_latency_seconds_by_view_method_count"
    labels = {"view": "transparency:detail", "method": "GET"}
    before = scrape.value(name, **labels)
    assert client.get(f"/programmes/{programme.slug}/").status_code == 200
    assert scrape.value(name, **labels) == before + 1
    samples = scrape()
    assert any(n == "django_db_execute_total" for n, _ in samples)
    assert any(n == "django_http_responses_total_by_status_total" for n, _ in samples)


# --- The domain ------------------------------------------------------------------------


def test_the_outbox_backlog_and_its_oldest_age(participant, scrape):
    assert scrape.value("tt_outbox_pending") == 0
    message = notify(user=participant, subject="Hello", body="x", dedupe_key="metrics:1")
    notify(user=participant, subject="Hello again", body="x", dedupe_key="metrics:2")
    OutboxMessage.objects.update(status=OutboxMessage.Status.PENDING)
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    assert scrape.value("tt_outbox_pending") == 2
    assert 595 < scrape.value("tt_outbox_oldest_pending_age_seconds") < 660
    OutboxMessage.objects.update(status=OutboxMessage.Status.SENT)
    assert scrape.value("tt_outbox_pending") == 0
    assert scrape.value("tt_outbox_oldest_pending_age_seconds") == 0


def test_webhook_deliveries_by_outcome(
    programme, manager, as_user, settings, django_capture_on_commit_callbacks
):
    from integrations.models import WebhookDelivery
    from integrations.tasks import retry_due_webhooks
    from programs import services

    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    before = {o: DELIVERIES.labels(outcome=o)._value.get() for o in ("delivered", "retry")}
    with Receiver([500, 200]) as receiver:
        _register(as_user(manager), programme, receiver.url)
        draft = services.terms_draft_create(actor=manager, programme=programme)
        with django_capture_on_commit_callbacks(execute=True):
            services.terms_publish(actor=manager, terms=draft)
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        retry_due_webhooks()
    samples = parse(exposition(domain=False).decode())
    for outcome in ("delivered", "retry"):
        key = ("tt_webhook_deliveries_total", frozenset({"outcome": outcome}.items()))
        assert samples[key] == before[outcome] + 1, outcome


def test_each_periodic_task_has_its_last_success_and_duration(scrape, monkeypatch):
    task = "core.tasks.retry_pending_outbox"
    assert scrape.value("tt_periodic_last_success_timestamp_seconds", task=task) == 0
    assert scrape.value("tt_periodic_interval_seconds", task=task) == 60
    started = timezone.now().timestamp()
    assert run_periodic.run(task, 60) == f"ran {task}"
    assert started - 1 <= scrape.value("tt_periodic_last_success_timestamp_seconds", task=task)
    assert scrape.value("tt_periodic_last_duration_seconds", task=task) >= 0
    assert scrape.value("tt_periodic_failing", task=task) == 0

    from core import tasks

    def broken(*args, **kwargs):
        raise RuntimeError("the mail server said no")

    monkeypatch.setattr(tasks.retry_pending_outbox, "run", broken)
    from django.core.cache import cache

    cache.delete(f"periodic-lock:{task}")
    with pytest.raises(RuntimeError):
        run_periodic.run(task, 60)
    assert scrape.value("tt_periodic_failing", task=task) == 1


def test_review_items_overdue_per_programme(programme, participant, as_user, scrape):
    client = as_user(participant)
    for n in range(3):
        response = client.post(
            "/api/v1/submissions/",
            {
                "programme": programme.slug,
                "title": f"Clip {n}",
                "intended_use": "social",
                "url": f"https://media.example.org/{n}.mp4",
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
    assert scrape.value("tt_review_items_overdue", programme=programme.slug) == 0
    late = OutputSubmission.objects.order_by("pk")[:2].values_list("pk", flat=True)
    OutputSubmission.objects.filter(pk__in=list(late)).update(
        due_at=timezone.now() - timedelta(hours=1)
    )
    assert scrape.value("tt_review_items_overdue", programme=programme.slug) == 2


def test_payout_lines_by_state(
    participation,
    award,
    approve,
    make_batch,
    scrape,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    approve(award(participation, "12.00"))
    batch = make_batch()
    assert batch.status == PayoutBatch.Status.READY
    assert scrape.value("tt_payout_lines", state="ready") == 1
    PayoutBatch.objects.filter(pk=batch.pk).update(status=PayoutBatch.Status.FAILED)
    assert scrape.value("tt_payout_lines", state="ready") == 0
    assert scrape.value("tt_payout_lines", state="failed") == 1
    batch.lines.update(paid_at=timezone.localdate())
    assert scrape.value("tt_payout_lines", state="paid") == 1


def test_the_audit_log_size_checkpoint_age_and_refusal(db, scrape):
    programme = ProgrammeFactory()  # no terms: no event of its own
    for n in range(3):
        record(action="tests.metrics.event", programme=programme, data={"n": n})
    assert scrape.value("tt_audit_tree_size") == 0
    assert scrape.value("tt_audit_unsequenced") == 3
    assert scrape.value("tt_audit_sequencer_lag_seconds") >= 0
    assert ("tt_audit_checkpoint_age_seconds", frozenset()) not in scrape()
    assert sequence() == "+3 → 3"
    assert scrape.value("tt_audit_tree_size") == 3
    assert scrape.value("tt_audit_unsequenced") == 0
    assert 0 <= scrape.value("tt_audit_checkpoint_age_seconds") < 60
    assert scrape.value("tt_audit_ok") == 1
    assert scrape.value("tt_audit_sequencer_lag_seconds") == 0
    event = record(action="tests.metrics.event", programme=programme, data={"n": 4})
    tamper("UPDATE audit_auditevent SET data_json = %s WHERE id = %s", ['{"n":"x"}', event.pk])
    with pytest.raises(sequencer.LogBroken):
        sequence()
    assert scrape.value("tt_audit_ok") == 0


def test_rate_limit_refusals_and_failed_log_ins(client, participant, scrape, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/ip"}
    refused = ("tt_rate_limit_refusals_total", {"view": "account_login"})
    failures_before = scrape.value("tt_logins_total", outcome="failure")
    refusals_before = scrape.value(refused[0], **refused[1])
    codes = [
        client.post(
            "/accounts/login/", {"login": participant.email, "password": f"guess-{n}"}
        ).status_code
        for n in range(5)
    ]
    assert codes.count(429) >= 1
    assert scrape.value(refused[0], **refused[1]) == refusals_before + codes.count(429)
    assert scrape.value("tt_logins_total", outcome="failure") == failures_before + codes.count(200)


def test_the_api_throttle_refusals_are_counted_too(participant, scrape, settings, monkeypatch):
    from rest_framework.settings import api_settings
    from rest_framework.test import APIClient
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**api_settings.DEFAULT_THROTTLE_RATES, "token": "2/min"},
    )
    _, raw = token_create(actor=participant, name="ci", scope="read")
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    before = scrape.value("tt_rate_limit_refusals_total", view="api:programmes")
    codes = [api.get("/api/v1/programmes/").status_code for _ in range(4)]
    assert codes.count(429) == 2
    assert scrape.value("tt_rate_limit_refusals_total", view="api:programmes") == before + 2


def test_log_ins_and_two_factor_failures(client, reviewer, scrape, settings):
    settings.REQUIRE_STAFF_MFA = True
    TOTP.activate(reviewer, generate_totp_secret())
    logins = scrape.value("tt_logins_total", outcome="success")
    failures = scrape.value("tt_two_factor_failures_total")
    response = client.post(
        "/accounts/login/", {"login": reviewer.email, "password": "demo-pass-2024"}
    )
    assert "/accounts/2fa/authenticate/" in response["Location"]
    assert client.post("/accounts/2fa/authenticate/", {"code": "000000"}).status_code == 200
    assert scrape.value("tt_two_factor_failures_total") == failures + 1
    assert scrape.value("tt_logins_total", outcome="success") == logins  # not in yet
    client.force_login(reviewer)  # Django's own log-in sends the same signal allauth's does
    assert scrape.value("tt_logins_total", outcome="success") == logins + 1


def test_incidents_open_by_kind(scrape, settings):
    from ops.models import Incident

    assert scrape.value("tt_incidents_open", kind="beat_stale") == 0
    Incident.objects.create(kind="beat_stale", key="beat", summary="x", opened_at=timezone.now())
    assert scrape.value("tt_incidents_open", kind="beat_stale") == 1


def test_a_part_that_cannot_be_read_is_left_out_and_counted_the_rest_still_served(
    scrape, monkeypatch
):
    from ops import selectors

    def down():
        raise OSError("broker unreachable")

    monkeypatch.setattr(selectors, "uses_broker", lambda: True)
    monkeypatch.setattr(selectors, "queue_depths", down)
    assert scrape.value("tt_metrics_collect_errors", part="queues") == 1
    assert scrape.value("tt_metrics_collect_errors", part="outbox") == 0
    assert ("tt_outbox_pending", frozenset()) in scrape()
    assert TOKEN  # the fixture's token is what the scrapes sent


def test_a_workers_metrics_port_answers_only_with_the_token(settings):
    import socket
    import urllib.error
    import urllib.request

    from ops import serve

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        settings.METRICS_PORT = s.getsockname()[1]
    settings.METRICS_BIND_ADDRESS = "127.0.0.1"
    server = serve.serve_metrics("worker")
    try:
        url = f"http://127.0.0.1:{settings.METRICS_PORT}/metrics"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=5)
        assert refused.value.code == 403
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
        body = urllib.request.urlopen(request, timeout=5).read().decode()
        assert "tt_webhook_deliveries_total" in body or "tt_celery_tasks" in body
        assert "tt_outbox_pending" not in body  # the database's figures are the webs' to serve
        # A second process on the same port is told, and goes on without its metrics.
        assert serve.serve_metrics("worker") is None
    finally:
        server.shutdown()
        server.server_close()


def test_production_refuses_a_short_metrics_token_and_metrics_open_to_every_address():
    from tests.core.test_settings import PROD_OK, _manage

    short = _manage("check", **{**PROD_OK, "METRICS_TOKEN": "short"})
    assert short.returncode != 0 and "METRICS_TOKEN must be 32" in short.stderr
    everyone = _manage("check", **{**PROD_OK, "METRICS_ALLOWED_NETWORKS": "10.0.0.0/8,0.0.0.0/0"})
    assert everyone.returncode != 0
    assert "must not open the metrics to every address" in everyone.stderr
    closed = _manage(
        "check", "--deploy", **{k: v for k, v in PROD_OK.items() if k != "METRICS_TOKEN"}
    )
    assert "ops.W001" in closed.stderr + closed.stdout
