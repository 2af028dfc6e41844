"""The audit log: every state change in a programme, append-only, keyed, and sealed in an
RFC 9162 Merkle tree (a verifiable log in the Certificate Transparency style).

A service writes its events in its own transaction with no position in the log: nothing is
locked that another programme or a job could hold. The sequencer (audit.sequencer) gives
committed events their position (`seq`), stores the tree's node hashes and signs a
checkpoint whenever the tree grew.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from core.db import AppendOnlyModel, AppendOnlyQuerySet
from core.restricted import RestrictedQuerySet, Visibility

from .keys import chain_keys

GENESIS_HASH = "0" * 64


def canonical_data(data) -> str:
    return json.dumps(data or {}, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_us(moment: datetime) -> int:
    """Exact microseconds since the epoch: the form of time the hash covers."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def event_hash(
    *,
    key: bytes,
    seq: int,
    prev_hash: str,
    created_us: int,
    actor_id,
    action: str,
    object_type: str,
    object_id: str,
    programme_id,
    subject_id,
    data_json: str,
) -> str:
    """The keyed hash of one event: HMAC-SHA256, under the chain key, of its content.

    Events written before the Merkle tree (format 1) were chained: `seq` and `prev_hash` were
    their position and the hash of the event before. Events written since (format 2) have no
    position when they are written: `seq` is the text `v2` and `prev_hash` carries the hash of
    the record the event binds (`record_hash`, or empty).

    The payload is `|`-separated with the free-form JSON last, so it is
    unambiguous (dotted action names and ids contain no `|`) and cheap to
    rebuild when verifying a million events. Changing, deleting or reordering
    any event changes this value or breaks the link to the next event; without the key
    (held in the environment, never in the database) nobody can compute a value that fits.
    """
    payload = (
        f"{seq}|{prev_hash}|{created_us}|{actor_id or ''}|{action}|{object_type}|"
        f"{object_id}|{programme_id or ''}|{subject_id or ''}|{data_json}"
    )
    return hmac.digest(key, payload.encode(), "sha256").hex()


V2 = "v2"  # the `seq` part of the keyed payload of an event written without a position


def record_digest(fields: dict) -> tuple[str, str]:
    """(canonical per-field digests as JSON text, its SHA-256): what an event binds of a record.

    Each field's value is reduced to 16 hex digits of SHA-256 of its canonical JSON, so the
    event names which field changed without holding the record's content.
    """
    digests = {
        name: hashlib.sha256(canonical_data({"v": value}).encode()).hexdigest()[:16]
        for name, value in fields.items()
    }
    text = canonical_data(digests)
    return text, hashlib.sha256(text.encode()).hexdigest()


def leaf_text(
    *,
    event_id,
    key_id: str,
    hash: str,
    record_hash: str,
    created_us: int,
    actor_id,
    action: str,
    object_type: str,
    object_id: str,
    programme_id,
    subject_id,
    data_json: str,
) -> bytes:
    """The exact bytes of an event's leaf in the Merkle tree (RFC 9162: hashed as
    SHA-256(0x00 || these bytes)). `|`-separated, the free-form JSON last; the keyed hash is
    among them, so a leaf made without the chain key does not verify."""
    return (
        f"tt-audit-leaf/1|{event_id}|{key_id}|{hash}|{record_hash}|{created_us}|"
        f"{actor_id or ''}|{action}|{object_type}|{object_id}|{programme_id or ''}|"
        f"{subject_id or ''}|{data_json}"
    ).encode()


class HashedContent:
    """What an event's keyed hash and leaf are made of, for a saved event and for a plain row
    read by the sequencer or `audit_verify` (`HashedRow`) alike."""

    @property
    def chained(self) -> bool:
        """Written before the Merkle tree, as a link of the old hash chain (format 1)."""
        return bool(self.prev_hash)

    def compute_hash(self, *, seq: int | None = None, keys: dict | None = None) -> str:
        """The keyed hash this event should have; "" for an unknown key. `keys` (from
        `chain_keys()`) spares reading the setting again when checking many events."""
        key = (chain_keys() if keys is None else keys).get(self.key_id)
        if key is None:
            return ""
        return event_hash(
            key=key,
            seq=(self.seq if seq is None else seq) if self.chained else V2,
            prev_hash=self.prev_hash if self.chained else self.record_hash,
            created_us=epoch_us(self.created_at),
            actor_id=self.actor_id,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            programme_id=self.programme_id,
            subject_id=self.subject_id,
            data_json=self.data_json,
        )

    def leaf(self) -> bytes:
        return leaf_text(
            event_id=self.pk,
            key_id=self.key_id,
            hash=self.hash,
            record_hash=self.record_hash,
            created_us=epoch_us(self.created_at),
            actor_id=self.actor_id,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            programme_id=self.programme_id,
            subject_id=self.subject_id,
            data_json=self.data_json,
        )


# The columns an event's hash and leaf are made from: read as plain rows, not models, when
# the sequencer and audit_verify walk the whole log.
HASHED = (
    "id", "seq", "prev_hash", "created_at", "actor_id", "action", "object_type",
    "object_id", "programme_id", "subject_id", "data_json", "record_hash",
    "record_fields", "hash", "key_id",
)  # fmt: skip


class HashedRow(HashedContent):
    """An event's hashed columns as read from the table, without building a model (a model
    per row would be most of the time the sequencer takes)."""

    __slots__ = HASHED

    def __init__(self, row):
        for name, value in zip(HASHED, row, strict=True):
            setattr(self, name, value)

    @property
    def pk(self):
        return self.id


class AuditEventQuerySet(AppendOnlyQuerySet, RestrictedQuerySet):
    HASHED = HASHED

    def hashed_rows(self, chunk_size: int = 5000):
        """The events as `HashedRow`s (their hashed columns only), streamed."""
        for row in self.values_list(*HASHED).iterator(chunk_size=chunk_size):
            yield HashedRow(row)


class AuditEvent(HashedContent, AppendOnlyModel):
    """One state change: who did what to which record, in which programme, when.

    The event's number is its `id`, known when it is written. `seq` is its position in the
    log (leaf `seq - 1` of the Merkle tree), empty until the sequencer integrates it; the
    append-only trigger lets `seq` alone be set. `prev_hash` is the link of the chain that
    came before the tree (events of format 1); events of format 2 leave it empty.
    """

    seq = models.BigIntegerField(unique=True, null=True, blank=True)
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64, blank=True)
    # No index of their own: the (programme, seq) and (subject, seq) indexes serve them.
    programme = models.ForeignKey(
        "programs.Programme",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="audit_events_about",
        help_text="The person this event is about, who may read it in their portal.",
    )
    data_json = models.TextField(
        default="{}", help_text="The event's data as the canonical JSON text that was hashed."
    )
    record_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="SHA-256 of `record_fields`: the state of the record the event made.",
    )
    record_fields = models.TextField(
        blank=True, help_text="Per-field digests of the bound record, as canonical JSON."
    )
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    key_id = models.CharField(
        max_length=16,
        help_text="Which chain key (AUDIT_HMAC_KEYS) keyed this event's hash.",
    )

    objects = AuditEventQuerySet.as_manager()
    # A person sees the events about themselves; managers those of their programmes.
    visibility = Visibility(programme="programme_id", owner="subject", staff="manage")

    class Meta:
        ordering = ["id"]
        # Every index here is written again when the sequencer sets `seq`: only those a
        # query uses (no text-pattern copies of `action` or `hash`).
        constraints = [models.UniqueConstraint(fields=["hash"], name="audit_event_hash_unique")]
        indexes = [
            models.Index(fields=["action"], name="audit_event_action"),
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["subject", "seq"]),
            models.Index(fields=["programme", "seq"]),
            models.Index(
                fields=["id"], condition=models.Q(seq__isnull=True), name="audit_event_unsequenced"
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"

    @property
    def data(self) -> dict:
        return json.loads(self.data_json or "{}")


def node_key(level: int, index: int) -> int:
    """The one integer naming a node of the tree: its level (0 for leaves) and index."""
    return (level << 48) | index


class AuditNode(models.Model):
    """The hash of one complete subtree of the Merkle tree (level 0: a leaf's hash), stored by
    the sequencer so that a proof is a handful of reads. Written once, never changed."""

    key = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)

    def __str__(self):
        return f"node {self.key >> 48}/{self.key & ((1 << 48) - 1)}"


class AuditTree(models.Model):
    """The tree as the sequencer last left it: one row, locked by the sequencer alone (never
    by a service's write)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    root = models.CharField(max_length=64, default="")
    updated_at = models.DateTimeField(null=True, blank=True)
    unbound_before = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per bound model, the newest primary key written before events bound records "
        "(those rows have no binding event).",
    )

    def __str__(self):
        return f"audit tree of {self.size}"


class AuditCheckpoint(AppendOnlyModel):
    """A signed checkpoint (C2SP tlog-checkpoint in a signed note), as published. The same text
    is written to a file in AUDIT_CHECKPOINT_DIR, outside the database."""

    size = models.BigIntegerField(unique=True)
    root = models.CharField(max_length=64)
    note = models.TextField()
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["size"]

    def __str__(self):
        return f"checkpoint of {self.size}"


class AuditCosignature(AppendOnlyModel):
    """A witness's cosignature (C2SP tlog-cosignature) of one checkpoint, published beside it."""

    size = models.BigIntegerField(db_index=True)
    witness = models.CharField(max_length=200)
    line = models.TextField(help_text="The signature line, `— <witness name> <base64>`.")
    received_at = models.DateTimeField()

    def __str__(self):
        return f"cosignature of {self.size} by {self.witness}"
