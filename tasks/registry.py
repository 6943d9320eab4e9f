"""Imports every Celery task module so the worker registers them (see config/celery.py)."""
from tasks import health  # noqa: F401
