"""An index that lets the public figures sum a programme's ledger without the table.

PostgreSQL only (covering indexes): paid, pending and earned per person are sums over
every entry of a programme; with the columns they need in the index, ordered by
participation, that is an index-only scan with no sort. Not declared on the model
because Django's state would then differ per database vendor.
"""

from django.db import migrations

NAME = "compensation_figures_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON compensation_ledgerentry "
            "(programme_id, participation_id) INCLUDE (currency, state, amount)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("compensation", "0002_append_only_ledger")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
