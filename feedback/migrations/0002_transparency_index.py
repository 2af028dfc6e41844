"""An index that lets the public figures sum a programme's confirmed hours without the table.

PostgreSQL only (covering, partial): hours per person and per participation are sums
over the confirmed time entries of a programme; with the columns they need in the
index, that is an index-only scan. Not declared on the model because Django's state
would then differ per database vendor.
"""

from django.db import migrations

from core.db import postgres_index


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]
    operations = [
        postgres_index(
            "feedback_confirmed_figures_idx",
            "feedback_timeentry (programme_id, participation_id) "
            "INCLUDE (user_id, minutes, date) WHERE status = 'confirmed'",
        )
    ]
