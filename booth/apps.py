from django.apps import AppConfig


class BoothConfig(AppConfig):
    name = "booth"
    verbose_name = "Recording booth"
