"""The incident check, under beat (and from every worker, ops.serve)."""

from celery import shared_task

from . import services


@shared_task
def check_incidents() -> str:
    opened, closed = services.check_incidents()
    return f"{len(opened)} opened, {len(closed)} closed"
