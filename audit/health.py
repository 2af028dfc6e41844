"""The audit log's health, as the operator's checks read it (ops: /healthz, metrics, incidents).

The log is known good while the sequencer's last run (`audit.tasks.sequence`) found the log
it extended verified and the last full verification (`audit.tasks.verify`, or the
`audit_verify` command) passed; known bad from the moment either failed. Their outcomes are
kept in the `audit.sequencer` and `audit.verify` status rows (core.status). The figures are
the tree's size, the events committed but not yet sealed (a partial index holds only those)
and the age of the newest checkpoint: a few index reads.
"""

from dataclasses import dataclass

from django.db.models import Count, Min
from django.utils import timezone

from core import status as component_status

from .models import AuditCheckpoint, AuditEvent, AuditTree

SEQUENCER = "audit.sequencer"
VERIFIER = "audit.verify"


@dataclass(frozen=True)
class AuditHealth:
    ok: bool  # False once the sequencer found the log does not verify
    problem: str  # "" or the sentence naming what failed
    tree_size: int
    unsequenced: int  # events committed but not yet in the tree
    oldest_unsequenced_seconds: float | None  # sequencer lag
    checkpoint_age_seconds: float | None  # age of the newest signed checkpoint; None if none yet


def status(*, now=None) -> AuditHealth:
    now = now or timezone.now()
    row = component_status.get(SEQUENCER)
    checked = component_status.get(VERIFIER)
    size = AuditTree.objects.filter(pk=1).values_list("size", flat=True).first() or 0
    waiting = AuditEvent.objects.filter(seq__isnull=True).aggregate(
        n=Count("id"), at=Min("created_at")
    )
    signed = AuditCheckpoint.objects.order_by("-size").values_list("signed_at", flat=True).first()
    covered = row.last_success_at if row is not None and row.last_success_at else signed
    failed = [r for r in (checked, row) if r is not None and not r.ok]
    return AuditHealth(
        ok=not failed,
        problem=failed[0].problem if failed else "",
        tree_size=size,
        unsequenced=waiting["n"],
        oldest_unsequenced_seconds=(now - waiting["at"]).total_seconds() if waiting["at"] else None,
        checkpoint_age_seconds=(now - covered).total_seconds() if covered else None,
    )
