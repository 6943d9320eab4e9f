from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('voicemanager', '0009_deletion_match_mail_notices'),
    ]

    operations = [
        migrations.AddField(
            model_name='take',
            name='adherence',
            field=models.JSONField(blank=True, default=dict, help_text='Word-level script check (tasks.audio.adherence), filled by the adherence queue.'),
        ),
        migrations.AddField(
            model_name='take',
            name='adherence_state',
            field=models.CharField(blank=True, default='', help_text="'' (not checked: no text), pending, running, done or failed", max_length=16),
        ),
    ]
