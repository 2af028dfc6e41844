"""An index that lets the public figures read decisions without the table (PostgreSQL).

The figures join a programme's submissions to their decisions and need only these
columns of them: with the index both sides of the join are index-only scans in
submission order (a merge join), also for the rejection reasons.
"""

from django.db import migrations

NAME = "approvals_dec_figures_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON approvals_reviewdecision "
            "(submission_id) INCLUDE (stage, outcome, decided_at, reason_id)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("approvals", "0004_transparency_index")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
