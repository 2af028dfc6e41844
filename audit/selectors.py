"""Reading and verifying the audit chain."""

import itertools
from dataclasses import dataclass

from django.db import connection, transaction

from .keys import chain_keys
from .models import GENESIS_HASH, AuditEvent, AuditHead, epoch_us, event_hash


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""


# On PostgreSQL the database rebuilds each event's hashed payload exactly as
# `event_hash` does (`|`-separated, empty for a missing id, time in microseconds) and
# keys it with pgcrypto's HMAC-SHA256, so a million events are checked where they lie, on
# every core, without sending them to Python. The chain keys travel as query parameters
# (a VALUES list joined on the event's key id) and are never stored. The functions are
# schema-qualified so that nothing on the search path can stand in for them; without
# pgcrypto (an operator may refuse the extension) Python walks the chain instead.
_PG_PAYLOAD = """
concat_ws('|', e.seq, e.prev_hash, (extract(epoch FROM e.created_at) * 1000000)::bigint,
          coalesce(e.actor_id::text, ''), e.action, e.object_type, e.object_id,
          coalesce(e.programme_id::text, ''), coalesce(e.subject_id::text, ''), e.data_json)
"""
# One parallel scan: how many events, the first and last sequence numbers, the first
# event whose stored hash is not the hash of its content (compared as lower-case hex text,
# as Python compares it: a stored hash in capitals or not in hex at all is an alteration),
# and two sums that check every link in the same pass: Σ f(seq, hash) over the events and
# Σ f(seq - 1, prev_hash), with f PostgreSQL's 64-bit `hashtextextended` seeded with the
# position. When each event links to the one before it, the two differ only by the last
# event's term and the genesis term; a broken, moved or doubled link changes one sum and not
# the other (events are already checked to carry their own keyed hashes, which cover seq
# and prev_hash). Only when they differ does the join below name the first broken link.
_PG_SCAN = """
SELECT count(*), min(e.seq), max(e.seq),
       min(e.seq) FILTER (WHERE pg_catalog.encode({crypto}.hmac(
           pg_catalog.convert_to({payload}, 'UTF8'), k.secret, 'sha256'), 'hex')
           IS DISTINCT FROM e.hash),
       coalesce(sum(pg_catalog.hashtextextended(e.hash, e.seq)), 0),
       coalesce(sum(pg_catalog.hashtextextended(e.prev_hash, e.seq - 1)), 0)
FROM audit_auditevent e LEFT JOIN (VALUES {keys}) AS k(id, secret) ON k.id = e.key_id
"""
# The last event's hash, and the two terms the link sums differ by when every link holds.
_PG_LAST = """
SELECT e.hash, pg_catalog.hashtextextended(e.hash, e.seq), pg_catalog.hashtextextended(%s, 0)
FROM audit_auditevent e ORDER BY e.seq DESC LIMIT 1
"""
# With no gap in the sequence: the first event whose `prev_hash` is not the hash of the
# event before it (a parallel hash join; the first event must link to the genesis hash).
_PG_UNLINKED = """
SELECT min(e.seq) FROM audit_auditevent e
LEFT JOIN audit_auditevent b ON b.seq = e.seq - 1
WHERE e.prev_hash <> coalesce(b.hash, %s)
"""
# With a gap: the first break in order, a missing number or a broken link (one ordered walk).
_PG_FIRST_BREAK = """
SELECT seq, before_seq FROM (
    SELECT seq, prev_hash,
           lag(seq, 1, 0::bigint) OVER w AS before_seq,
           lag(hash, 1, %s) OVER w AS before_hash
    FROM audit_auditevent WINDOW w AS (ORDER BY seq)
) chain
WHERE seq <> before_seq + 1 OR prev_hash <> before_hash
ORDER BY seq LIMIT 1
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
    "key_id",
)


def _batches(chunk_size: int):
    """Batches of events in order, as columns: (seqs, prev hashes, recomputed, stored hashes).

    An event keyed with a key that is not configured recomputes to "" (never a match).
    """
    keys = chain_keys()
    rows = AuditEvent.objects.order_by("seq").values_list(*_FIELDS).iterator(chunk_size=chunk_size)
    while batch := list(itertools.islice(rows, chunk_size)):
        yield (
            [r[0] for r in batch],
            [r[1] for r in batch],
            [
                ""
                if key_id not in keys
                else event_hash(
                    key=keys[key_id],
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
                for seq, prev_hash, created, actor, action, otype, oid, prog, subj, data, _, key_id in (  # noqa: E501
                    batch
                )
            ],
            [r[10] for r in batch],
        )


def pgcrypto_schema() -> str | None:
    """The schema holding pgcrypto on this PostgreSQL database, or None without it."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_catalog.pg_extension x "
            "JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace WHERE x.extname = 'pgcrypto'"
        )
        row = cursor.fetchone()
    return row[0] if row else None


def verify_chain(*, chunk_size: int = 10000, in_database: bool | None = None) -> VerifyResult:
    """Recompute every keyed hash of the chain and check every link and the head; name the
    first bad event and what happened to it.

    On PostgreSQL with pgcrypto the database does it (`_verify_in_postgres`); elsewhere, or
    with `in_database=False`, Python walks the chain. Both give the same answer.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            # One snapshot for the events and the head: an append that commits while we
            # read can't look like a break or a removal.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        crypto = pgcrypto_schema()
        if in_database is None:
            in_database = crypto is not None
        if in_database and crypto is None:
            raise RuntimeError("pgcrypto is not installed in this PostgreSQL database")
        if in_database:
            result, last_hash = _verify_in_postgres(crypto)
        else:
            result, last_hash = _verify_in_python(chunk_size)
        if not result.ok:
            return _diagnose(result)
        head = AuditHead.objects.filter(pk=1).first()
        return _against_head(result, last_hash, head)


def _against_head(result: VerifyResult, last_hash: str, head) -> VerifyResult:
    """The chain holds together; does it end where the head says it ends?"""
    end = result.checked
    if head is None or (head.seq == end and head.hash == last_hash):
        return result
    if head.seq > end:
        return VerifyResult(
            False,
            end,
            end + 1,
            f"removed: the chain ends at #{end} but the head records #{head.seq}; "
            f"the last {head.seq - end} event(s) were removed",
        )
    at_head = AuditEvent.objects.filter(seq=head.seq).values_list("hash", flat=True).first()
    if head.seq < end and at_head == head.hash:
        return VerifyResult(
            False,
            head.seq,
            head.seq + 1,
            f"added: events #{head.seq + 1}–#{end} were appended without moving the head "
            f"(#{head.seq}); every real append moves it",
        )
    return VerifyResult(
        False,
        min(head.seq, end),
        min(head.seq, end),
        f"altered: the head records #{head.seq} with another hash than the chain's",
    )


REORDER_WINDOW = 100  # how far from its place a moved event is looked for


def _diagnose(result: VerifyResult) -> VerifyResult:
    """Name what happened at the first bad event: a swap of positions reads as reordered.

    An event that is not where it belongs still carries its own keyed hash; if that hash is
    right for another position near by, the event was moved there from it.
    """
    seq = result.first_bad_seq
    event = AuditEvent.objects.filter(seq=seq).first()
    if event is None or not event.compute_hash():
        return result
    before = AuditEvent.objects.filter(hash=event.prev_hash).values_list("seq", flat=True).first()
    candidates = [1] if event.prev_hash == GENESIS_HASH else []
    if before is not None:
        candidates += [before + 1, before - 1]
    candidates += range(max(1, seq - REORDER_WINDOW), seq + REORDER_WINDOW + 1)
    for home in candidates:
        if home != seq and event.compute_hash(seq=home) == event.hash:
            return VerifyResult(
                False, result.checked, seq, f"reordered: event #{seq} belongs at #{home}"
            )
    return result


def _verify_in_python(chunk_size: int) -> tuple[VerifyResult, str]:
    """Walk the chain in order; the result and the last hash.

    A batch whose sequence numbers, links and hashes all hold is checked with a few list
    comparisons; only a batch with a problem is walked event by event.
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
                return _missing(expected_seq, seq), prev
            if prev_hash != prev:
                return _unlinked(seq), prev
            if again != h:
                return _altered(seq), prev
            prev, expected_seq = h, seq + 1
            checked += 1
    return VerifyResult(True, checked), prev


def _verify_in_postgres(crypto: str) -> tuple[VerifyResult, str]:
    """A few set queries instead of a walk: the first altered event, and the first gap or
    broken link. The earlier of the two is the first bad event; at the same event a broken
    link is named first, as the walk does.
    """
    keys = chain_keys()
    values = ", ".join(["(%s, %s::bytea)"] * len(keys))
    params = [part for key_id, secret in keys.items() for part in (key_id, secret)]
    quoted = connection.ops.quote_name(crypto)
    scan = _PG_SCAN.format(crypto=quoted, payload=_PG_PAYLOAD, keys=values)
    with connection.cursor() as cursor:
        cursor.execute(scan, params)
        count, first, last, altered, linked_to, linked_from = cursor.fetchone()
        cursor.execute(_PG_LAST, [GENESIS_HASH])
        last_hash, last_term, genesis_term = cursor.fetchone() or (GENESIS_HASH, 0, 0)
        if count == 0 or (first == 1 and last == count):  # seq is unique: no gap
            if linked_to - last_term == linked_from - genesis_term:
                link = None  # every event links to the one before it
            else:
                cursor.execute(_PG_UNLINKED, [GENESIS_HASH])
                unlinked = cursor.fetchone()[0]
                link = (unlinked, unlinked - 1) if unlinked is not None else None
        else:
            cursor.execute(_PG_FIRST_BREAK, [GENESIS_HASH])
            link = cursor.fetchone()
    if link and (altered is None or link[0] <= altered):
        seq, before = link
        return (_missing(before + 1, seq) if seq != before + 1 else _unlinked(seq)), ""
    if altered is not None:
        return _altered(altered), ""
    return VerifyResult(True, count), last_hash


def _missing(expected: int, found: int) -> VerifyResult:
    return VerifyResult(
        False, expected - 1, expected, f"removed: event #{expected} is missing (found #{found})"
    )


def _unlinked(seq: int) -> VerifyResult:
    return VerifyResult(
        False, seq - 1, seq, f"altered: event #{seq} does not link to event #{seq - 1}"
    )


def _altered(seq: int) -> VerifyResult:
    return VerifyResult(
        False, seq - 1, seq, f"altered: event #{seq} was altered (its keyed hash does not fit)"
    )


def event_in_chain(event: AuditEvent) -> bool:
    """Whether this one event still hashes to what the chain recorded and links to its neighbour."""
    if event.compute_hash() != event.hash:
        return False
    if event.seq == 1:
        return event.prev_hash == GENESIS_HASH
    prev = AuditEvent.objects.filter(seq=event.seq - 1).values_list("hash", flat=True).first()
    nxt = AuditEvent.objects.filter(seq=event.seq + 1).values_list("prev_hash", flat=True).first()
    return prev == event.prev_hash and (nxt is None or nxt == event.hash)
