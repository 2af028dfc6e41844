from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('feedback', '0008_triage_escalation'),
    ]

    operations = [
        migrations.AddField(
            model_name='ticket',
            name='response_escalated_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='ticket',
            name='response_late_told_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
