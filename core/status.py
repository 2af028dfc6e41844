"""The last word of each background part on its own health (`ComponentStatus` rows).

`report` is called by whoever knows: beat at a tick, a periodic task when it ends, the
audit checkpoint when it signs or refuses. It never raises: a health report that cannot be
written (the database is down) must not break the work it reports on.
"""

import logging

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from .models import ComponentStatus

log = logging.getLogger(__name__)


def report(
    name: str,
    *,
    ok: bool = True,
    problem: str = "",
    duration: float | None = None,
    interval: float | None = None,
    now=None,
) -> None:
    now = now or timezone.now()
    values = {"ok": ok, "problem": problem[:2000], "reported_at": now}
    if ok:
        values["last_success_at"] = now
    if duration is not None:
        values["duration_seconds"] = duration
    if interval is not None:
        values["interval_seconds"] = interval
    try:
        with transaction.atomic():
            if not ComponentStatus.objects.filter(name=name).update(**values):
                try:
                    with transaction.atomic():
                        ComponentStatus.objects.create(name=name, **values)
                except IntegrityError:  # another process wrote the first row meanwhile
                    ComponentStatus.objects.filter(name=name).update(**values)
    except DatabaseError as exc:
        log.warning("Could not record the status of %s: %s", name, exc)


def get(name: str) -> ComponentStatus | None:
    return ComponentStatus.objects.filter(name=name).first()


def periodic_name(task_name: str) -> str:
    return f"periodic:{task_name}"
