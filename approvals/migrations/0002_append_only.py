from django.db import migrations

from core.db import append_only_trigger


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial")]
    operations = [
        append_only_trigger("approvals_reviewdecision"),
        append_only_trigger("approvals_appeal"),
    ]
