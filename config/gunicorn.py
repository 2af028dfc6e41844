"""gunicorn's settings (the Procfile's web: `gunicorn -c config/gunicorn.py`).

Each gunicorn worker counts its requests into PROMETHEUS_MULTIPROC_DIR (the Procfile's
scripts/with-metrics.sh gives every process a fresh one) and /metrics sums them; when a
worker exits its live figures are dropped.
"""

from prometheus_client import multiprocess


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)
