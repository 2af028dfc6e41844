"""Periodic work of recourse. Thin: the service re-checks every contest."""

from celery import shared_task

from . import services


@shared_task
def escalate_contests() -> dict:
    """Beat: overdue contests go to the programme's managers, then the tester is told."""
    escalated, told = services.contests_escalate()
    return {"escalated": escalated, "told": told}
