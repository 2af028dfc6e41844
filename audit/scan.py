"""The whole log read once for checking: for each event in tree order, whether its keyed hash
fits and the hash of its leaf, computed where it is cheapest.

On PostgreSQL with pgcrypto the database computes both as it reads the rows (HMAC-SHA256 and
SHA-256 of the same `|`-separated payloads as `audit.models.event_hash` and `leaf_text`), so
`audit_verify` costs little more than a scan of the table; elsewhere Python computes them from
the rows. Both give the same tuples; tests hold one against the other.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction

from core.db import fast_path, is_postgresql

from . import merkle
from .keys import chain_keys
from .models import AuditEvent, AuditNode

# (id, seq, prev_hash, hash, the keyed hash fits, leaf hash, record_fields, record_hash)
Row = tuple[int, int | None, str, str, bool, bytes, str, str]

_US = "(extract(epoch FROM e.created_at) * 1000000)::bigint"

# The keyed payload of `event_hash`: events of the old chain hash their position and link,
# events since the tree the text `v2` and the bound record's hash.
PAYLOAD = f"""
concat_ws('|', CASE WHEN e.prev_hash = '' THEN 'v2' ELSE e.seq::text END,
          CASE WHEN e.prev_hash = '' THEN e.record_hash ELSE e.prev_hash END, {_US},
          coalesce(e.actor_id::text, ''), e.action, e.object_type, e.object_id,
          coalesce(e.programme_id::text, ''), coalesce(e.subject_id::text, ''), e.data_json)
"""

# The bytes of `leaf_text`.
LEAF = f"""
concat_ws('|', 'tt-audit-leaf/1', e.id::text, e.key_id, e.hash, e.record_hash, {_US},
          coalesce(e.actor_id::text, ''), e.action, e.object_type, e.object_id,
          coalesce(e.programme_id::text, ''), coalesce(e.subject_id::text, ''), e.data_json)
"""


def pgcrypto_schema() -> str | None:
    """The schema pgcrypto is installed in, or None (PostgreSQL only)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n "
            "ON n.oid = x.extnamespace WHERE x.extname = 'pgcrypto'"
        )
        row = cursor.fetchone()
    return row[0] if row else None


def keys_sql(keys: dict[str, bytes]) -> tuple[str, list]:
    """The chain keys as a `VALUES` list of (id, secret) and its parameters."""
    values = ", ".join(["(%s, %s::bytea)"] * len(keys))
    return values, [part for key_id, secret in keys.items() for part in (key_id, secret)]


def _in_python(keys, chunk: int) -> Iterator[Row]:
    for event in AuditEvent.objects.order_by("seq", "id").hashed_rows(chunk_size=chunk):
        ok = event.compute_hash(keys=keys) == event.hash
        leaf = merkle.leaf_hash(event.leaf()) if event.seq is not None else b""
        yield (
            *(event.pk, event.seq, event.prev_hash, event.hash, ok, leaf),
            *(event.record_fields, event.record_hash),
        )


def _in_postgresql(keys, chunk: int) -> Iterator[Row]:
    schema = pgcrypto_schema()
    if schema is None:
        yield from _in_python(keys, chunk)
        return
    crypto = connection.ops.quote_name(schema)
    values, params = keys_sql(keys)
    select = (
        f"SELECT e.id, e.seq, e.prev_hash, e.hash, coalesce(pg_catalog.encode({crypto}.hmac("
        f"pg_catalog.convert_to({PAYLOAD}, 'UTF8'), k.secret, 'sha256'), 'hex') = e.hash, false), "
        f"CASE WHEN e.seq IS NULL THEN ''::bytea ELSE pg_catalog.sha256("
        f"'\\x00'::bytea || pg_catalog.convert_to({LEAF}, 'UTF8')) END, "
        "CASE WHEN e.record_hash = '' THEN '' ELSE e.record_fields END, e.record_hash "
        f"FROM {AuditEvent._meta.db_table} e LEFT JOIN (VALUES {values}) AS k(id, secret) "
        "ON k.id = e.key_id "
    )
    # Two walks along an index each (the sealed by position, the rest by number), not one
    # sort of the whole table; in a transaction, so the cursor streams rather than being
    # materialised first.
    with transaction.atomic(using=connection.alias):
        for where in ("e.seq IS NOT NULL ORDER BY e.seq", "e.seq IS NULL ORDER BY e.id"):
            with connection.chunked_cursor() as cursor:
                cursor.execute(select + "WHERE " + where, params)
                while rows := cursor.fetchmany(chunk):
                    for pk, seq, prev, h, ok, leaf, fields, record in rows:
                        yield pk, seq, prev, h, ok, bytes(leaf), fields, record


def hashed(chunk: int = 10000) -> Iterator[Row]:
    """Every event in tree order (sealed by position, then the rest by number), checked."""
    keys = chain_keys()
    return fast_path(
        connection.alias,
        postgresql=lambda: _in_postgresql(keys, chunk),
        plain=lambda: _in_python(keys, chunk),
    )


# --- The whole log at once, for a log that verifies ---------------------------------------------


@dataclass
class Summary:
    """What one pass of the database over the log found (PostgreSQL with pgcrypto)."""

    events: int  # every event, sealed or not
    sealed: int  # events with a position
    first: int | None  # their lowest and highest position
    last: int | None
    unfit: int  # events whose keyed hash does not fit
    misplaced: int  # sealed events whose leaf is not the stored leaf at their position
    levels: list[bytes]  # the tree rebuilt from the stored leaves of 0..size-1 (`levels`)
    linked: list[tuple[int, str, str]]  # (id, prev_hash, hash) of the old chain, in tree order
    bound: list[tuple[int, str, str]]  # (id, record_fields, record_hash) of binding events


def summary(size: int) -> Summary | None:
    """The log summed up by the database in a few statements, the hashing done there (in
    parallel where PostgreSQL can): every keyed hash and every sealed event's leaf against the
    leaf stored at its position; the tree of `size` leaves rebuilt here from the stored leaves
    while the database hashes; the few events a walk must see one by one (links of the old
    chain, binding events). None where the database cannot (SQLite, no pgcrypto):
    `audit_verify` walks the log instead."""
    if not is_postgresql(connection.alias):
        return None
    schema = pgcrypto_schema()
    if schema is None:
        return None
    crypto = connection.ops.quote_name(schema)
    values, params = keys_sql(chain_keys())
    events, nodes = AuditEvent._meta.db_table, AuditNode._meta.db_table
    # Positions, stored leaves and events are written and never changed, so a write committed
    # between these statements adds to what the later ones see without contradicting the
    # earlier ones (a tree grown meanwhile is a tree `audit_verify` does not take as verified).
    with connection.cursor() as cursor:
        # Level 0 of the tree: keys 0..size-1 are the leaves (node_key(0, i) == i).
        cursor.execute(
            f"SELECT pg_catalog.string_agg(hash, ''::bytea ORDER BY key) FROM {nodes} "
            "WHERE key >= 0 AND key < %s",
            [size],
        )
        leaves = bytes(cursor.fetchone()[0] or b"")
    # psycopg's pipeline sends both statements and returns: the database hashes while the tree
    # is rebuilt here, and the first fetch waits for the rest.
    raw = connection.connection
    with raw.pipeline(), raw.cursor() as counts, raw.cursor() as walked:
        counts.execute(
            "SELECT count(*), count(e.seq), min(e.seq), max(e.seq), count(*) FILTER (WHERE NOT "
            f"coalesce(pg_catalog.encode({crypto}.hmac(pg_catalog.convert_to({PAYLOAD}, 'UTF8'), "
            "k.secret, 'sha256'), 'hex') = e.hash, false)), count(*) FILTER (WHERE e.seq IS NOT "
            "NULL AND n.hash IS DISTINCT FROM pg_catalog.sha256('\\x00'::bytea || "
            f"pg_catalog.convert_to({LEAF}, 'UTF8'))) FROM {events} e "
            f"LEFT JOIN (VALUES {values}) AS k(id, secret) ON k.id = e.key_id "
            f"LEFT JOIN (SELECT key, hash FROM {nodes} WHERE key < %s) n ON n.key = e.seq - 1",
            [*params, 1 << 48],
        )
        walked.execute(
            f"SELECT id, prev_hash, hash, record_fields, record_hash FROM {events} "
            "WHERE prev_hash <> '' OR record_hash <> '' ORDER BY seq NULLS LAST, id"
        )
        tree = levels(leaves)
        total, sealed, first, last, unfit, misplaced = counts.fetchone()
        rows = walked.fetchall()
    linked, bound = [], []
    for pk, prev, h, fields, record in rows:
        if prev:
            linked.append((pk, prev, h))
        if record:
            bound.append((pk, fields, record))
    if len(leaves) != 32 * size:
        misplaced += 1  # a stored leaf of the tree is missing
    return Summary(total, sealed, first, last, unfit, misplaced, tree, linked, bound)


def levels(leaves: bytes) -> list[bytes]:
    """Every level of the complete subtrees over `leaves` (32-byte leaf hashes, concatenated):
    level k holds MTH of each aligned run of 2^k leaves, 32 bytes each."""
    found = [leaves]
    sha256 = hashlib.sha256
    while len(found[-1]) >= 64:
        below = found[-1]
        found.append(
            b"".join(
                sha256(b"\x01" + below[i : i + 64]).digest() for i in range(0, len(below) - 63, 64)
            )
        )
    return found
