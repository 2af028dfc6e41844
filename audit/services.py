"""Writing to the audit log. Services call `record` (or, for a sweep's many changes,
`record_many`) inside their own transaction."""

from typing import NamedTuple

from django.db import models, transaction
from django.utils import timezone

from core.db import insert_rows

from .keys import current_chain_key
from .models import (
    GENESIS_HASH,
    AuditEvent,
    AuditHead,
    canonical_data,
    epoch_us,
    event_hash,
)


def _object_ref(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


@transaction.atomic
def record(
    *,
    action: str,
    obj: models.Model | None = None,
    actor=None,
    programme=None,
    subject=None,
    data: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain.

    Called inside the service's transaction, so the event is written if and only
    if the change is. The head row is locked (`SELECT … FOR UPDATE` on
    PostgreSQL; SQLite's IMMEDIATE transactions already serialise writers), so
    concurrent appends queue up and the chain stays linear.
    """
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    key_id, key = current_chain_key()
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    object_type, object_id = _object_ref(obj)
    data_json = canonical_data(data)
    event = AuditEvent(
        seq=head.seq + 1,
        created_at=timezone.now(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        programme=programme,
        subject=subject,
        data_json=data_json,
        prev_hash=head.hash or GENESIS_HASH,
        key_id=key_id,
    )
    event.hash = event_hash(
        key=key,
        seq=event.seq,
        prev_hash=event.prev_hash,
        created_us=epoch_us(event.created_at),
        actor_id=event.actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        programme_id=event.programme_id,
        subject_id=event.subject_id,
        data_json=data_json,
    )
    event.save()
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    return event


class Entry(NamedTuple):
    """One event of `record_many`: what `record` takes, as ids."""

    action: str
    object_type: str
    object_id: str
    programme_id: int | None
    subject_id: int | None
    data: dict
    actor_id: int | None = None


_FIELDS = [
    "seq",
    "created_at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "programme",
    "subject",
    "data_json",
    "prev_hash",
    "hash",
    "key_id",
]


@transaction.atomic
def record_many(entries: list[Entry]) -> int:
    """Append `entries` to the chain in their order, as `record` would one after the other:
    the same consecutive numbers, links and keyed hashes (one clock reading for all, as if
    they were appended within the same microsecond), under one lock of the head, written a
    chunk per statement (`core.db.insert_rows`). Returns how many were appended.
    """

    if not entries:
        return 0
    key_id, key = current_chain_key()
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    created_at = timezone.now()
    created_us = epoch_us(created_at)
    seq, prev = head.seq, head.hash or GENESIS_HASH
    rows = []
    for e in entries:
        seq += 1
        data_json = canonical_data(e.data)
        h = event_hash(
            key=key,
            seq=seq,
            prev_hash=prev,
            created_us=created_us,
            actor_id=e.actor_id,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            programme_id=e.programme_id,
            subject_id=e.subject_id,
            data_json=data_json,
        )
        rows.append(
            (
                seq,
                created_at,
                e.actor_id,
                e.action,
                e.object_type,
                e.object_id,
                e.programme_id,
                e.subject_id,
                data_json,
                prev,
                h,
                key_id,
            )
        )
        prev = h
    insert_rows(AuditEvent, _FIELDS, rows)
    head.seq, head.hash = seq, prev
    head.save(update_fields=["seq", "hash"])
    return len(rows)
