"""Reading and verifying the audit chain."""

import hashlib
import itertools
import queue
import threading
from dataclasses import dataclass

from django.db import connection, transaction

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


def _prefetched(fetchmany, size: int):
    """Batches of `fetchmany(size)`, the next one fetched by a thread while this one is hashed.

    The database builds payloads while Python hashes (the socket wait releases the GIL), so
    the walk takes about the longer of the two instead of their sum.
    """
    batches: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def produce():
        try:
            while not stop.is_set():
                batch = fetchmany(size)
                _put(batch or None)
                if not batch:
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            _put(exc)

    def _put(item):
        while not stop.is_set():
            try:
                batches.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    worker = threading.Thread(target=produce, name="audit-verify-fetch", daemon=True)
    worker.start()
    try:
        while (item := batches.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()  # the cursor is closed only once the thread has let go of it


def _batches(chunk_size: int):
    """Batches of events in order, as columns: (seqs, prev hashes, recomputed, stored hashes).

    On PostgreSQL a server-side cursor streams the payloads built by the database
    (constant memory, no ORM conversions); elsewhere the ORM and `event_hash`.
    """
    if connection.vendor == "postgresql":
        sha256 = hashlib.sha256
        # Inside a transaction the server-side cursor is declared without HOLD, so
        # PostgreSQL builds payloads as they are fetched (overlapping the hashing) instead
        # of materialising all of them before the first row.
        with transaction.atomic(), connection.chunked_cursor() as cursor:
            cursor.itersize = chunk_size
            cursor.execute(_PG_SQL)
            for batch in _prefetched(cursor.cursor.fetchmany, chunk_size):
                seqs, prevs, payloads, hashes = zip(*batch, strict=True)
                recomputed = [sha256(p.encode()).hexdigest() for p in payloads]
                yield list(seqs), list(prevs), recomputed, list(hashes)
        return
    rows = AuditEvent.objects.order_by("seq").values_list(*_FIELDS).iterator(chunk_size=chunk_size)
    while batch := list(itertools.islice(rows, chunk_size)):
        yield (
            [r[0] for r in batch],
            [r[1] for r in batch],
            [
                event_hash(
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
                for seq, prev_hash, created, actor, action, otype, oid, prog, subj, data, _ in batch
            ],
            [r[10] for r in batch],
        )


def verify_chain(*, chunk_size: int = 10000) -> VerifyResult:
    """Walk the whole chain in order and recompute every hash.

    A batch whose sequence numbers, links and hashes all hold is checked with a few list
    comparisons; only a batch with a problem is walked event by event to name the first.
    """
    expected_seq, prev = 1, GENESIS_HASH
    checked = 0
    for seqs, prevs, recomputed, hashes in _batches(chunk_size):
        n = len(seqs)
        if (
            seqs[0] == expected_seq
            and seqs[-1] == expected_seq + n - 1  # seq is unique and ordered: no gap
            and prevs[0] == prev
            and prevs[1:] == hashes[:-1]
            and recomputed == hashes
        ):
            prev, expected_seq, checked = hashes[-1], expected_seq + n, checked + n
            continue
        for seq, prev_hash, again, h in zip(seqs, prevs, recomputed, hashes, strict=True):
            if seq != expected_seq:
                return VerifyResult(
                    False, checked, expected_seq, f"event #{expected_seq} is missing (found #{seq})"
                )
            if prev_hash != prev:
                return VerifyResult(
                    False, checked, seq, f"event #{seq} does not link to event #{seq - 1}"
                )
            if again != h:
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
