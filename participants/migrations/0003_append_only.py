from django.db import migrations

from core.db import append_only_trigger


class Migration(migrations.Migration):
    dependencies = [("participants", "0002_initial")]
    operations = [append_only_trigger("participants_consent")]
