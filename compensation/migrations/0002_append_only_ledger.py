from django.db import migrations

from core.db import append_only_trigger


class Migration(migrations.Migration):
    """On PostgreSQL, ledger rows are refused UPDATE (except workflow columns) and DELETE."""

    dependencies = [
        ("compensation", "0001_initial"),
    ]

    operations = [
        append_only_trigger(
            "compensation_ledgerentry",
            mutable_columns=(
                "state",
                "approved_by_id",
                "approved_at",
                "second_approver_id",
                "second_approved_at",
                "batch_id",
                "paid_reference",
                "paid_at",
            ),
        ),
    ]
