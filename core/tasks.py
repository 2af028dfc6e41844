"""Sending the outbox. Tasks take ids and are safe to run twice."""

import time
from datetime import timedelta

from celery import current_app, shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from . import status
from .models import FormSubmission, OutboxMessage
from .text import header_safe


@shared_task(acks_late=True)
def send_outbox_message(message_id: int) -> str:
    """Send one outbox message unless it was already sent.

    The row stays locked while the mail is handed to the backend, so two
    workers that got the same id send it once between them.
    """
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != OutboxMessage.Status.PENDING:
            return "skipped"
        message.attempts += 1
        try:
            body = message.body
            if message.url:
                body += f"\n\n{settings.SITE_URL}{message.url}"
            send_mail(header_safe(message.subject), body, None, [message.to_email])
        except Exception as exc:  # noqa: BLE001 - any mail failure is retried later
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= OutboxMessage.MAX_ATTEMPTS:
                message.status = OutboxMessage.Status.FAILED
            message.save(update_fields=["attempts", "last_error", "status"])
            return "failed"
        message.status = OutboxMessage.Status.SENT
        message.sent_at = timezone.now()
        message.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        return "sent"


@shared_task(acks_late=True)
def send_outbox_messages(message_ids: list[int]) -> int:
    """Send a chunk of a sweep's messages, each as `send_outbox_message` does; how many sent."""
    return sum(send_outbox_message(message_id) == "sent" for message_id in message_ids)


@shared_task
def retry_pending_outbox(older_than_seconds: int = 30, limit: int = 500) -> int:
    """Beat: send what is still pending (queued while the broker was down, or failed once)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for message_id in ids:
        send_outbox_message(message_id)
    return len(ids)


@shared_task
def forget_used_form_tokens(days: int = 7) -> int:
    """Beat: a form left open for a week and sent twice may create twice; the table stays small."""

    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = FormSubmission.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@shared_task
def run_periodic(task_name: str, interval_seconds: float, *args) -> str:
    """Beat's entry point for every periodic task: run `task_name` once per interval.

    A lock named after the task is taken in the shared cache (Redis in production, the
    database in the embedded run) for nine tenths of the interval, with an atomic add. A
    second beat, or a tick delivered twice, finds it taken and skips, so a sweep runs once
    per interval on any number of machines. The task itself runs here, in this worker.
    """

    key = f"periodic-lock:{task_name}"
    hold = max(1, int(interval_seconds * 0.9))  # whole seconds: what Redis keeps
    if not cache.add(key, timezone.now().isoformat(), timeout=hold):
        return f"skipped {task_name}: it ran less than an interval ago"
    # The task by its name in Celery's registry: nothing is imported from a string here. A
    # worker has found every app's tasks at start; in-process (the embedded run, tests)
    # Celery's autodiscovery runs on the first miss.
    if task_name not in current_app.tasks:
        current_app.loader.import_default_modules()
    task = current_app.tasks[task_name]
    # Its last success and how long it took, for the metrics and the health checks.
    started = time.monotonic()
    try:
        task.run(*args)
    except Exception as exc:
        status.report(
            status.periodic_name(task_name),
            ok=False,
            problem=f"{type(exc).__name__}: {exc}",
            duration=time.monotonic() - started,
            interval=interval_seconds,
        )
        raise
    status.report(
        status.periodic_name(task_name),
        duration=time.monotonic() - started,
        interval=interval_seconds,
    )
    return f"ran {task_name}"
