"""Audit's periodic work (beat): the sequencer every AUDIT_SEQUENCE_SECONDS, and a full
verification of the log every AUDIT_VERIFY_MINUTES."""

from celery import shared_task

from core import status

from . import sequencer
from .health import SEQUENCER, VERIFIER
from .selectors import verify_log


@shared_task
def sequence() -> str:
    """Seal the committed events into the Merkle tree and sign a checkpoint if it grew; safe
    to run twice. A log that does not verify is refused, never signed; the refusal is kept
    (audit.health) until a run succeeds."""
    try:
        sealed = sequencer.run()
    except sequencer.LogBroken as exc:
        status.report(SEQUENCER, ok=False, problem=f"Not signing the audit log: {exc}.")
        raise
    status.report(SEQUENCER)
    return f"+{sealed.integrated} → {sealed.size}"


@shared_task
def verify() -> str:
    """Verify the whole log as `audit_verify` does; a failure is kept (audit.health) and stops
    the sequencer from signing until a verification passes again."""
    result = verify_log()
    report(result)
    if not result.ok:
        raise sequencer.LogBroken(result.problem)
    return f"intact: {result.checked} events, {result.records} records"


def report(result) -> None:
    if result.ok:
        status.report(VERIFIER)
    else:
        status.report(VERIFIER, ok=False, problem=f"Verification failed: {result.problem}.")
