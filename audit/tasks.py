"""Audit's periodic work: a signed checkpoint of the chain head every few minutes (beat)."""

from celery import shared_task

from core import status

from . import checkpoints
from .health import CHECKPOINT


@shared_task
def write_checkpoint() -> str:
    """Sign the head and write it to AUDIT_CHECKPOINT_DIR; safe to run twice (no new file
    when the head has not moved). A tampered chain is refused and logged, never signed; the
    refusal is kept (audit.health) until an attempt succeeds."""
    try:
        checkpoint = checkpoints.write()
    except checkpoints.CheckpointError as exc:
        status.report(CHECKPOINT, ok=False, problem=str(exc))
        raise
    status.report(CHECKPOINT)
    return f"#{checkpoint.seq}" if checkpoint else "unchanged"
