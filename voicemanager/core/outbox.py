"""Transactional outbox: jobs survive a broker outage.

``transaction.on_commit(lambda: job.delay(pk))`` loses the job when Redis is down at
that moment (the data is committed, the message is not). ``enqueue(job, pk)`` instead
writes an ``OutboxMessage`` row in the caller's transaction and sends it on commit; if
the broker is unreachable the row stays unsent and ``flush_outbox`` (beat, every
minute) sends it once Redis is back. A message that was sent but never finished
(Redis restarted without persistence, a flushed queue) is sent again after
``OUTBOX_RESEND_AFTER_S``; tasks are idempotent (they claim their row), so a
duplicate is harmless. The worker marks a message done when its task ends
(``task_postrun``), using the message id as the Celery task id.

Use: ``from voicemanager import outbox; outbox.enqueue("tasks.files.process_new_file", audio.pk)``
inside the transaction that creates the row the job is about.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from celery.signals import task_postrun
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from voicemanager.core.outbox_message import OutboxMessage

log = logging.getLogger(__name__)

# A failed publish is retried briefly, then left to flush_outbox: a request never waits long for Redis.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
FINAL_STATES = {"SUCCESS", "FAILURE", "REJECTED", "IGNORED"}
KEEP_DONE = timedelta(days=7)


def resend_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "OUTBOX_RESEND_AFTER_S", 2 * 60 * 60))


def enqueue(task, *args, **kwargs) -> OutboxMessage:
    """Record the job in the current transaction; send it when the transaction commits."""
    message = record(task, *args, **kwargs)
    # robust: the caller's data is committed whatever happens here; flush_outbox catches up
    transaction.on_commit(lambda: send(message.pk), robust=True)
    return message


def record(task, *args, **kwargs) -> OutboxMessage:
    """Record the job in the current transaction without sending it: the caller runs it first itself
    and calls ``mark_done`` (or ``send`` on failure); if the process dies first, ``flush_outbox`` sends it."""
    name = getattr(task, "name", task)
    return OutboxMessage.objects.create(task_name=name, args=list(args), kwargs=kwargs)


def mark_done(pk) -> None:
    """The job ran in the process that recorded it. Never raises (a lost mark means one harmless resend)."""
    try:
        OutboxMessage.objects.filter(pk=pk, done_at=None).update(done_at=timezone.now())
    except DatabaseError:
        log.warning("outbox: could not mark %s done", pk)


def send(pk) -> bool:
    """Hand one message to the broker; on failure keep it for ``flush_outbox``. Never raises."""
    from config.celery import app

    try:
        message = OutboxMessage.objects.filter(pk=pk, done_at=None).first()
    except DatabaseError:
        log.warning("outbox: could not read message %s; kept for flush_outbox", pk)
        return False
    if message is None:
        return False
    if app.conf.task_always_eager:  # dev/tests without a broker: run it here, like .delay() would
        app.tasks[message.task_name].apply(args=message.args, kwargs=message.kwargs, task_id=str(message.pk))
        OutboxMessage.objects.filter(pk=pk).update(sent_at=timezone.now(), attempts=F("attempts") + 1)
        return True
    try:
        app.send_task(message.task_name, args=message.args, kwargs=message.kwargs, task_id=str(message.pk),
                      retry=True, retry_policy=PUBLISH_RETRY, ignore_result=True)
    except Exception as exc:  # noqa: BLE001 - any broker error: the row stays, flush_outbox sends it later
        OutboxMessage.objects.filter(pk=pk).update(attempts=F("attempts") + 1, last_error=str(exc)[:500])
        log.warning("outbox: could not send %s %s (%s); kept for flush_outbox", message.task_name, pk, exc)
        return False
    try:
        OutboxMessage.objects.filter(pk=pk).update(sent_at=timezone.now(), attempts=F("attempts") + 1, last_error="")
    except DatabaseError:  # sent but not marked: flush_outbox may send it again, and jobs are idempotent
        log.warning("outbox: sent %s but could not mark it sent", pk)
    return True


def pending(now=None):
    """Messages to (re)send: never sent, or sent long ago and still not done."""
    now = now or timezone.now()
    return OutboxMessage.objects.filter(done_at=None).filter(Q(sent_at=None) | Q(sent_at__lt=now - resend_after()))


@shared_task(name="voicemanager.core.outbox.flush_outbox", ignore_result=True)
def flush_outbox(limit: int = 500) -> int:
    """Send what the broker never took, re-send what was lost; forget old finished messages."""
    sent = 0
    for pk in pending().order_by("created_at").values_list("pk", flat=True)[:limit]:
        if not send(pk):
            break  # the broker is still down: try again next time
        sent += 1
    OutboxMessage.objects.filter(done_at__lt=timezone.now() - KEEP_DONE).delete()
    return sent


@task_postrun.connect(dispatch_uid="voicemanager.core.outbox.mark_done")
def _mark_done(task_id=None, state=None, **_) -> None:
    """Bookkeeping only (no business logic): a finished task's outbox message is done."""
    if task_id and state in FINAL_STATES:
        try:
            OutboxMessage.objects.filter(pk=task_id, done_at=None).update(done_at=timezone.now())
        except Exception:  # noqa: BLE001 - task ids that are not outbox ids, or the DB is down: resent later
            log.debug("outbox: could not mark %s done", task_id, exc_info=True)
