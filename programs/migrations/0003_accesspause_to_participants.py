"""`AccessPause` moved to the `participants` app: removed from this app's state only.

The table `programs_accesspause` and its rows stay; `participants` 0005 took the model over.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0002_transparency_snapshot"),
        ("participants", "0005_accesspause_from_programs"),
    ]
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="AccessPause")],
        )
    ]
