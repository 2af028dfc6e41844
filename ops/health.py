"""The health checks: `/healthz` for a load balancer, `/healthz/ready` for monitoring.

`cheap()` is what a load balancer may ask every second: the database answers (the audit
state is read from it) and the audit log is not refused (audit.health, two row reads). It
does not depend on Redis, the broker or the workers, so a web is not taken out of rotation
for their faults.

`deep()` asks every part: the database, Redis, the broker, the workers (a ping answered by
HEALTH_MIN_WORKERS of them within HEALTH_PING_SECONDS), beat's last tick, the audit log and
the outbox's oldest unsent mail. Each check gives ok and a sentence; thresholds are settings.
The parts reached over the network are asked at once, so a hung Redis costs its timeout
once, not three times.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import redis
from celery import current_app as celery_app
from django.conf import settings
from django.db import connection
from django.utils import timezone

from audit import health as audit_health

from . import selectors


@dataclass
class Check:
    ok: bool
    detail: str
    figures: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "detail": self.detail, **self.figures}


def _database() -> Check:
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Check(True, "answers", {"seconds": round(time.monotonic() - started, 4)})


def _audit(now, *, deep: bool) -> Check:
    state = audit_health.status(now=now)
    figures = {
        "tree_size": state.tree_size,
        "unsequenced": state.unsequenced,
        "sequencer_lag_seconds": state.oldest_unsequenced_seconds,
        "checkpoint_age_seconds": state.checkpoint_age_seconds,
    }
    if not state.ok:
        return Check(False, f"the audit log does not verify: {state.problem}", figures)
    lag = state.oldest_unsequenced_seconds
    if deep and lag is not None and lag > settings.HEALTH_AUDIT_MAX_LAG:
        return Check(
            False,
            f"audit events have waited {lag:.0f} s to be sequenced "
            f"(more than {settings.HEALTH_AUDIT_MAX_LAG} s)",
            figures,
        )
    return Check(True, "verifies", figures)


def _redis() -> Check:
    if not settings.REDIS_URL:
        return Check(True, "not used (no REDIS_URL)")
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        started = time.monotonic()
        client.ping()
        return Check(True, "answers", {"seconds": round(time.monotonic() - started, 4)})
    finally:
        client.close()


def _broker() -> Check:
    if not selectors.uses_broker():
        return Check(True, "not used (tasks run in-process)")
    depths = selectors.queue_depths(timeout=settings.HEALTH_PING_SECONDS)
    return Check(True, "answers", {"queues": depths})


def _workers() -> Check:
    if not selectors.uses_broker():
        return Check(True, "not used (tasks run in-process)")
    wanted = settings.HEALTH_MIN_WORKERS
    replies = celery_app.control.ping(timeout=settings.HEALTH_PING_SECONDS, limit=wanted) or []
    names = sorted(name for reply in replies for name in reply)
    figures = {"answered": len(names), "wanted": wanted}
    if len(names) < wanted:
        return Check(
            False,
            f"{len(names)} of {wanted} workers answered a ping within "
            f"{settings.HEALTH_PING_SECONDS:g} s",
            figures,
        )
    return Check(True, f"{len(names)} answered", figures)


def _beat(now) -> Check:
    if not selectors.uses_broker():
        return Check(True, "not used (periodic tasks run from the embedded clock)")
    tick = selectors.beat_last_tick()
    stale = selectors.beat_stale_after()
    if tick is None:
        return Check(False, "beat has never ticked", {"stale_after_seconds": stale})
    age = (now - tick).total_seconds()
    figures = {"last_tick_seconds_ago": round(age, 1), "stale_after_seconds": stale}
    if age > stale:
        return Check(False, f"beat has not ticked for {age:.0f} s", figures)
    return Check(True, "ticks", figures)


def _outbox(now) -> Check:
    box = selectors.outbox(now)
    limit = settings.HEALTH_OUTBOX_MAX_AGE
    figures = {"pending": box.pending, "oldest_pending_seconds": round(box.oldest_pending_seconds)}
    if box.oldest_pending_seconds > limit:
        return Check(
            False,
            f"the oldest unsent mail has waited {box.oldest_pending_seconds:.0f} s "
            f"(more than {limit} s)",
            figures,
        )
    return Check(True, "sending", figures)


def _guarded(check, *args, **kwargs) -> Check:
    try:
        return check(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - a failing part is the answer, not an error
        return Check(False, f"{type(exc).__name__}: {exc}"[:300])


def cheap(now=None) -> dict[str, Check]:
    """Open to anyone: says which part fails, not the error (which may name hosts)."""
    now = now or timezone.now()
    try:
        _database()
    except Exception:  # noqa: BLE001 - the answer is 503 naming the database
        return {
            "database": Check(False, "does not answer"),
            "audit": Check(False, "unknown: the database does not answer"),
        }
    return {"database": Check(True, "answers"), "audit": _guarded(_audit, now, deep=False)}


def deep(now=None) -> dict[str, Check]:
    now = now or timezone.now()
    with ThreadPoolExecutor(max_workers=3) as pool:
        remote = {
            "redis": pool.submit(_guarded, _redis),
            "broker": pool.submit(_guarded, _broker),
            "worker": pool.submit(_guarded, _workers),
        }
        checks = {
            "database": _guarded(_database),
            "beat": _guarded(_beat, now),
            "audit": _guarded(_audit, now, deep=True),
            "outbox": _guarded(_outbox, now),
        }
        checks.update({name: future.result() for name, future in remote.items()})
    order = ["database", "redis", "broker", "worker", "beat", "audit", "outbox"]
    return {name: checks[name] for name in order}
