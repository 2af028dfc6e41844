# The webhook models now belong to the integrations app (integrations/0001_initial). Only
# Django's state forgets them here; their tables, rows and index stay, and integrations
# uses them.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_api_models_to_api_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="WebhookAttempt"),
                migrations.DeleteModel(name="WebhookDelivery"),
                migrations.DeleteModel(name="WebhookEndpoint"),
            ],
        ),
    ]
