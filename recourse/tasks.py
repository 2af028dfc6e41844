"""Periodic work of recourse. Thin: the service re-checks every contest."""

from celery import shared_task

from feedback.services import tickets_escalate_overdue_triage

from . import services


@shared_task
def escalate_contests() -> dict:
    """Beat: what passed its response target (a contest's answer, a ticket's triage decision)
    goes to the programme's managers, then the tester is told."""
    escalated, told = services.contests_escalate()
    tickets, reporters = tickets_escalate_overdue_triage()
    return {"escalated": escalated + tickets, "told": told + reporters}
