"""The sequencer sets `seq` on tens of thousands of events a batch: the append-only trigger
now compares the other columns in its WHEN clause instead of calling a function for each row
(a third of the time of that UPDATE), and `created_at` loses an index no query used (its
filter is on the date of the time, which the index cannot serve)."""

from django.db import migrations, models

from core.db import append_only_trigger_comparing_columns


class Migration(migrations.Migration):
    dependencies = [("audit", "0009_bind_payout_lines")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="created_at",
            field=models.DateTimeField(),
        ),
        append_only_trigger_comparing_columns("audit_auditevent", mutable_columns=("seq",)),
    ]
