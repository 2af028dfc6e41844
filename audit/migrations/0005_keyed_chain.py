"""Key the chain: every event's hash becomes an HMAC under the chain key (AUDIT_HMAC_KEYS).

Existing events are checked against their old, unkeyed SHA-256 chain first; a broken
chain stops the migration (an operator must look before anything is re-hashed). An intact
one is re-hashed in order with the current chain key, once, by the owner of the tables
(the append-only trigger is set aside for this one statement on PostgreSQL). pgcrypto is
installed when the database allows it, so audit_verify can check the keys where the
events lie; without it audit_verify walks the chain in Python.
"""

import hashlib

from django.db import migrations, models

GENESIS = "0" * 64


def _old_hash(e, prev):
    from audit.models import epoch_us

    payload = (
        f"{e.seq}|{prev}|{epoch_us(e.created_at)}|{e.actor_id or ''}|{e.action}|{e.object_type}|"
        f"{e.object_id}|{e.programme_id or ''}|{e.subject_id or ''}|{e.data_json}"
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def rekey(apps, schema_editor):
    from audit.keys import current_chain_key
    from audit.models import epoch_us, event_hash

    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute("SAVEPOINT tt_pgcrypto")
        try:
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
            schema_editor.execute("RELEASE SAVEPOINT tt_pgcrypto")
        except Exception:  # noqa: BLE001 - no privilege: audit_verify walks in Python
            schema_editor.execute("ROLLBACK TO SAVEPOINT tt_pgcrypto")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditHead = apps.get_model("audit", "AuditHead")
    key_id, key = current_chain_key()
    old_prev, new_prev, expected = GENESIS, GENESIS, 1
    updates = []
    for e in AuditEvent.objects.order_by("seq").iterator(chunk_size=5000):
        if e.seq != expected or e.prev_hash != old_prev or _old_hash(e, old_prev) != e.hash:
            raise RuntimeError(
                f"The audit chain is already broken at event #{e.seq}; "
                "run the previous version's audit_verify and investigate before migrating."
            )
        new = event_hash(
            key=key,
            seq=e.seq,
            prev_hash=new_prev,
            created_us=epoch_us(e.created_at),
            actor_id=e.actor_id,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            programme_id=e.programme_id,
            subject_id=e.subject_id,
            data_json=e.data_json,
        )
        updates.append((new_prev, new, key_id, e.seq))
        old_prev, new_prev, expected = e.hash, new, expected + 1
    if not updates:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
        # Hashes are unique: move them out of the way first, then write the keyed ones.
        cursor.execute("UPDATE audit_auditevent SET hash = 'rekey-' || seq")
        cursor.executemany(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s, key_id = %s WHERE seq = %s",
            updates,
        )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only")
    AuditHead.objects.update_or_create(pk=1, defaults={"seq": updates[-1][3], "hash": new_prev})


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_data_as_hashed_text")]
    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(
                default="",
                help_text="Which chain key (AUDIT_HMAC_KEYS) keyed this event's hash.",
                max_length=16,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(rekey, migrations.RunPython.noop, elidable=False),
    ]
