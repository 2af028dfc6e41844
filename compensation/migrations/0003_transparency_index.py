"""An index that lets the public figures sum a programme's ledger without the table.

PostgreSQL only (covering indexes): paid, pending and earned per person are sums over
every entry of a programme; with the columns they need in the index, ordered by
participation, that is an index-only scan with no sort. Not declared on the model
because Django's state would then differ per database vendor.
"""

from django.db import migrations

from core.db import postgres_index


class Migration(migrations.Migration):
    dependencies = [("compensation", "0002_append_only_ledger")]
    operations = [
        postgres_index(
            "compensation_figures_idx",
            "compensation_ledgerentry (programme_id, participation_id) "
            "INCLUDE (currency, state, amount)",
        )
    ]
