"""The sequencer: gives committed events their place in the Merkle tree and signs a
checkpoint whenever the tree grew (Celery beat, every AUDIT_SEQUENCE_SECONDS).

Services write events with no position and hold no shared lock; only the sequencer locks the
one `AuditTree` row, so one sequencer runs at a time and no person's write ever waits for it.
Events are taken in the order of their numbers among those committed, a batch at a time.

Before it seals anything the sequencer checks, cheaply, that the log it is extending is the
one it left: the stored right edge of the tree folds to the stored root, no sequenced event
lies beyond the tree or has been cut from its end, the newest checkpoint file (outside the
database) is a prefix of the stored tree, and the events sealed since that checkpoint still
carry their keyed hashes and leaves. When any of it fails it signs nothing and raises
`LogBroken`; the task records the refusal (audit.health), which /healthz and the incident
check read.
"""

import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from core import status as component_status
from core.db import fast_path

from . import checkpoints, merkle, scan
from .health import VERIFIER
from .keys import chain_keys
from .models import AuditCheckpoint, AuditEvent, AuditNode, AuditTree, node_key
from .tree import StoredTree, TreeBroken

log = logging.getLogger(__name__)
BATCH = 20000


class LogBroken(Exception):
    """The log the sequencer was about to extend does not verify; nothing was signed."""


@dataclass
class Sealed:
    integrated: int
    size: int
    checkpoint: int | None  # the size of the checkpoint signed, if one was


def _edge(size: int) -> list[bytes]:
    wanted = [node_key(level, index) for level, index in merkle.CompactRange.nodes_for(size)]
    found = {
        k: bytes(h) for k, h in AuditNode.objects.filter(key__in=wanted).values_list("key", "hash")
    }
    if len(found) != len(wanted):
        raise LogBroken(f"the stored tree of {size} has lost nodes of its right edge")
    return [found[k] for k in wanted]


def check(tree: AuditTree, path=None) -> None:
    """Raise LogBroken naming what does not hold in the log about to be extended."""
    verified = component_status.get(VERIFIER)
    if verified is not None and not verified.ok:
        raise LogBroken(f"the last verification of the log failed ({verified.problem})")
    if tree.size:
        compact = merkle.CompactRange(tree.size, _edge(tree.size))
        if compact.root().hex() != tree.root:
            raise LogBroken(f"the stored tree of {tree.size} no longer folds to its root")
    top = AuditEvent.objects.aggregate(top=Max("seq"))["top"] or 0
    if top > tree.size:
        raise LogBroken(f"event at position {top} lies beyond the tree of {tree.size}")
    if top < tree.size:
        raise LogBroken(f"cut back: the tree holds {tree.size} events but the log ends at {top}")
    try:
        newest = checkpoints.newest_file(path)
    except checkpoints.CheckpointError as exc:
        raise LogBroken(f"checkpoints: {exc}") from None
    if newest is None:
        made = AuditCheckpoint.objects.count()
        if made:
            raise LogBroken(
                f"the checkpoint directory is missing or empty, but {made} checkpoint(s) "
                "were signed"
            )
        since = 0
    else:
        if newest.size > tree.size:
            raise LogBroken(
                f"cut back: the tree holds {tree.size} events, the checkpoint "
                f"{newest.source} signed {newest.size}"
            )
        try:
            stored_root = StoredTree().root(newest.size)
        except TreeBroken as exc:
            raise LogBroken(str(exc)) from None
        if stored_root != newest.root:
            raise LogBroken(
                f"rolled back: the tree of {newest.size} is not the one {newest.source} signed"
            )
        since = newest.size
    _check_sealed_since(since, tree.size)


def _check_sealed_since(since: int, size: int) -> None:
    """The events sealed since the newest checkpoint still hash to their stored leaves."""
    if size <= since:
        return
    keys = chain_keys()
    leaves = {
        k & ((1 << 48) - 1): bytes(h)
        for k, h in AuditNode.objects.filter(
            key__gte=node_key(0, since), key__lt=node_key(0, size)
        ).values_list("key", "hash")
    }
    seen = 0
    for event in AuditEvent.objects.filter(seq__gt=since, seq__lte=size).hashed_rows():
        if event.compute_hash(keys=keys) != event.hash:
            raise LogBroken(f"event #{event.pk} was altered after it was sealed")
        if leaves.get(event.seq - 1) != merkle.leaf_hash(event.leaf()):
            raise LogBroken(f"event #{event.pk} is not the leaf sealed at {event.seq - 1}")
        seen += 1
    if seen != size - since:
        raise LogBroken(f"removed: {size - since - seen} sealed event(s) are missing")


def _store_nodes(nodes: list[tuple[int, bytes]]) -> None:
    """Write the new node hashes (COPY on PostgreSQL: one stream, no statement per chunk)."""
    table = AuditNode._meta.db_table

    def copy_rows():
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} (key, hash) FROM STDIN") as copy:
                for row in nodes:
                    copy.write_row(row)

    def insert_rows():
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} (key, hash) VALUES (%s, %s)", nodes)

    fast_path(connection.alias, postgresql=copy_rows, plain=insert_rows)


def _assign(pairs: list[tuple[int, int]]) -> None:
    """Set `seq` of each (id, seq); the append-only trigger lets this one column be set."""
    table = AuditEvent._meta.db_table

    def one_statement():
        ids, seqs = [pk for pk, _ in pairs], [seq for _, seq in pairs]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} e SET seq = v.seq FROM unnest(%s::bigint[], %s::bigint[]) "
                "AS v(id, seq) WHERE e.id = v.id AND e.seq IS NULL",
                [ids, seqs],
            )

    def row_by_row():
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET seq = %s WHERE id = %s AND seq IS NULL",
                [(seq, pk) for pk, seq in pairs],
            )

    fast_path(connection.alias, postgresql=one_statement, plain=row_by_row)


def _pending_in_python(limit: int) -> list[tuple[int, bool, bytes]]:
    pending = AuditEvent.objects.filter(seq__isnull=True).order_by("id")[:limit]
    keys = chain_keys()
    return [
        (event.pk, event.compute_hash(keys=keys) == event.hash, merkle.leaf_hash(event.leaf()))
        for event in pending.hashed_rows(chunk_size=limit)
    ]


def _pending_in_postgresql(limit: int) -> list[tuple[int, bool, bytes]]:
    """What `_pending_in_python` computes, the database hashing as it reads (pgcrypto)."""
    schema = scan.pgcrypto_schema()
    if schema is None:
        return _pending_in_python(limit)
    crypto = connection.ops.quote_name(schema)
    values, params = scan.keys_sql(chain_keys())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.id, coalesce(pg_catalog.encode({crypto}.hmac(pg_catalog.convert_to("
            f"{scan.PAYLOAD}, 'UTF8'), k.secret, 'sha256'), 'hex') = e.hash, false), "
            f"pg_catalog.sha256('\\x00'::bytea || pg_catalog.convert_to({scan.LEAF}, 'UTF8')) "
            f"FROM {AuditEvent._meta.db_table} e LEFT JOIN (VALUES {values}) AS k(id, secret) "
            "ON k.id = e.key_id WHERE e.seq IS NULL ORDER BY e.id LIMIT %s",
            [*params, limit],
        )
        return [(pk, ok, bytes(leaf)) for pk, ok, leaf in cursor.fetchall()]


def _integrate_batch(tree: AuditTree, limit: int) -> int:
    """Seal up to `limit` committed events, oldest number first: each event's keyed hash is
    checked and its leaf hashed (by the database where it can), the new nodes stored, the
    positions set, the tree row moved on."""
    events = fast_path(
        connection.alias,
        postgresql=lambda: _pending_in_postgresql(limit),
        plain=lambda: _pending_in_python(limit),
    )
    if not events:
        return 0
    nodes: list[tuple[int, bytes]] = []
    store = nodes.append
    compact = merkle.CompactRange(
        tree.size,
        _edge(tree.size) if tree.size else [],
        on_node=lambda level, index, h: store((node_key(level, index), h)),
    )
    pairs = []
    append = compact.append
    for pk, fits, leaf in events:
        if not fits:
            raise LogBroken(f"event #{pk} does not carry its keyed hash; not sealing it")
        pairs.append((pk, compact.size + 1))
        append(leaf)
    _store_nodes(nodes)
    _assign(pairs)
    tree.size, tree.root = compact.size, compact.root().hex()
    tree.updated_at = timezone.now()
    tree.save(update_fields=["size", "root", "updated_at"])
    return len(events)


def integrate_pending(batch: int = BATCH) -> int:
    """Integrate every committed event waiting, without the checks before or the signature
    after (what `run` does between them; the benchmark times it alone)."""
    total = 0
    while True:
        with transaction.atomic():
            tree, _ = AuditTree.objects.select_for_update().get_or_create(pk=1)
            n = _integrate_batch(tree, batch)
        total += n
        if n < batch:
            return total


def run(*, path=None, batch: int = BATCH, now=None) -> Sealed:
    """Integrate every committed event waiting, a batch per transaction, then sign a
    checkpoint if the tree grew since the last one (written to the directory after the
    database has it)."""
    integrated = 0
    while True:
        with transaction.atomic():
            tree, _ = AuditTree.objects.select_for_update().get_or_create(pk=1)
            if integrated == 0:
                check(tree, path)
            n = _integrate_batch(tree, batch)
        integrated += n
        if n < batch:
            break
    with transaction.atomic():
        tree, _ = AuditTree.objects.select_for_update().get_or_create(pk=1)
        newest = checkpoints.latest()
        signed = None
        if tree.size and (newest is None or newest.size != tree.size):
            root = bytes.fromhex(tree.root)
            note = checkpoints.sign(tree.size, root)
            signed = checkpoints.store(note, tree.size, root, now or timezone.now())
    if signed is not None:
        checkpoints.write_file(signed.note, signed.size, path)
    return Sealed(integrated, tree.size, signed.size if signed else None)
