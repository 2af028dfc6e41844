"""Signed webhooks: services send their programme's signals (`programs.signals`), `emit`
queues a delivery for every endpoint listening, and a task delivers, logs and retries with
backoff.

Signature: header `X-TT-Signature: t=<unix time>,v1=<hex>` where v1 is
HMAC-SHA256(secret, "<t>.<body>"). Receivers recompute it and reject old `t`.
"""

import hashlib
import hmac
import http.client
import json
import secrets
import time
import uuid
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from prometheus_client import Counter

from audit.services import record
from core import outbound
from core.errors import DomainError
from core.services import enqueue_after_commit
from programs import policy, signals

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

# Counted in the process that tries (a worker); its metrics port serves it (ops.serve).
DELIVERIES = Counter(
    "tt_webhook_deliveries",
    "Webhook delivery attempts by outcome: delivered, retry (will try again), failed (gave up).",
    ["outcome"],
)

TIMEOUT_SECONDS = 5
BACKOFF_BASE_SECONDS = 30


def sign(secret: str, timestamp: int, body: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return mac.hexdigest()


def signature_header(secret: str, body: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify_signature(secret: str, header: str, body: str, *, tolerance: int = 300) -> bool:
    """What a receiver does (and what the tests and docs/reference/api.md describe)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), sign(secret, timestamp, body))


@transaction.atomic
def endpoint_create(*, actor, programme, url: str, events: list[str]) -> WebhookEndpoint:
    policy.require(actor, "manage", programme)
    unknown = set(events) - set(WebhookEndpoint.Event.values)
    if not events or unknown:
        raise DomainError("Choose one or more known events.", field="events")
    outbound.check_url(url)  # refused when it points inside; checked again at delivery
    endpoint = WebhookEndpoint.objects.create(
        programme=programme,
        url=url,
        events=sorted(events),
        secret=secrets.token_hex(32),
        created_by=actor,
    )
    record(
        action="core.webhook.registered",
        obj=endpoint,
        actor=actor,
        programme=programme,
        data={"url": url, "events": endpoint.events},
    )
    return endpoint


def emit(*, programme, event: str, data: dict, batch: dict | None = None) -> int:
    """Queue `event` for every active endpoint of `programme` that listens to it.

    Call inside the service's transaction: deliveries exist if and only if the
    change does, and are sent after commit. Within one `ProgrammeSignal.send_many` batch
    the endpoints are looked up once.
    """
    key = ("integrations.webhooks", programme.pk, event)
    endpoints = None if batch is None else batch.get(key)
    if endpoints is None:
        endpoints = [
            e
            for e in WebhookEndpoint.objects.filter(programme=programme, active=True)
            if event in e.events
        ]
        if batch is not None:
            batch[key] = endpoints
    for endpoint in endpoints:
        body = json.dumps(
            {
                "id": uuid.uuid4().hex,
                "event": event,
                "programme": programme.slug,
                "created_at": timezone.now(),
                "data": data,
            },
            cls=DjangoJSONEncoder,
            sort_keys=True,
        )
        delivery = WebhookDelivery.objects.create(endpoint=endpoint, event=event, body=body)
        enqueue_after_commit(_deliver_task(), delivery.pk)
    return len(endpoints)


# The events a manager may subscribe an endpoint to (`WebhookEndpoint.Event`), each the
# signal that announces it; IntegrationsConfig.ready() connects `on_signal` to these.
SIGNALS = (
    signals.submission_decided,
    signals.submission_deemed_approved,
    signals.ticket_status_changed,
    signals.batch_exported,
    signals.terms_published,
)


def on_signal(sender, *, signal, programme, payload, batch: dict | None = None, **kwargs) -> None:
    """Receiver of the `SIGNALS`: the event's name and its payload's data, as published."""
    emit(programme=programme, event=signal.name, data=payload.as_data(), batch=batch)


def _deliver_task():
    from .tasks import deliver_webhook  # the tasks import this module: a cycle at import

    return deliver_webhook


def deliver(delivery_id: int) -> str:
    """Try once. Success marks it delivered; failure schedules the next try with backoff."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return "skipped"
        endpoint = delivery.endpoint
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "TermsAndTesters-Webhook/1",
            "X-TT-Event": delivery.event,
            "X-TT-Delivery": str(delivery.pk),
            "X-TT-Signature": signature_header(endpoint.secret, delivery.body),
        }
        started = time.monotonic()
        code, error = None, ""
        try:
            # Checked again here: DNS may answer differently than when the URL was saved.
            response = outbound.post(
                endpoint.url,
                body=delivery.body.encode(),
                headers=headers,
                timeout=TIMEOUT_SECONDS,
            )
            code = response.status
            if not 200 <= code < 300:
                error = f"HTTP {code}" + (" (redirects are not followed)" if code < 400 else "")
        except outbound.OutboundRefused as exc:
            error = f"Refused: {exc.message}"[:500]
        except (OSError, TimeoutError, ValueError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        WebhookAttempt.objects.create(
            delivery=delivery,
            status_code=code,
            error=error,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        delivery.attempts += 1
        if code is not None and 200 <= code < 300:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
            outcome = "delivered"
        elif delivery.attempts >= WebhookDelivery.MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
            outcome = "failed"
        else:
            backoff = BACKOFF_BASE_SECONDS * 2 ** (delivery.attempts - 1)
            delivery.next_attempt_at = timezone.now() + timedelta(seconds=backoff)
            outcome = "retry"
        delivery.save()
        DELIVERIES.labels(outcome=outcome).inc()
        return outcome


@transaction.atomic
def redeliver(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send again by hand, whatever happened before; the attempts log keeps every try."""
    delivery = (
        WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    )
    policy.require(actor, "manage", delivery.endpoint.programme)
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.next_attempt_at = None
    delivery.save(update_fields=["status", "next_attempt_at"])
    record(
        action="core.webhook.redelivered",
        obj=delivery.endpoint,
        actor=actor,
        programme=delivery.endpoint.programme,
        data={"delivery": delivery.pk},
    )
    enqueue_after_commit(_deliver_task(), delivery.pk)
    return delivery
