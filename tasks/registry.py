"""Imports every Celery task module so the worker registers them (see config/celery.py).

Add one line per new task module.
"""
from tasks import (  # noqa: F401
    adherence,  # noqa: F401
    cloning,  # noqa: F401
    deletion,  # noqa: F401
    emails,  # noqa: F401
    files,
    health,
    reminders,  # noqa: F401
    uploads,  # noqa: F401
    voice,  # noqa: F401
)
