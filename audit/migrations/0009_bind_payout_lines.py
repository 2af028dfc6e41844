"""Events bind payout lines from now on (one event per line made, one per settlement or
take-out): the lines written before have no binding event, so the tree records where they end
(as 0008 did for terms versions, time entries and promotional uses)."""

from django.db import migrations


def mark_unbound(apps, schema_editor):
    AuditTree = apps.get_model("audit", "AuditTree")
    tree = AuditTree.objects.filter(pk=1).first()
    if tree is None:
        return
    unbound = dict(tree.unbound_before or {})
    table = apps.get_model("compensation.payoutline")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT max(id) FROM {table}")
        unbound.setdefault("compensation.payoutline", cursor.fetchone()[0] or 0)
    tree.unbound_before = unbound
    tree.save(update_fields=["unbound_before"])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0008_bind_terms_time_and_promotional_uses"),
        ("compensation", "0009_reimbursement_kind"),
    ]

    operations = [migrations.RunPython(mark_unbound, migrations.RunPython.noop)]
