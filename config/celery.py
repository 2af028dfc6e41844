"""Celery application. Without REDIS_URL tasks run eagerly in-process."""

import logging.config
import os

from celery import Celery
from celery.signals import beat_init, setup_logging, task_postrun, worker_init
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("terms_and_testers")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The request id of the request that queued a task goes with it into the worker's lines.
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def _logging(**kwargs):
    """Workers and beat log through settings.LOGGING (core.logs), as the webs do."""
    from django.conf import settings  # read when the worker starts, after Django is set up

    logging.config.dictConfig(settings.LOGGING)


# The receivers below import the product lazily: Celery sends these signals once Django is
# set up, which is after this module is imported.
@worker_init.connect
def _worker_init(**kwargs):
    from ops import serve  # the product is loaded after this module (above)

    serve.serve_metrics("worker")
    serve.start_watch()


@beat_init.connect
def _beat_init(**kwargs):
    from ops import serve  # the product is loaded after this module (above)

    serve.serve_metrics("beat")


@task_postrun.connect
def _count_task(**kwargs):
    from ops import serve  # the product is loaded after this module (above)

    serve.count_task(**kwargs)
