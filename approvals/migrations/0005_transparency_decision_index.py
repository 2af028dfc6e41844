"""An index that lets the public figures read decisions without the table (PostgreSQL).

The figures join a programme's submissions to their decisions and need only these
columns of them: with the index both sides of the join are index-only scans in
submission order (a merge join), also for the rejection reasons.
"""

from django.db import migrations

from core.db import postgres_index


class Migration(migrations.Migration):
    dependencies = [("approvals", "0004_transparency_index")]
    operations = [
        postgres_index(
            "approvals_dec_figures_idx",
            "approvals_reviewdecision (submission_id) INCLUDE (stage, outcome, decided_at, reason_id)",
        )
    ]
