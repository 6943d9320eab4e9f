"""Upload housekeeping: resumable (tus) uploads never finished are removed after a few days."""
from __future__ import annotations

from celery import shared_task

from voicemanager.files import tus


@shared_task(name="tasks.uploads.purge_stale_uploads", ignore_result=True, acks_late=True)
def purge_stale_uploads() -> int:
    return tus.purge_stale_uploads()
