from django.apps import AppConfig


class VoicemanagerConfig(AppConfig):
    name = "voicemanager"
    verbose_name = "Voice manager"
