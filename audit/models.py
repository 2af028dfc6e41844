"""The audit log: every state change in a programme, append-only and hash-chained."""

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
    """The keyed hash of one event: HMAC-SHA256, under the chain key, of its content and
    the hash of the event before it.

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


class AuditEventQuerySet(AppendOnlyQuerySet, RestrictedQuerySet):
    pass


class AuditEvent(AppendOnlyModel):
    """One state change: who did what to which record, in which programme, when.

    `seq` orders the chain; `prev_hash` is the hash of event `seq - 1`.
    """

    seq = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64, blank=True)
    programme = models.ForeignKey(
        "programs.Programme", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events_about",
        help_text="The person this event is about, who may read it in their portal.",
    )
    data_json = models.TextField(
        default="{}", help_text="The event's data as the canonical JSON text that was hashed."
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(
        max_length=16, help_text="Which chain key (AUDIT_HMAC_KEYS) keyed this event's hash."
    )

    objects = AuditEventQuerySet.as_manager()
    # A person sees the events about themselves; managers those of their programmes.
    visibility = Visibility(programme="programme_id", owner="subject", staff="manage")

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["subject", "seq"]),
            models.Index(fields=["programme", "seq"]),
        ]

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    @property
    def data(self) -> dict:
        return json.loads(self.data_json or "{}")

    def compute_hash(self, *, seq: int | None = None) -> str:
        """The hash this event should have (at `seq`, by default its own); "" for an unknown key."""

        key = chain_keys().get(self.key_id)
        if key is None:
            return ""
        return event_hash(
            key=key,
            seq=self.seq if seq is None else seq,
            prev_hash=self.prev_hash,
            created_us=epoch_us(self.created_at),
            actor_id=self.actor_id,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            programme_id=self.programme_id,
            subject_id=self.subject_id,
            data_json=self.data_json,
        )


class AuditHead(models.Model):
    """The end of the chain: one row, locked by every append so the chain stays linear.

    It also lets `audit_verify` notice events deleted from the end of the chain.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self):
        return f"audit head #{self.seq}"
