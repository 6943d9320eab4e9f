"""Script adherence jobs, on the ``adherence`` queue (a worker of its own: ``-Q adherence``).

The recogniser is loaded once per worker process, when a process of a worker that takes this
queue starts (``worker_process_init``: it only warms the model, there is no logic in it), and
runs on one core per job.
"""
from __future__ import annotations

from celery import current_app, shared_task
from celery.signals import worker_process_init
from django.db import OperationalError

from voicemanager.core import outbox
from voicemanager.recording import adherence


@shared_task(name="tasks.adherence.check_take", bind=True, acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(OSError, OperationalError), retry_backoff=2, max_retries=3, time_limit=180,
             soft_time_limit=150)
def check_take(self, take_pk: int) -> str:
    return adherence.check_take(take_pk, reclaim=outbox.may_reclaim(self))


@worker_process_init.connect
def _warm_up_the_recogniser(**_) -> None:
    if adherence.QUEUE in current_app.amqp.queues.consume_from:
        adherence.warm_up()
