"""`AccessPause` moves here from `programs` in Django's state only: the table keeps its
name (`programs_accesspause`), its rows and its index. `programs` 0003 drops the model
from its own state after this. The content type (and so admin permissions) is renamed
from programs.accesspause to participants.accesspause where it exists.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def rename_content_type(apps, schema_editor, old="programs", new="participants"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label=new, model="accesspause").exists():
        ContentType.objects.using(db).filter(app_label=old, model="accesspause").update(
            app_label=new
        )


def restore_content_type(apps, schema_editor):
    rename_content_type(apps, schema_editor, old="participants", new="programs")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('participants', '0004_participation_role'),
        ('programs', '0002_transparency_snapshot'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='AccessPause',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.TextField()),
                        ('starts_at', models.DateTimeField()),
                        ('expected_end', models.DateTimeField(blank=True, null=True)),
                        ('ended_at', models.DateTimeField(blank=True, null=True)),
                        ('previous_programme_status', models.CharField(blank=True, max_length=10)),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('ended_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('participation', models.ForeignKey(blank=True, help_text='Empty for a programme-wide pause.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='pauses', to='participants.participation')),
                        ('programme', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='pauses', to='programs.programme')),
                    ],
                    options={
                        'db_table': 'programs_accesspause',
                        'ordering': ['-starts_at'],
                        'indexes': [models.Index(fields=['programme', 'ended_at'], name='programs_ac_program_5e7514_idx')],
                    },
                ),
            ],
        ),
        migrations.RunPython(rename_content_type, restore_content_type),
    ]
