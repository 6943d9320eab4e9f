"""The Take model moved to voicemanager (recording); its table booth_take stays as it is.

State only: booth forgets the model here, voicemanager 0007 declares it on the same table.
No row is copied or touched.
"""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('booth', '0003_take_received_checksum'),
        ('voicemanager', '0006_speaker_consent_link_nonce'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Take')],
            database_operations=[],
        ),
    ]
