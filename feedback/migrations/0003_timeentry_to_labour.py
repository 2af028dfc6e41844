"""`TimeEntry` moved to the `labour` app: removed from this app's state only.

The table `feedback_timeentry` and its rows stay; `labour` 0001 took the model over.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0002_transparency_index"),
        ("labour", "0001_initial"),
    ]
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="TimeEntry")],
        )
    ]
