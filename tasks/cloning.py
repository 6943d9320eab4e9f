"""Cloning jobs: each loads nothing itself and calls one function of voicemanager/cloning/packaging.py.

``package_voice`` builds the package and enqueues ``forward_voice`` through the outbox;
``forward_voice`` delivers it exactly once (the flow's docstring says how).
"""
from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from voicemanager.cloning import exports, packaging
from voicemanager.core import outbox


@shared_task(bind=True, name="tasks.cloning.package_voice", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(OSError, OperationalError), retry_backoff=True, retry_backoff_max=600, max_retries=5,
             soft_time_limit=3 * 3600, time_limit=3 * 3600 + 300)
def package_voice(self, voice_pk: int) -> None:
    packaging.package(voice_pk)


@shared_task(bind=True, name="tasks.cloning.forward_voice", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=600,
             max_retries=packaging.MAX_FORWARD_RETRIES, soft_time_limit=120, time_limit=180)
def forward_voice(self, voice_pk: int) -> None:
    try:
        packaging.forward(voice_pk, retries=self.request.retries, max_retries=self.max_retries,
                          takeover=outbox.taken_over(self.request.id))
    except packaging.RetryLater as exc:
        raise self.retry(exc=exc.cause, countdown=exc.countdown) from exc


@shared_task(bind=True, name="tasks.cloning.build_task_export", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(OSError, OperationalError), retry_backoff=True, retry_backoff_max=600, max_retries=5,
             soft_time_limit=3 * 3600, time_limit=3 * 3600 + 300)
def build_task_export(self, export_pk: int) -> None:
    """The admin's download of a task's set (``voicemanager/cloning/exports.py``)."""
    exports.build(export_pk, may_reclaim=outbox.may_reclaim(self))
