"""Celery app: Redis broker, tasks from the top-level ``tasks`` package.

Work that must not be lost is acknowledged late and requeued when a worker
dies (see CELERY_* in settings). ``tasks/registry.py`` imports every task
module; ``tasks/audio`` stays free of Django.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("voicemanager")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.imports = ("tasks.registry",)


def _beat_schedule() -> dict:
    from config.beat import SCHEDULE

    return SCHEDULE


app.conf.beat_schedule = _beat_schedule()
