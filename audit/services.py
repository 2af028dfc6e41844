"""Writing to the audit log. Services call `record` (or, for a sweep's many changes,
`record_many`) inside their own transaction.

An event is written with its keyed hash and no position: nothing is read or locked that
another writer shares, so a long job never holds up a person's write. The sequencer
(audit.sequencer) gives committed events their place in the Merkle tree a few seconds later.
"""

from typing import NamedTuple

from django.db import models, transaction
from django.utils import timezone

from core.db import insert_rows
from core.errors import DomainError

from . import binding, receipts, signednote, witness
from .keys import current_chain_key
from .models import (
    V2,
    AuditCheckpoint,
    AuditCosignature,
    AuditEvent,
    canonical_data,
    epoch_us,
    event_hash,
)


def _object_ref(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


# No savepoint of its own inside the caller's transaction (two round trips fewer per write):
# an error here leaves that transaction to be rolled back, change and event alike.
@transaction.atomic(savepoint=False)
def record(
    *,
    action: str,
    obj: models.Model | None = None,
    actor=None,
    programme=None,
    subject=None,
    data: dict | None = None,
    binds: models.Model | None = None,
) -> AuditEvent:
    """Write one event, in the caller's transaction: written if and only if the change is.

    `binds` (by default `obj`, when its model lists AUDIT_BOUND_FIELDS) is the record whose
    content the event fixes (audit.binding).
    """
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    key_id, key = current_chain_key()
    bound = binds if binds is not None else (obj if binding.is_bound(obj) else None)
    record_fields, record_hash = binding.state_of(bound) if bound is not None else ("", "")
    object_type, object_id = _object_ref(obj)
    data_json = canonical_data(data)
    event = AuditEvent(
        created_at=timezone.now(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        programme=programme,
        subject=subject,
        data_json=data_json,
        record_hash=record_hash,
        record_fields=record_fields,
        prev_hash="",
        key_id=key_id,
    )
    event.hash = event_hash(
        key=key,
        seq=V2,
        prev_hash=record_hash,
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
    receipts.noted(event.pk)
    return event


class Entry(NamedTuple):
    """One event of `record_many`: what `record` takes, as ids. `binds` is (model, pk,
    values of its AUDIT_BOUND_FIELDS) for an event that binds a record."""

    action: str
    object_type: str
    object_id: str
    programme_id: int | None
    subject_id: int | None
    data: dict
    actor_id: int | None = None
    binds: tuple | None = None


_FIELDS = [
    "created_at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "programme",
    "subject",
    "data_json",
    "record_hash",
    "record_fields",
    "prev_hash",
    "hash",
    "key_id",
]


@transaction.atomic(savepoint=False)
def record_many(entries: list[Entry]) -> int:
    """Write `entries` as `record` would one after the other (one clock reading for all), a
    chunk per statement (`core.db.insert_rows`), holding no lock. Returns how many."""

    if not entries:
        return 0
    key_id, key = current_chain_key()
    created_at = timezone.now()
    created_us = epoch_us(created_at)
    rows = []
    for e in entries:
        data_json = canonical_data(e.data)
        record_fields, record_hash = binding.state(*e.binds) if e.binds else ("", "")
        h = event_hash(
            key=key,
            seq=V2,
            prev_hash=record_hash,
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
                created_at,
                e.actor_id,
                e.action,
                e.object_type,
                e.object_id,
                e.programme_id,
                e.subject_id,
                data_json,
                record_hash,
                record_fields,
                "",
                h,
                key_id,
            )
        )
    insert_rows(AuditEvent, _FIELDS, rows)
    return len(rows)


def cosignature_add(*, size: int, line: str):
    """Publish a witness's cosignature of the checkpoint of `size` events, once it verifies
    with a key in AUDIT_WITNESS_KEYS. Returns the witness's name."""
    checkpoint = AuditCheckpoint.objects.filter(size=size).first()
    if checkpoint is None:
        raise DomainError(f"No checkpoint of {size} events was signed here.")
    text, _ = signednote.split(checkpoint.note)
    try:
        name = witness.verify_cosignature(text, line.strip(), witness.known_keys())
    except witness.WitnessError as exc:
        raise DomainError(f"The cosignature was refused: {exc}.") from None
    if not AuditCosignature.objects.filter(size=size, witness=name).exists():
        AuditCosignature.objects.create(
            size=size, witness=name, line=line.strip(), received_at=timezone.now()
        )
    return name
