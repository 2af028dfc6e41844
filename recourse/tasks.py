"""Periodic work of recourse. Thin: the service re-checks every contest."""

from celery import shared_task

from compensation.services import payments_escalate
from feedback.services import tickets_escalate_no_first_response, tickets_escalate_overdue_triage

from . import services


@shared_task
def escalate_contests() -> dict:
    """Beat: what passed its response target (a contest's answer, a ticket's first response
    and triage decision, a payment after approval) goes to the programme's managers, then the
    tester is told."""
    escalated, told = services.contests_escalate()
    tickets, reporters = tickets_escalate_overdue_triage()
    unanswered, waiting = tickets_escalate_no_first_response()
    payments, payees = payments_escalate()
    return {
        "escalated": escalated + tickets + unanswered + payments,
        "told": told + reporters + waiting + payees,
    }
