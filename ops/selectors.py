"""What the operator's figures read: the outbox, the queues, the periodic tasks, the review
clocks, the payout lines, the audit log. Each is one cheap query (or one broker call)."""

from dataclasses import dataclass
from datetime import datetime

from celery import current_app as celery_app
from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from approvals.models import OutputSubmission
from compensation.models import PayoutBatch, PayoutLine
from core import status
from core.models import ComponentStatus, OutboxMessage


@dataclass(frozen=True)
class Outbox:
    pending: int
    failed: int
    oldest_pending_seconds: float  # 0 when nothing waits


def outbox(now=None) -> Outbox:
    now = now or timezone.now()
    row = OutboxMessage.objects.aggregate(
        pending=Count("pk", filter=Q(status=OutboxMessage.Status.PENDING)),
        failed=Count("pk", filter=Q(status=OutboxMessage.Status.FAILED)),
        oldest=Min("created_at", filter=Q(status=OutboxMessage.Status.PENDING)),
    )
    oldest = (now - row["oldest"]).total_seconds() if row["oldest"] else 0.0
    return Outbox(row["pending"], row["failed"], max(0.0, oldest))


def overdue_reviews(now=None) -> dict[str, int]:
    """Open review items past their deadline, per programme slug (programmes with none are
    left out)."""
    now = now or timezone.now()
    rows = (
        OutputSubmission.objects.open()
        .filter(due_at__lte=now)
        .order_by()
        .values("programme__slug")
        .annotate(n=Count("pk"))
    )
    return {r["programme__slug"]: r["n"] for r in rows}


def payout_lines() -> dict[str, int]:
    """Payout lines by state: paid (a payment reference recorded), or their batch's state."""
    counts = dict.fromkeys([*PayoutBatch.Status.values], 0)
    rows = (
        PayoutLine.objects.order_by()
        .values("batch__status")
        .annotate(
            n=Count("pk", filter=Q(paid_at__isnull=True)),
            paid=Count("pk", filter=Q(paid_at__isnull=False)),
        )
    )
    for r in rows:
        counts[r["batch__status"]] += r["n"]
        counts[PayoutBatch.Status.PAID] += r["paid"]
    return counts


def failed_batches():
    """Payout batches whose files failed to build (finance can build them again)."""
    return PayoutBatch.objects.filter(status=PayoutBatch.Status.FAILED).order_by("pk")


@dataclass(frozen=True)
class Periodic:
    task: str
    interval_seconds: float
    last_success: datetime | None
    duration_seconds: float | None
    ok: bool
    problem: str


def periodic_tasks() -> list[Periodic]:
    """Every task of the beat schedule with its last run (core.tasks.run_periodic)."""
    schedule = {
        entry["args"][0]: entry["schedule"].total_seconds()
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    rows = {
        r.name: r
        for r in ComponentStatus.objects.filter(
            name__in=[status.periodic_name(t) for t in schedule]
        )
    }
    out = []
    for task, interval in sorted(schedule.items()):
        row = rows.get(status.periodic_name(task))
        out.append(
            Periodic(
                task,
                interval,
                row.last_success_at if row else None,
                row.duration_seconds if row else None,
                row.ok if row else True,
                row.problem if row else "",
            )
        )
    return out


def beat_last_tick() -> datetime | None:
    row = status.get("beat")
    return row.reported_at if row else None


def beat_stale_after() -> float:
    return settings.BEAT_STALE_INTERVALS * settings.BEAT_INTERVAL_SECONDS


def uses_broker() -> bool:
    """A real broker and workers (production, `make run`); tests and a shell run in-process."""
    return not celery_app.conf.task_always_eager


def queue_names() -> list[str]:
    names = {celery_app.conf.task_default_queue}
    names.update(q.name for q in (celery_app.conf.task_queues or []))
    return sorted(names)


def queue_depths(timeout: float = 2.0) -> dict[str, int]:
    """Messages waiting in each Celery queue, asked of the broker (raises when it is down)."""
    depths = {}
    with celery_app.connection_for_read() as connection:
        connection.ensure_connection(max_retries=1, timeout=timeout)
        channel = connection.default_channel
        for name in queue_names():
            try:
                depths[name] = channel.queue_declare(queue=name, passive=True).message_count
            except connection.channel_errors:
                depths[name] = 0  # not declared yet: nothing was ever sent to it
    return depths
