"""Celery app: Redis broker, tasks from the top-level ``tasks`` package.

Work that must not be lost is acknowledged late and requeued when a worker
dies (see CELERY_* in settings). ``tasks/registry.py`` imports every task
module; ``tasks/audio`` stays free of Django.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# One core per worker process (-c 2 on 2 cores): numpy's BLAS would start a thread per core in each
# and spin them after every matrix product, doubling the CPU an audio job costs. Set before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

app = Celery("voicemanager")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.imports = ("tasks.registry",)


def _beat_schedule() -> dict:
    from config.beat import SCHEDULE

    return SCHEDULE


app.conf.beat_schedule = _beat_schedule()
