# ApiToken and IdempotencyRecord now belong to the api app (api/0001_initial). Only Django's
# state forgets them here; their tables and rows stay, and the api app uses them.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_webhooks"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="ApiToken"),
                migrations.DeleteModel(name="IdempotencyRecord"),
            ],
        ),
    ]
