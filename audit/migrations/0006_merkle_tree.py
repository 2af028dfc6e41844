"""The hash chain becomes the first leaves of an RFC 9162 Merkle tree.

The chain is checked first (every keyed hash and link, and that it ends at the head); a broken
chain stops the migration, as 0005 did, for an operator to look before anything is sealed.
Then each event, in chain order, becomes the leaf at position `seq - 1`: the event keeps its
number, its keyed hash and its links, so every existing event stays verifiable, and the
sequencer's first run signs a checkpoint of the tree (the old chain's JSON checkpoints are
still read and held against the events by audit_verify). The head row goes: no write locks
anything any more. The append-only trigger is put back letting `seq` alone be set (the
sequencer sets it once, when it seals an event).
"""

from django.conf import settings
from django.db import migrations, models

from core.db import append_only_trigger

GENESIS = "0" * 64


def seal_chain(apps, schema_editor):
    from django.apps import apps as loaded

    from audit import merkle
    from audit.keys import chain_keys
    from audit.models import epoch_us, event_hash, leaf_text, node_key

    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditHead = apps.get_model("audit", "AuditHead")
    AuditNode = apps.get_model("audit", "AuditNode")
    AuditTree = apps.get_model("audit", "AuditTree")
    keys = chain_keys()
    nodes = []
    compact = merkle.CompactRange(
        on_node=lambda level, index, h: nodes.append(AuditNode(key=node_key(level, index), hash=h))
    )
    prev, expected = GENESIS, 1
    for e in AuditEvent.objects.order_by("seq").iterator(chunk_size=5000):
        common = dict(
            created_us=epoch_us(e.created_at),
            actor_id=e.actor_id,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            programme_id=e.programme_id,
            subject_id=e.subject_id,
            data_json=e.data_json,
        )
        key = keys.get(e.key_id)
        if (
            e.seq != expected
            or e.prev_hash != prev
            or key is None
            or event_hash(key=key, seq=e.seq, prev_hash=prev, **common) != e.hash
        ):
            raise RuntimeError(
                f"The audit chain is broken at event #{e.seq}; run the previous version's "
                "audit_verify and investigate before migrating."
            )
        compact.append(
            merkle.leaf_hash(
                leaf_text(event_id=e.pk, key_id=e.key_id, hash=e.hash, record_hash="", **common)
            )
        )
        if len(nodes) >= 10000:
            AuditNode.objects.bulk_create(nodes)
            nodes.clear()
        prev, expected = e.hash, expected + 1
    AuditNode.objects.bulk_create(nodes)
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != expected - 1 or (head.seq and head.hash != prev)):
        raise RuntimeError(
            f"The audit head (#{head.seq}) is not the chain's end (#{expected - 1}); "
            "investigate before migrating."
        )
    # Records written before events bound them have no binding event: remember where they end.
    tables = set(schema_editor.connection.introspection.table_names())
    unbound = {}
    with schema_editor.connection.cursor() as cursor:
        for model in loaded.get_models():
            if getattr(model, "AUDIT_BOUND_FIELDS", None) and model._meta.db_table in tables:
                cursor.execute(f"SELECT max(id) FROM {model._meta.db_table}")
                unbound[model._meta.label_lower] = cursor.fetchone()[0] or 0
    AuditTree.objects.create(
        pk=1,
        size=compact.size,
        root=compact.root().hex() if compact.size else "",
        unbound_before=unbound,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0005_keyed_chain'),
        ('programs', '0010_editorial_confirmation'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditCheckpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('size', models.BigIntegerField(unique=True)),
                ('root', models.CharField(max_length=64)),
                ('note', models.TextField()),
                ('signed_at', models.DateTimeField()),
            ],
            options={
                'ordering': ['size'],
            },
        ),
        migrations.CreateModel(
            name='AuditCosignature',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('size', models.BigIntegerField(db_index=True)),
                ('witness', models.CharField(max_length=200)),
                ('line', models.TextField(help_text='The signature line, `— <witness name> <base64>`.')),
                ('received_at', models.DateTimeField()),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='AuditNode',
            fields=[
                ('key', models.BigIntegerField(primary_key=True, serialize=False)),
                ('hash', models.BinaryField(max_length=32)),
            ],
        ),
        migrations.CreateModel(
            name='AuditTree',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('size', models.BigIntegerField(default=0)),
                ('root', models.CharField(default='', max_length=64)),
                ('updated_at', models.DateTimeField(blank=True, null=True)),
                ('unbound_before', models.JSONField(blank=True, default=dict, help_text='Per bound model, the newest primary key written before events bound records (those rows have no binding event).')),
            ],
        ),
        migrations.AlterModelOptions(
            name='auditevent',
            options={'ordering': ['id']},
        ),
        migrations.AddField(
            model_name='auditevent',
            name='record_fields',
            field=models.TextField(blank=True, help_text='Per-field digests of the bound record, as canonical JSON.'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='record_hash',
            field=models.CharField(blank=True, help_text='SHA-256 of `record_fields`: the state of the record the event made.', max_length=64),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='prev_hash',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='seq',
            field=models.BigIntegerField(blank=True, null=True, unique=True),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(condition=models.Q(('seq__isnull', True)), fields=['id'], name='audit_event_unsequenced'),
        ),
        migrations.RunPython(seal_chain, migrations.RunPython.noop, elidable=False),
        migrations.DeleteModel(
            name='AuditHead',
        ),
        append_only_trigger("audit_auditevent", mutable_columns=("seq",)),
    ]
