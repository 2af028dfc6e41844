"""Periodic work of participants. Thin: the service finds who is due and notifies once."""

from celery import shared_task

from . import services


@shared_task
def send_reminders() -> dict:
    """Beat: remind participants of terms to accept and invitees of invitations expiring."""
    return services.reminders_send()
