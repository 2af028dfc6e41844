# OutboxMessage.programme was a foreign key to programs.Programme; core's models point at no
# app now, so it becomes a plain nullable, indexed integer `programme_id`. The column
# (programme_id, bigint), its values and its index stay; only the foreign key constraint is
# dropped (step 1), then Django's state swaps the field for the integer (step 2, no SQL).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_webhook_models_to_integrations"),
        ("programs", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outboxmessage",
            name="programme",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="programs.programme",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(model_name="outboxmessage", name="programme"),
                migrations.AddField(
                    model_name="outboxmessage",
                    name="programme_id",
                    field=models.BigIntegerField(blank=True, db_index=True, null=True),
                ),
            ],
        ),
    ]
