"""Events bind terms versions, time entries and promotional uses from now on: the rows
written before have no binding event, so the tree records where they end (as 0006 did for
ledger entries, consents and review decisions)."""

from django.db import migrations

NEWLY_BOUND = ("programs.termsversion", "labour.timeentry", "publicity.promotionaluse")


def mark_unbound(apps, schema_editor):
    AuditTree = apps.get_model("audit", "AuditTree")
    tree = AuditTree.objects.filter(pk=1).first()
    if tree is None:
        return
    unbound = dict(tree.unbound_before or {})
    with schema_editor.connection.cursor() as cursor:
        for label in NEWLY_BOUND:
            table = apps.get_model(label)._meta.db_table
            cursor.execute(f"SELECT max(id) FROM {table}")
            unbound.setdefault(label, cursor.fetchone()[0] or 0)
    tree.unbound_before = unbound
    tree.save(update_fields=["unbound_before"])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0007_sequencer_writes_fewer_indexes"),
        ("labour", "0004_time_entry_pay_checked"),
        ("programs", "0012_terms_payment_within_days"),
        ("publicity", "0002_single_line_text"),
    ]

    operations = [migrations.RunPython(mark_unbound, migrations.RunPython.noop)]
