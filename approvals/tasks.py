"""Periodic work of output approval. Thin: the services re-check every item under lock."""

from celery import shared_task

from . import services


@shared_task
def sweep_review_deadlines() -> dict:
    """Beat: deem approved or escalate what is past due, remind before items fall due."""
    return services.deadlines_sweep()
