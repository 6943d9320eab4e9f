"""Take now belongs to voicemanager (recording), on the table the booth app created (booth_take).

State only: no table is created, renamed or copied, so every take stays where it is. The
content type is relabelled so admin permissions and log entries follow the model.
"""

import django.db.models.deletion
import django.utils.timezone
import voicemanager.core.ids
import voicemanager.recording.models
from django.db import migrations, models


def _move(apps, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label=target, model="take").exists():
        content_type.objects.filter(app_label=source, model="take").update(app_label=target)


def relabel_content_type(apps, schema_editor):
    _move(apps, "booth", "voicemanager")


def unrelabel_content_type(apps, schema_editor):
    _move(apps, "voicemanager", "booth")


class Migration(migrations.Migration):

    dependencies = [
        ('voicemanager', '0006_speaker_consent_link_nonce'),
        ('booth', '0004_take_moves'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.CreateModel(
            name='Take',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=voicemanager.core.ids.take_id, editable=False, max_length=40, unique=True)),
                ('kind', models.CharField(choices=[('take', 'Script take'), ('consent', 'Consent statement'), ('room_tone', 'Room tone')], default='take', max_length=16)),
                ('client_id', models.UUIDField(help_text='Browser-generated id: the same take uploaded twice is stored once.')),
                ('file', models.FileField(max_length=500, upload_to=voicemanager.recording.models.take_upload_to)),
                ('size', models.BigIntegerField(default=0)),
                ('sha256', models.CharField(max_length=64)),
                ('received_sha256', models.CharField(blank=True, help_text='Checksum of the bytes the browser sent (differs when converted to WAV).', max_length=64)),
                ('received_format', models.CharField(blank=True, help_text='container/codec as uploaded', max_length=40)),
                ('duration', models.FloatField(default=0)),
                ('sample_rate', models.PositiveIntegerField(default=0)),
                ('channels', models.PositiveSmallIntegerField(default=1)),
                ('bit_depth', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('captured_with', models.CharField(default='worklet', help_text='worklet | mediarecorder', max_length=20)),
                ('qc', models.JSONField(blank=True, default=dict)),
                ('qc_state', models.CharField(default='pending', max_length=16)),
                ('status', models.CharField(choices=[('recorded', 'Recorded'), ('submitted', 'Submitted'), ('deleted', 'Deleted')], db_index=True, default='recorded', max_length=16)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('submitted_at', models.DateTimeField(blank=True, null=True)),
                ('deleted_at', models.DateTimeField(blank=True, null=True)),
                ('audio_file', models.ForeignKey(blank=True, help_text='The file manager entry created when the take is submitted.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='takes', to='voicemanager.audiofile')),
                ('section', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='takes', to='voicemanager.section')),
                ('task', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='takes', to='voicemanager.recordingtask')),
            ],
            options={
                'db_table': 'booth_take',
                'ordering': ['created_at'],
                'indexes': [models.Index(fields=['task', 'section', 'status'], name='booth_take_task_id_77e74e_idx')],
                'constraints': [models.UniqueConstraint(fields=('task', 'client_id'), name='unique_take_client_id'), models.UniqueConstraint(condition=models.Q(('status', 'submitted')), fields=('task', 'section'), name='one_submitted_take_per_section')],
            },
        )], database_operations=[]),
        migrations.RunPython(relabel_content_type, unrelabel_content_type),
    ]
