"""An index that lets the public figures read a programme's submissions without the table.

PostgreSQL only (covering indexes): the transparency figures join every decision of a
programme to its submission; with the columns they need in the index, that is an
index-only scan instead of a read of the whole, wide submission table. Not declared on
the model because Django's state would then differ per database vendor.
"""

from django.db import migrations

from core.db import postgres_index


class Migration(migrations.Migration):
    dependencies = [("approvals", "0003_queue_index_with_id")]
    operations = [
        postgres_index(
            "approvals_sub_figures_idx",
            "approvals_outputsubmission (programme_id, id) "
            "INCLUDE (participant_id, status, submitted_at, due_at)",
        )
    ]
