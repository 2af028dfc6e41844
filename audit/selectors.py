"""Reading and verifying the audit chain."""

import hashlib
from dataclasses import dataclass

from django.db import connection

from .models import GENESIS_HASH, AuditEvent, AuditHead, epoch_us, event_hash


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""


# PostgreSQL builds each event's hashed payload exactly as `event_hash` does
# (`|`-separated, empty for a missing id, time in microseconds), so the walk only
# hashes and compares: a million events in a few seconds.
_PG_SQL = """
SELECT seq, prev_hash,
       seq::text || '|' || prev_hash || '|'
       || (extract(epoch FROM created_at) * 1000000)::bigint::text || '|'
       || coalesce(actor_id::text, '') || '|' || action || '|' || object_type || '|'
       || object_id || '|' || coalesce(programme_id::text, '') || '|'
       || coalesce(subject_id::text, '') || '|' || data_json,
       hash
FROM audit_auditevent ORDER BY seq
"""
_FIELDS = (
    "seq",
    "prev_hash",
    "created_at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "programme_id",
    "subject_id",
    "data_json",
    "hash",
)


def _rows(chunk_size: int):
    """(seq, prev_hash, recomputed hash, stored hash) of every event, in order.

    On PostgreSQL a server-side cursor streams the payloads built by the database
    (constant memory, no ORM conversions); elsewhere the ORM and `event_hash`.
    """
    if connection.vendor == "postgresql":
        sha256 = hashlib.sha256
        with connection.chunked_cursor() as cursor:
            cursor.itersize = chunk_size
            cursor.execute(_PG_SQL)
            while batch := cursor.fetchmany(chunk_size):
                for seq, prev_hash, payload, h in batch:
                    yield seq, prev_hash, sha256(payload.encode()).hexdigest(), h
        return
    for seq, prev_hash, created, actor, action, otype, oid, prog, subj, data, h in (
        AuditEvent.objects.order_by("seq").values_list(*_FIELDS).iterator(chunk_size=chunk_size)
    ):
        recomputed = event_hash(
            seq=seq,
            prev_hash=prev_hash,
            created_us=epoch_us(created),
            actor_id=actor,
            action=action,
            object_type=otype,
            object_id=oid,
            programme_id=prog,
            subject_id=subj,
            data_json=data,
        )
        yield seq, prev_hash, recomputed, h


def verify_chain(*, chunk_size: int = 10000) -> VerifyResult:
    """Walk the whole chain in order and recompute every hash."""
    expected_seq, prev = 1, GENESIS_HASH
    checked = 0
    for seq, prev_hash, recomputed, h in _rows(chunk_size):
        if seq != expected_seq:
            return VerifyResult(
                False, checked, expected_seq, f"event #{expected_seq} is missing (found #{seq})"
            )
        if prev_hash != prev:
            return VerifyResult(
                False, checked, seq, f"event #{seq} does not link to event #{seq - 1}"
            )
        if recomputed != h:
            return VerifyResult(False, checked, seq, f"event #{seq} was altered")
        prev, expected_seq = h, seq + 1
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head and (head.seq != checked or head.hash != prev):
        return VerifyResult(
            False,
            checked,
            checked + 1,
            f"the chain ends at #{checked} but the head records #{head.seq}: events were removed",
        )
    return VerifyResult(True, checked)


def event_in_chain(event: AuditEvent) -> bool:
    """Whether this one event still hashes to what the chain recorded and links to its neighbour."""
    if event.compute_hash() != event.hash:
        return False
    if event.seq == 1:
        return event.prev_hash == GENESIS_HASH
    prev = AuditEvent.objects.filter(seq=event.seq - 1).values_list("hash", flat=True).first()
    nxt = AuditEvent.objects.filter(seq=event.seq + 1).values_list("prev_hash", flat=True).first()
    return prev == event.prev_hash and (nxt is None or nxt == event.hash)
