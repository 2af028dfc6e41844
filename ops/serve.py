"""The worker's and beat's side: their metrics on a port of their own, the task counters,
and the worker's watch over the incidents (config/celery.py connects these to Celery).

The metrics port answers what `/metrics` answers for a web, under the same rule
(ops.access): a Bearer METRICS_TOKEN or an address in METRICS_ALLOWED_NETWORKS. A prefork
worker's children count into PROMETHEUS_MULTIPROC_DIR (the Procfile gives each process its
own); the worker's main process serves their sum.
"""

import logging
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.conf import settings
from django.db import close_old_connections
from prometheus_client.exposition import CONTENT_TYPE_LATEST, ThreadingWSGIServer

from core.tasks import run_periodic

from . import access, metrics

log = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # a scrape every few seconds is not news
        pass


def _app(environ, start_response):
    if environ.get("PATH_INFO", "/") not in ("/", "/metrics"):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not found: the metrics are at /metrics.\n"]
    if not access.allowed(
        authorization=environ.get("HTTP_AUTHORIZATION", ""), address=environ.get("REMOTE_ADDR", "")
    ):
        start_response(
            "403 Forbidden",
            [("Content-Type", "text/plain"), ("WWW-Authenticate", 'Bearer realm="metrics"')],
        )
        return [access.REFUSAL.encode() + b"\n"]
    start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
    return [metrics.exposition(domain=False)]


def serve_metrics(role: str) -> ThreadingWSGIServer | None:
    """Serve this process's metrics on METRICS_PORT in a thread (none when it is 0)."""
    port = settings.METRICS_PORT
    if not port:
        return None
    try:
        server = make_server(
            settings.METRICS_BIND_ADDRESS,
            port,
            _app,
            ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
    except OSError as exc:  # the port is taken: the work goes on, unwatched (say so)
        log.error("%s metrics not served on port %s: %s", role, port, exc)
        return None
    threading.Thread(target=server.serve_forever, name=f"{role}-metrics", daemon=True).start()
    log.info("%s metrics on %s:%s/metrics", role, settings.METRICS_BIND_ADDRESS, port)
    return server


def count_task(sender=None, task=None, state=None, **kwargs):
    """task_postrun: one more run of this task, by its final state."""
    name = getattr(task, "name", None) or getattr(sender, "name", "unknown")
    metrics.TASKS.labels(task=name, outcome=(state or "unknown").lower()).inc()


def watch_incidents(
    stop: threading.Event, *, every: float | None = None, grace: float | None = None
):
    """The worker's own incident check, for when beat (which schedules it) has stopped: the
    lock of run_periodic keeps it to one check an interval across beat and every worker.
    It waits a beat's stale time first, so a worker started with beat does not find it
    stale before its first tick."""

    entry = settings.CELERY_BEAT_SCHEDULE["ops-check-incidents"]
    every = entry["schedule"].total_seconds() if every is None else every
    grace = (
        settings.BEAT_STALE_INTERVALS * settings.BEAT_INTERVAL_SECONDS if grace is None else grace
    )
    if stop.wait(grace):
        return
    while not stop.is_set():
        try:
            run_periodic.run("ops.tasks.check_incidents", every)
        except Exception:  # noqa: BLE001 - the watch goes on; the error is in the log
            log.exception("incident check from the worker failed")
        finally:
            close_old_connections()
        stop.wait(every)


def start_watch() -> threading.Event:
    stop = threading.Event()
    if not settings.OPS_WORKER_WATCH:
        return stop
    threading.Thread(
        target=watch_incidents, args=(stop,), name="incident-watch", daemon=True
    ).start()
    return stop
