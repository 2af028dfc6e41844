"""Signing content credentials in the worker. Thin: the service re-checks each credential."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def sign_credentials(credential_ids: list[int]) -> int:
    """Sign the credentials queued by one approval, one choice or one sweep's chunk."""
    return sum(services.credential_sign(credential_id=pk) == "signed" for pk in credential_ids)


@shared_task(acks_late=True)
def open_entries(submission_ids: list[int]) -> int:
    """Open the registry entries of a sweep's deemed approvals."""
    return services.entries_open(submission_ids=submission_ids)


@shared_task
def sign_pending() -> int:
    """Beat: open the entries a lost task left, sign what is still pending (queued while the
    broker was down)."""
    services.entries_open_missing()
    return services.credentials_sign_pending()
