"""Celery beat's scheduler, writing down that beat is alive.

Beat itself answers nobody, and a beat that stopped looks like a quiet night: nothing is
sent. Each tick (at most every few seconds) records the `beat` status row (core.status),
which /healthz/ready, the metrics and the incident check read on any machine.
"""

import time

from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import close_old_connections

from . import status

EVERY_SECONDS = 5


class Scheduler(PersistentScheduler):
    _recorded = 0.0

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        now = time.monotonic()
        if now - self._recorded >= EVERY_SECONDS:
            self._recorded = now
            # Beat loads this class before Django's apps are ready: the models come later.

            close_old_connections()  # beat holds one connection for days: drop a dead one
            status.report("beat", interval=settings.BEAT_INTERVAL_SECONDS)
        return interval
