"""Log lines: JSON with the request id, the person's id, the programme and the action; never
an email, an IBAN, a token or a secret."""

import json
import logging
import re

import pytest

from core.logs import formatter, redact
from participants.services import invitations_create

pytestmark = pytest.mark.django_db


def test_a_request_logs_one_json_line_with_its_id_the_person_the_programme_and_the_action(
    programme, participant, as_user, log_lines
):
    response = as_user(participant).get(f"/portal/programmes/{programme.slug}/")
    assert response.status_code == 200
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f-]{36}", request_id)
    [finished] = [e for e in log_lines() if e["event"] == "request_finished"]
    assert finished["request_id"] == request_id
    assert finished["user_id"] == participant.pk
    assert finished["programme"] == programme.slug
    assert finished["action"] == "participants:programme"
    assert finished["code"] == 200 and finished["level"] == "info"
    assert finished["request"] == "GET /portal/programmes/<slug:slug>/"
    assert "timestamp" in finished and finished["logger"] == "django_structlog.middlewares.request"
    assert participant.email not in json.dumps(log_lines())


def test_a_request_line_names_the_route_never_the_token_in_the_address(
    client, programme, manager, log_lines
):
    invitation = invitations_create(actor=manager, programme=programme, emails=["new@example.org"])[
        0
    ]
    token = invitation.plain_token
    assert client.get(f"/portal/invitations/{token}/").status_code == 200
    client.get(f"/portal/invitations/{token}x/")  # a wrong one: Django logs the path too
    text = "\n".join(json.dumps(e) for e in log_lines())
    assert "/portal/invitations/<str:token>/" in text
    assert token not in text and "new@example.org" not in text


def test_the_plain_format_is_one_readable_line_with_the_same_fields(rf):
    line = formatter("plain").format(
        logging.LogRecord("ops.test", logging.WARNING, __file__, 1, "outbox %s", ("slow",), None)
    )
    assert "\n" not in line and line.startswith("20")
    assert "[warning" in line and "outbox slow" in line and "[ops.test]" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_the_embedded_run_logs_plain_lines_and_production_json(settings):
    assert settings.LOG_FORMAT == "plain"  # tests and `make run` read as a person reads
    assert settings.LOGGING["formatters"]["structured"]["format"] == "plain"


@pytest.mark.parametrize(
    ("said", "hidden"),
    [
        ("mail to ada.lovelace+beta@example.org failed", "ada.lovelace+beta@example.org"),
        ("payee DE89370400440532013000 paid", "DE89370400440532013000"),
        ("payee DE89 3704 0044 0532 0130 00 paid", "DE89 3704 0044 0532 0130 00"),
        ("GET /portal/invitations/Zk3q9WbT1x_PmA2sLr8uVy0c/", "Zk3q9WbT1x_PmA2sLr8uVy0c"),
        (
            "GET /accounts/password/reset/key/1a-cq3x9z-6f0e2b1c4d5a6e7f8a9b/",
            "6f0e2b1c4d5a6e7f8a9b",
        ),
        ("GET /accounts/confirm-email/MQ:1t9Xyz:AbCdEfGhIjKlMnOpQrStUv/", "AbCdEfGhIjKlMnOpQrStUv"),
        ("GET /programmes/?q=my-secret-search&token=abc", "my-secret-search"),
        ("Authorization: Bearer tt_0123456789abcdefghijklmnopqrstuv", "tt_0123456789abcdefghij"),
    ],
)
def test_redaction_masks_emails_ibans_tokens_and_queries(said, hidden):
    assert hidden not in redact(said, [])


def test_redaction_keeps_what_an_operator_needs(settings):
    kept = (
        "GET /programmes/fair-beta/terms/ request_id=0f8fad5b-d9cb-469f-a165-70867728950e "
        "task=core.tasks.retry_pending_outbox at 2026-12-07T14:33:50.809447+00:00 /healthz/ready"
    )
    assert redact(kept, []) == kept


def test_redaction_masks_the_secret_settings(settings):
    settings.METRICS_TOKEN = "metrics-token-that-must-never-be-logged-0123"
    settings.EMAIL_HOST_PASSWORD = "smtp-password-0123"
    line = f"token {settings.METRICS_TOKEN} password {settings.EMAIL_HOST_PASSWORD} key {settings.SECRET_KEY}"
    masked = redact(line)
    for secret in (settings.METRICS_TOKEN, settings.EMAIL_HOST_PASSWORD, settings.SECRET_KEY):
        assert secret not in masked


def test_an_exception_in_a_line_is_redacted_too(log_lines):
    try:
        raise ValueError("could not send to someone@example.com")
    except ValueError:
        logging.getLogger("ops.test").exception("mail failed")
    [entry] = [e for e in log_lines() if e["event"] == "mail failed"]
    assert "ValueError" in entry["exception"]
    assert "someone@example.com" not in json.dumps(entry)


def test_a_task_queued_during_a_request_carries_the_request_id_in_its_headers():
    """django-structlog puts the bound context in the task's headers when it is published;
    the worker binds it to every line of the task (tests/runs: the same id in a web's and a
    worker's lines)."""
    import structlog
    from celery.signals import before_task_publish
    from django_structlog.celery.receivers import CeleryReceiver

    receivers = [r() for _, r in before_task_publish.receivers]
    assert any(isinstance(getattr(r, "__self__", None), CeleryReceiver) for r in receivers)
    headers: dict = {}
    with structlog.contextvars.bound_contextvars(request_id="0f8fad5b-req", user_id=7):
        CeleryReceiver().receiver_before_task_publish(headers=headers, properties={})
    assert headers["__django_structlog__"] == {"request_id": "0f8fad5b-req", "user_id": 7}


def test_a_realistic_flow_logged_at_debug_leaves_no_secret_in_any_line(
    client,
    programme,
    manager,
    participant,
    reviewer,
    settings,
    log_lines,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    """Invitations, log-ins right and wrong, a password reset, two-factor, an API token in
    use, a webhook's secret, bank details, hostile addresses: every line
    logged (JSON, DEBUG) is searched for every secret the flow handled."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.core import mail
    from rest_framework.test import APIClient

    from api.services import token_create
    from programs import services as programme_services
    from tests.api.test_webhooks import Receiver, _register

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.METRICS_TOKEN = "flow-metrics-token-0123456789-abcdefghijkl"
    secrets = {"password": "demo-pass-2024", "metrics token": settings.METRICS_TOKEN}
    with django_capture_on_commit_callbacks(execute=True):
        [invitation] = invitations_create(
            actor=manager, programme=programme, emails=["invitee@example.org"]
        )
    secrets["invitation token"] = invitation.plain_token
    client.get(f"/portal/invitations/{invitation.plain_token}/")
    client.get(f"/portal/invitations/{invitation.plain_token[:-3]}zzz/")  # a guessed one: 404
    client.post("/accounts/login/", {"login": participant.email, "password": "wrong-pass-2024"})
    client.post("/accounts/login/", {"login": participant.email, "password": "demo-pass-2024"})
    secrets["session"] = client.cookies["sessionid"].value
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": participant.email})
    key = re.search(r"/accounts/password/reset/key/(\S+?)/", mail.outbox[-1].body).group(1)
    secrets["reset key"] = key
    client.get(f"/accounts/password/reset/key/{key}/", follow=True)
    client.get("/programmes/?q=" + participant.email)
    # Bank details.
    client.post(
        "/statement/payout-details/",
        {"legal_name": "Ada", "country": "DE", "method": "bank", "iban": "DE89370400440532013000"},
    )
    secrets["iban"] = "DE89370400440532013000"
    # An API token at work, and a webhook's secret.
    _, raw = token_create(actor=participant, name="ci", scope="read")
    secrets["api token"] = raw
    APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/programmes/")
    APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}x").get("/api/v1/programmes/")
    with Receiver([200]) as receiver:
        staff = client.__class__()
        staff.force_login(manager)
        secrets["webhook secret"] = _register(staff, programme, receiver.url)
        draft = programme_services.terms_draft_create(actor=manager, programme=programme)
        with django_capture_on_commit_callbacks(execute=True):
            programme_services.terms_publish(actor=manager, terms=draft)
    # Two-factor: a wrong code, logged in the failure path.
    settings.REQUIRE_STAFF_MFA = True
    totp = generate_totp_secret()
    secrets["totp secret"] = totp
    TOTP.activate(reviewer, totp)
    other = client.__class__()
    other.post("/accounts/login/", {"login": reviewer.email, "password": "demo-pass-2024"})
    other.post("/accounts/2fa/authenticate/", {"code": "123456"})

    lines = log_lines()
    text = "\n".join(json.dumps(line) for line in lines)
    assert len(lines) >= 15
    for person in (participant, manager, reviewer):
        secrets[f"email of {person.pk}"] = person.email
    secrets["invitee's email"] = "invitee@example.org"
    leaks = [what for what, value in secrets.items() if value in text]
    assert leaks == []
    assert "/portal/invitations/<str:token>/" in text
