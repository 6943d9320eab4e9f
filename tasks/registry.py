"""Imports every Celery task module so the worker registers them (see config/celery.py).

Add one line per new task module.
"""
from tasks import files, health  # noqa: F401
from tasks import cloning  # noqa: F401
from tasks import reminders  # noqa: F401
from tasks import deletion  # noqa: F401
