"""The audit log's health, as the operator's checks read it (ops: /healthz, metrics, incidents).

Over today's chain: events are chained as they are written, so nothing waits to be sequenced;
the log is known good while the last checkpoint attempt (`audit.tasks.write_checkpoint`)
verified the events since the previous checkpoint and signed or found nothing new, and known
bad from the moment an attempt refused to sign. That attempt's outcome is kept in the
`audit.checkpoint` status row (core.status), so reading the health costs two row reads.
"""

from dataclasses import dataclass

from django.utils import timezone

from core import status as component_status

from .models import AuditHead

CHECKPOINT = "audit.checkpoint"


@dataclass(frozen=True)
class AuditHealth:
    ok: bool  # False once the sequencer/checkpoint found the log does not verify
    problem: str  # "" or the sentence naming what failed
    tree_size: int
    unsequenced: int  # events committed but not yet in the tree
    oldest_unsequenced_seconds: float | None  # sequencer lag
    checkpoint_age_seconds: float | None  # age of the newest signed checkpoint; None if none yet


def status(*, now=None) -> AuditHealth:
    """The log's state from what the last checkpoint attempt found. The checkpoint's age is
    the time since the head was last covered by a signed checkpoint (a new one, or the
    newest found still covering an unchanged head)."""
    now = now or timezone.now()
    row = component_status.get(CHECKPOINT)
    head = AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    covered = row.last_success_at if row is not None else None
    return AuditHealth(
        ok=row is None or row.ok,
        problem="" if row is None or row.ok else row.problem,
        tree_size=head,
        unsequenced=0,
        oldest_unsequenced_seconds=None,
        checkpoint_age_seconds=(now - covered).total_seconds() if covered else None,
    )
