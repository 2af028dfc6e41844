"""Delivering webhooks. Tasks take ids and are safe to run twice."""

from celery import shared_task
from django.utils import timezone

from .models import WebhookDelivery
from .webhooks import deliver


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int) -> str:

    return deliver(delivery_id)


@shared_task
def retry_due_webhooks(limit: int = 500) -> int:
    """Beat: retry deliveries whose backoff has passed."""

    due = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
        ).values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        deliver(delivery_id)
    return len(due)
