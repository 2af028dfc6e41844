"""The product's Prometheus metrics (docs/operations/index.md lists them all).

Two kinds:
- counted where it happens, in the process it happens in: requests, latency, database and
  cache (django-prometheus), log-ins and two-factor failures (signals, ops.apps), rate-limit
  refusals (ops.middleware), webhook deliveries (integrations.webhooks), tasks (ops.serve).
  Under gunicorn and in a prefork worker each child writes them to PROMETHEUS_MULTIPROC_DIR
  and the exposition sums the children (the Prometheus client's multiprocess mode);
- read from the database and the broker when scraped (`DomainCollector`): what the whole
  installation holds, the same on every web, so it is served by the webs only.
"""

import logging
import os
import time

from django.utils import timezone
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from audit import health as audit_health

from . import selectors
from .models import Incident

log = logging.getLogger(__name__)

LOGINS = Counter("tt_logins", "Log-ins by outcome (success, failure).", ["outcome"])
TWO_FACTOR_FAILURES = Counter(
    "tt_two_factor_failures", "Two-factor codes refused (a wrong or reused code)."
)
RATE_LIMIT_REFUSALS = Counter(
    "tt_rate_limit_refusals",
    "Requests refused with 429 Too Many Requests, by the view that refused them.",
    ["view"],
)
TASKS = Counter(
    "tt_celery_tasks", "Celery tasks run by this worker, by outcome.", ["task", "outcome"]
)


def _gauge(name, documentation, value):
    return GaugeMetricFamily(name, documentation, value=float(value))


class DomainCollector(Collector):
    """What the installation holds, read when scraped. A part that cannot be read (the
    broker is down) is left out and counted in `tt_metrics_collect_errors`, so the rest
    is still served."""

    def collect(self):
        errors = GaugeMetricFamily(
            "tt_metrics_collect_errors",
            "Parts of these metrics that could not be read at this scrape (1 = failed).",
            labels=["part"],
        )
        now = timezone.now()
        for part in (
            self._outbox,
            self._queues,
            self._periodic,
            self._reviews,
            self._payouts,
            self._audit,
            self._incidents,
        ):
            name = part.__name__.strip("_")
            try:
                yield from list(part(now))
                errors.add_metric([name], 0)
            except Exception:  # noqa: BLE001 - one failing part must not hide the others
                log.warning("metrics: could not read %s", name, exc_info=True)
                errors.add_metric([name], 1)
        yield errors

    def _outbox(self, now):
        box = selectors.outbox(now)
        yield _gauge("tt_outbox_pending", "Notifications waiting to be sent.", box.pending)
        yield _gauge("tt_outbox_failed", "Notifications given up after every retry.", box.failed)
        yield _gauge(
            "tt_outbox_oldest_pending_age_seconds",
            "Age of the oldest notification still waiting (0 when none waits).",
            box.oldest_pending_seconds,
        )

    def _queues(self, now):
        if not selectors.uses_broker():
            return
        family = GaugeMetricFamily(
            "tt_celery_queue_depth", "Tasks waiting in each Celery queue.", labels=["queue"]
        )
        for queue, depth in selectors.queue_depths().items():
            family.add_metric([queue], depth)
        yield family

    def _periodic(self, now):
        last = GaugeMetricFamily(
            "tt_periodic_last_success_timestamp_seconds",
            "When each periodic task last ran to its end (Unix time).",
            labels=["task"],
        )
        duration = GaugeMetricFamily(
            "tt_periodic_last_duration_seconds",
            "How long each periodic task's last run took.",
            labels=["task"],
        )
        interval = GaugeMetricFamily(
            "tt_periodic_interval_seconds", "Each periodic task's interval.", labels=["task"]
        )
        failing = GaugeMetricFamily(
            "tt_periodic_failing", "1 when a periodic task's last run failed.", labels=["task"]
        )
        for task in selectors.periodic_tasks():
            interval.add_metric([task.task], task.interval_seconds)
            failing.add_metric([task.task], 0 if task.ok else 1)
            if task.last_success is not None:
                last.add_metric([task.task], task.last_success.timestamp())
            if task.duration_seconds is not None:
                duration.add_metric([task.task], task.duration_seconds)
        yield from (last, duration, interval, failing)
        tick = selectors.beat_last_tick()
        if tick is not None:
            yield _gauge(
                "tt_beat_last_tick_timestamp_seconds",
                "When beat last ticked (Unix time).",
                tick.timestamp(),
            )
        yield _gauge(
            "tt_beat_stale_after_seconds",
            "Beat is stale when it has not ticked for this long.",
            selectors.beat_stale_after(),
        )

    def _reviews(self, now):
        family = GaugeMetricFamily(
            "tt_review_items_overdue",
            "Open review items past their deadline, per programme.",
            labels=["programme"],
        )
        for slug, count in sorted(selectors.overdue_reviews(now).items()):
            family.add_metric([slug], count)
        yield family

    def _payouts(self, now):
        family = GaugeMetricFamily(
            "tt_payout_lines",
            "Payout lines by state: paid, or their batch's (building, ready, failed).",
            labels=["state"],
        )
        for state, count in selectors.payout_lines().items():
            family.add_metric([state], count)
        yield family

    def _audit(self, now):
        health = audit_health.status(now=now)
        yield _gauge("tt_audit_ok", "1 while the audit log verifies, 0 once refused.", health.ok)
        yield _gauge("tt_audit_tree_size", "Events in the audit log.", health.tree_size)
        yield _gauge(
            "tt_audit_unsequenced",
            "Audit events committed but not yet sequenced.",
            health.unsequenced,
        )
        yield _gauge(
            "tt_audit_sequencer_lag_seconds",
            "Age of the oldest audit event not yet sequenced (0 when none waits).",
            health.oldest_unsequenced_seconds or 0.0,
        )
        if health.checkpoint_age_seconds is not None:
            yield _gauge(
                "tt_audit_checkpoint_age_seconds",
                "Age of the newest signed checkpoint covering the audit log.",
                health.checkpoint_age_seconds,
            )

    def _incidents(self, now):
        family = GaugeMetricFamily(
            "tt_incidents_open", "Open incidents by kind (mailed to ADMINS).", labels=["kind"]
        )
        counts = dict.fromkeys(Incident.Kind.values, 0)
        for kind in Incident.objects.filter(closed_at__isnull=True).values_list("kind", flat=True):
            counts[kind] += 1
        for kind, count in counts.items():
            family.add_metric([kind], count)
        yield family


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def process_registry():
    """What this process and its children counted: summed from PROMETHEUS_MULTIPROC_DIR
    under gunicorn or a prefork worker, else this process's own registry."""
    if not multiprocess_dir():
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


_domain = CollectorRegistry(auto_describe=False)
_domain.register(DomainCollector())


def exposition(*, domain: bool) -> bytes:
    """The text the scraper reads: this process's counters, and (`domain`) the figures read
    from the database and the broker, with how long reading them took."""
    parts = [generate_latest(process_registry())]
    if domain:
        started = time.monotonic()
        body = generate_latest(_domain)
        took = time.monotonic() - started
        parts += [
            body,
            b"# HELP tt_metrics_collect_seconds Time taken to read the figures of this scrape.\n"
            b"# TYPE tt_metrics_collect_seconds gauge\n"
            + f"tt_metrics_collect_seconds {took:.6f}\n".encode(),
        ]
    return b"".join(parts)
