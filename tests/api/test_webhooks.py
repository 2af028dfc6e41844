"""Webhooks reach a real local HTTP receiver, signed; a failure is retried; every try is logged."""

import http.server
import json
import re
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import WebhookDelivery, WebhookEndpoint
from integrations.tasks import retry_due_webhooks
from integrations.webhooks import verify_signature
from programs import services


class Receiver:
    """An HTTP server on 127.0.0.1 that records requests and answers with scripted codes."""

    def __init__(self, codes):
        self.codes = list(codes)
        self.received = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                outer.received.append((self.headers, body))  # case-insensitive
                code = outer.codes.pop(0) if outer.codes else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings):
    """The receivers here listen on 127.0.0.1, which the operator must allow by name."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def receiver():
    with Receiver([500, 200]) as r:
        yield r


def _register(client, programme, url):
    page = client.post(
        f"/staff/programmes/{programme.slug}/webhooks/", {"url": url, "events": ["terms.published"]}
    ).content.decode()
    return re.search(r'id="webhook-secret">([0-9a-f]+)<', page).group(1)


def test_a_signed_delivery_fails_once_is_retried_with_backoff_and_logged(
    programme, manager, as_user, receiver, django_capture_on_commit_callbacks
):
    secret = _register(as_user(manager), programme, receiver.url)
    draft = services.terms_draft_create(actor=manager, programme=programme)
    with django_capture_on_commit_callbacks(execute=True):
        services.terms_publish(actor=manager, terms=draft)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=20)  # backoff
    assert retry_due_webhooks() == 0  # not due yet
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert retry_due_webhooks() == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 200]
    assert len(receiver.received) == 2
    for headers, body in receiver.received:
        assert verify_signature(secret, headers["X-TT-Signature"], body)
        assert not verify_signature("wrong-secret", headers["X-TT-Signature"], body)
        assert json.loads(body)["event"] == "terms.published"
    assert json.loads(receiver.received[0][1])["data"]["number"] == 2
    print(
        f"\nFIGURE webhooks: {len(receiver.received)} deliveries to a local receiver, 1 retried, signatures verified"
    )


def test_a_delivery_can_be_sent_again_by_hand(
    programme, manager, as_user, receiver, django_capture_on_commit_callbacks
):
    _register(as_user(manager), programme, receiver.url)
    receiver.codes = [200, 200]
    draft = services.terms_draft_create(actor=manager, programme=programme)
    with django_capture_on_commit_callbacks(execute=True):
        services.terms_publish(actor=manager, terms=draft)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered"
    with django_capture_on_commit_callbacks(execute=True):
        as_user(manager).post(
            f"/staff/programmes/{programme.slug}/webhooks/", {"redeliver": delivery.pk}
        )
    delivery.refresh_from_db()
    assert delivery.attempt_log.count() == 2 and len(receiver.received) == 2
    page = as_user(manager).get(f"/staff/programmes/{programme.slug}/webhooks/").content.decode()
    assert "Delivered" in page and "200" in page


def test_a_webhook_with_an_unknown_event_or_bad_url_is_refused(programme, manager, as_user):
    response = as_user(manager).post(
        f"/staff/programmes/{programme.slug}/webhooks/", {"url": "ftp://x", "events": ["nope"]}
    )
    assert response.status_code == 400 and not WebhookEndpoint.objects.exists()


def test_an_unreachable_receiver_is_logged_and_retried(
    programme, manager, as_user, django_capture_on_commit_callbacks
):
    _register(as_user(manager), programme, "http://127.0.0.1:9/nothing-listens")
    draft = services.terms_draft_create(actor=manager, programme=programme)
    with django_capture_on_commit_callbacks(execute=True):
        services.terms_publish(actor=manager, terms=draft)
    delivery = WebhookDelivery.objects.get()
    attempt = delivery.attempt_log.get()
    assert delivery.status == "pending" and attempt.status_code is None and attempt.error


def test_a_decision_and_a_deemed_approval_are_sent_to_their_webhooks(
    programme, manager, reviewer, participant, as_user, receiver, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from approvals import services as approvals
    from approvals.models import OutputSubmission

    receiver.codes = [200] * 5
    as_user(manager).post(
        f"/staff/programmes/{programme.slug}/webhooks/",
        {"url": receiver.url, "events": ["submission.decided", "submission.deemed_approved"]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        first = approvals.submission_create(
            actor=participant,
            programme=programme,
            title="a",
            intended_use="social",
            url="https://e.org/a",
        )
        approvals.submission_claim(actor=reviewer, submission=first)
        approvals.submission_decide(submission=first, actor=reviewer, outcome="approved")
        late = approvals.submission_create(
            actor=participant,
            programme=programme,
            title="b",
            intended_use="social",
            url="https://e.org/b",
        )
        OutputSubmission.objects.filter(pk=late.pk).update(
            due_at=timezone.now() - timedelta(hours=1)
        )
        approvals.submission_deem_approved(submission=OutputSubmission.objects.get(pk=late.pk))
    events = [json.loads(body)["event"] for _, body in receiver.received]
    assert events == ["submission.decided", "submission.deemed_approved"]
