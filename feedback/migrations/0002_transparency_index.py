"""An index that lets the public figures sum a programme's confirmed hours without the table.

PostgreSQL only (covering, partial): hours per person and per participation are sums
over the confirmed time entries of a programme; with the columns they need in the
index, that is an index-only scan. Not declared on the model because Django's state
would then differ per database vendor.
"""

from django.db import migrations

NAME = "feedback_confirmed_figures_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON feedback_timeentry "
            "(programme_id, participation_id) INCLUDE (user_id, minutes, date) "
            "WHERE status = 'confirmed'"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
