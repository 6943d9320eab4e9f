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

A running job beats: its message's ``heartbeat_at`` is stamped when it starts and every
``OUTBOX_HEARTBEAT_S`` (15 s) from a thread of the worker process. When the worker dies (SIGKILL,
a lost machine) the beats stop, and the next ``flush_outbox`` after ``OUTBOX_DEAD_AFTER_S`` (90 s)
sends the job again with ``takeovers`` counted, so ``taken_over(task_id)`` tells the new run that
the row its predecessor claimed may be taken back. This covers every job kind, since every job goes
through the outbox: a dead worker's job is redone within about two minutes, not after the broker's
visibility timeout (2 h).

Use: ``from voicemanager import outbox; outbox.enqueue("tasks.files.process_new_file", audio.pk)``
inside the transaction that creates the row the job is about.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from datetime import timedelta

from celery import current_app, shared_task
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
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


def heartbeat_every() -> float:
    return float(getattr(settings, "OUTBOX_HEARTBEAT_S", 15))


def dead_after() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "OUTBOX_DEAD_AFTER_S", 90)))


def pending(now=None):
    """Messages to (re)send: never sent, sent long ago and still not done, or running on a dead worker."""
    now = now or timezone.now()
    return OutboxMessage.objects.filter(done_at=None).filter(
        Q(sent_at=None) | Q(sent_at__lt=now - resend_after()) | Q(heartbeat_at__lt=now - dead_after()))


def may_reclaim(task) -> bool:
    """May this run of a bound Celery ``task`` take over a row left "running"? Yes when the attempt that claimed it is over.

    A redelivered message, or one the outbox re-sent because its worker stopped beating
    (``taken_over``), means its worker died; a retry means our own earlier attempt raised, and
    its reset of the row may have failed with it (a killed database connection fails the job
    and the reset alike). Every job claims its row, so a second run of the same work is harmless.
    """
    request = task.request
    return (bool((request.delivery_info or {}).get("redelivered")) or request.retries > 0
            or taken_over(getattr(request, "id", None)))


def taken_over(task_id) -> bool:
    """Was this job re-sent because the worker running it died? Then its claim on its row is stale."""
    if not task_id:
        return False
    try:
        return OutboxMessage.objects.filter(pk=task_id, takeovers__gt=0).exists()
    except (DatabaseError, ValueError, ValidationError):
        return False


@shared_task(name="voicemanager.core.outbox.flush_outbox", ignore_result=True)
def flush_outbox(limit: int = 500) -> int:
    """Send what the broker never took, re-send what was lost; forget old finished messages."""
    sent = 0
    now = timezone.now()
    for pk in pending(now).order_by("created_at").values_list("pk", flat=True)[:limit]:
        # A dead worker's job: the next run may take over its claim (``taken_over``), and it stops
        # counting as running until a worker starts it again.
        OutboxMessage.objects.filter(pk=pk, heartbeat_at__lt=now - dead_after()).update(
            heartbeat_at=None, takeovers=F("takeovers") + 1)
        if not send(pk):
            break  # the broker is still down: try again next time
        sent += 1
    OutboxMessage.objects.filter(done_at__lt=timezone.now() - KEEP_DONE).delete()
    return sent


class _Heartbeat(threading.Thread):
    """While a job runs, stamp its message every ``OUTBOX_HEARTBEAT_S`` seconds (own DB connection)."""

    def __init__(self, task_id: str):
        super().__init__(name=f"outbox-heartbeat-{task_id}", daemon=True)
        self.task_id, self.stopped = task_id, threading.Event()

    def beat(self) -> None:
        try:
            OutboxMessage.objects.filter(pk=self.task_id, done_at=None).update(heartbeat_at=timezone.now())
        except Exception:  # noqa: BLE001 - a missed beat only makes a takeover earlier; jobs are idempotent
            log.debug("outbox: heartbeat of %s failed", self.task_id, exc_info=True)

    def run(self) -> None:
        try:
            while not self.stopped.wait(heartbeat_every()):
                self.beat()
        finally:
            connection.close()


_beating: dict[str, _Heartbeat] = {}


@task_prerun.connect(dispatch_uid="voicemanager.core.outbox.heartbeat_start")
def _start_heartbeat(task_id=None, **_) -> None:
    """Bookkeeping only (no business logic): the job's message says it is running, and keeps saying so."""
    if not task_id or current_app.conf.task_always_eager:
        return
    beat = _Heartbeat(task_id)
    beat.beat()
    _beating[task_id] = beat
    beat.start()


@task_postrun.connect(dispatch_uid="voicemanager.core.outbox.heartbeat_stop")
def _stop_heartbeat(task_id=None, state=None, **_) -> None:
    beat = _beating.pop(task_id, None) if task_id else None
    if beat is None:
        return
    beat.stopped.set()
    beat.join(timeout=5)
    if state not in FINAL_STATES:  # a retry waits in the broker: it is not running
        with contextlib.suppress(Exception):
            OutboxMessage.objects.filter(pk=task_id).update(heartbeat_at=None)


@task_postrun.connect(dispatch_uid="voicemanager.core.outbox.mark_done")
def _mark_done(task_id=None, state=None, **_) -> None:
    """Bookkeeping only (no business logic): a finished task's outbox message is done."""
    if task_id and state in FINAL_STATES:
        try:
            OutboxMessage.objects.filter(pk=task_id, done_at=None).update(done_at=timezone.now())
        except Exception:  # noqa: BLE001 - task ids that are not outbox ids, or the DB is down: resent later
            log.debug("outbox: could not mark %s done", task_id, exc_info=True)
