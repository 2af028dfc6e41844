"""Which records an audit event binds, and their canonical hash.

A model whose rows must not change behind the log's back lists the fields an event binds in
`AUDIT_BOUND_FIELDS` (its content, not its workflow columns: those change with events of
their own). The event that creates the record carries the record's per-field digests and
their hash (`record_fields`, `record_hash`, covered by the event's keyed hash and its leaf);
`audit_verify` recomputes them from the table and names the record and field that differ,
and the rows of a bound model that no event binds.
"""

import hashlib
import json
from datetime import UTC
from decimal import Decimal

from django.apps import apps
from django.db import models

from .models import record_digest


def bound_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if getattr(m, "AUDIT_BOUND_FIELDS", None)]


def _canonical(field, value):
    if value is None:
        return None
    if isinstance(field, models.DecimalField):
        return str(Decimal(value).quantize(Decimal(1).scaleb(-field.decimal_places)))
    if isinstance(field, models.ForeignKey):
        return int(value) if str(value).isdigit() else str(value)
    if isinstance(field, models.DateTimeField):
        return value.astimezone(UTC).isoformat()
    if isinstance(field, models.DateField):
        return value.isoformat()
    return value


def state(model: type[models.Model], pk, values: dict) -> tuple[str, str]:
    """(record_fields text, record_hash) of a row of `model` given its bound fields' values
    (by field name or attname)."""
    fields = {}
    added = getattr(model, "AUDIT_ADDED_FIELDS", frozenset())
    for name in model.AUDIT_BOUND_FIELDS:
        field = model._meta.get_field(name)
        value = values[name] if name in values else values[field.attname]
        if isinstance(value, models.Model):
            value = value.pk
        if name in added and value in (None, ""):
            # Added after records existed: those records' events never bound it.
            continue
        fields[name] = _canonical(field, value)
    digests, _ = record_digest(fields)
    text = json.dumps(
        {"fields": json.loads(digests), "model": model._meta.label_lower, "pk": pk},
        sort_keys=True,
        separators=(",", ":"),
    )
    return text, hashlib.sha256(text.encode()).hexdigest()


def state_of(obj: models.Model) -> tuple[str, str]:
    model = type(obj)
    values = {
        name: getattr(obj, model._meta.get_field(name).attname) for name in model.AUDIT_BOUND_FIELDS
    }
    return state(model, obj.pk, values)


def is_bound(obj) -> bool:
    return obj is not None and bool(getattr(type(obj), "AUDIT_BOUND_FIELDS", None))


def differing_fields(stored_text: str, current_text: str) -> list[str]:
    try:
        old = json.loads(stored_text)["fields"]
        new = json.loads(current_text)["fields"]
    except (ValueError, KeyError):
        return ["its bound fields"]
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
