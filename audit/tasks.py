"""Audit's periodic work: a signed checkpoint of the chain head every few minutes (beat)."""

from celery import shared_task

from . import checkpoints


@shared_task
def write_checkpoint() -> str:
    """Sign the head and write it to AUDIT_CHECKPOINT_DIR; safe to run twice (no new file
    when the head has not moved). A tampered chain is refused and logged, never signed."""
    checkpoint = checkpoints.write()
    return f"#{checkpoint.seq}" if checkpoint else "unchanged"
