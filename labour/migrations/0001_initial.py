"""`TimeEntry` moves here from `feedback` in Django's state only: the table keeps its
name (`feedback_timeentry`), its rows, indexes and constraints. `feedback` 0003 drops
the model from its own state after this. The content type (and so admin permissions)
is renamed from feedback.timeentry to labour.timeentry where it exists.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def rename_content_type(apps, schema_editor, old="feedback", new="labour"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label=new, model="timeentry").exists():
        ContentType.objects.using(db).filter(app_label=old, model="timeentry").update(
            app_label=new
        )


def restore_content_type(apps, schema_editor):
    rename_content_type(apps, schema_editor, old="labour", new="feedback")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('approvals', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('feedback', '0002_transparency_index'),
        ('participants', '0004_participation_role'),
        ('programs', '0002_transparency_snapshot'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='TimeEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField()),
                        ('minutes', models.PositiveSmallIntegerField()),
                        ('activity', models.CharField(choices=[('testing', 'Testing'), ('writing_feedback', 'Writing feedback'), ('red_teaming', 'Red teaming'), ('creative_work', 'Creative work'), ('meetings', 'Meetings')], max_length=20)),
                        ('note', models.TextField(blank=True)),
                        ('status', models.CharField(choices=[('logged', 'Waiting for confirmation'), ('confirmed', 'Confirmed'), ('disputed', 'Disputed')], default='logged', max_length=10)),
                        ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                        ('dispute_reason', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('output', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='time_entries', to='approvals.outputsubmission')),
                        ('participation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='time_entries', to='participants.participation')),
                        ('programme', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='time_entries', to='programs.programme')),
                        ('reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('terms_version', models.ForeignKey(help_text='The terms in force when the time was logged.', on_delete=django.db.models.deletion.PROTECT, related_name='time_entries', to='programs.termsversion')),
                        ('ticket', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='time_entries', to='feedback.ticket')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='time_entries', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name_plural': 'time entries',
                        'db_table': 'feedback_timeentry',
                        'indexes': [
                            models.Index(fields=['user', 'date'], name='feedback_ti_user_id_100815_idx'),
                            models.Index(fields=['programme', 'status', 'created_at'], name='feedback_ti_program_d04d90_idx'),
                            models.Index(fields=['programme', 'date'], name='feedback_ti_program_1358c4_idx'),
                        ],
                        'constraints': [
                            models.CheckConstraint(condition=models.Q(('minutes__gte', 1), ('minutes__lte', 1440)), name='time_entry_minutes_range'),
                            models.CheckConstraint(condition=models.Q(models.Q(('status', 'disputed'), _negated=True), models.Q(('dispute_reason', ''), _negated=True), _connector='OR'), name='time_entry_dispute_has_reason'),
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(rename_content_type, restore_content_type),
    ]
