"""Deletion jobs: each takes the request's primary key and is safe to run twice.

``advance_deletion`` runs whichever step is next (see voicemanager/deletion/process.py);
steps claim the request by conditional update, so a redelivered job after a worker was
killed picks up where the dead one stopped. Transient errors (storage, database, SMTP)
retry with backoff; anything else, or retries exhausted, marks the request failed and
alerts staff.
"""
from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.db import DatabaseError

from voicemanager.cloning.providers import TransientForwardError

logger = logging.getLogger(__name__)

try:  # S3 errors when django-storages uses boto3
    from botocore.exceptions import BotoCoreError, ClientError

    TRANSIENT: tuple = (OSError, DatabaseError, smtplib.SMTPException, TransientForwardError, BotoCoreError,
                        ClientError)
except ImportError:  # pragma: no cover
    TRANSIENT = (OSError, DatabaseError, smtplib.SMTPException, TransientForwardError)

MAX_RETRIES = 6


@shared_task(bind=True, name="tasks.deletion.advance_deletion", acks_late=True, reject_on_worker_lost=True,
             max_retries=MAX_RETRIES)
def advance_deletion(self, request_pk: int) -> str:
    from voicemanager.deletion import process

    try:
        return process.advance(request_pk)
    except process.Busy as busy:
        # Another worker holds the step (or a dead one's lease has not run out yet).
        raise self.retry(countdown=busy.seconds, max_retries=None) from None
    except TRANSIENT as exc:
        if self.request.retries >= MAX_RETRIES:
            process.fail(request_pk, f"Gave up after {MAX_RETRIES} retries: {type(exc).__name__}: {exc}")
            return "failed"
        raise self.retry(exc=exc, countdown=min(600, 5 * 2 ** self.request.retries)) from exc
    except Exception as exc:
        logger.exception("deletion request %s failed", request_pk)
        process.fail(request_pk, f"{type(exc).__name__}: {exc}")
        return "failed"


@shared_task(bind=True, name="tasks.deletion.restore_deletion_backup", acks_late=True, reject_on_worker_lost=True,
             max_retries=MAX_RETRIES)
def restore_deletion_backup(self, request_pk: int, actor_pk: int | None = None) -> dict | str:
    from voicemanager.core import audit
    from voicemanager.deletion import backup, process
    from voicemanager.models import DeletionRequest, User

    actor = User.objects.filter(pk=actor_pk).first() if actor_pk else None
    try:
        return backup.restore(request_pk, actor)
    except process.Busy as busy:
        raise self.retry(countdown=busy.seconds, max_retries=None) from None
    except backup.RestoreError as exc:
        req = DeletionRequest.objects.filter(pk=request_pk).first()
        if req is not None:
            audit.record("deletion.restore_failed", actor=actor, organisation=req.organisation, target=req,
                         reason=str(exc))
        return f"not restored: {exc}"
    except TRANSIENT as exc:
        raise self.retry(exc=exc, countdown=min(600, 5 * 2 ** self.request.retries)) from exc


@shared_task(name="tasks.deletion.purge_deletion_backups", acks_late=True, reject_on_worker_lost=True)
def purge_deletion_backups() -> list[str]:
    """Daily (config/beat.py): delete backups whose 30-day window has closed."""
    from voicemanager.deletion.backup import purge_expired

    return purge_expired()


@shared_task(bind=True, name="tasks.deletion.email_deletion_notices", acks_late=True, reject_on_worker_lost=True,
             max_retries=MAX_RETRIES)
def email_deletion_notices(self, request_pk: int, organisation_pk: int, event: str) -> int:
    """Tell an organisation's admins that items of theirs were deleted (or restored) on request."""
    from voicemanager.deletion import notices

    try:
        return notices.email(request_pk, organisation_pk, event)
    except (OSError, smtplib.SMTPException) as exc:
        raise self.retry(exc=exc, countdown=min(600, 5 * 2 ** self.request.retries)) from exc


@shared_task(name="tasks.deletion.resend_unsent_confirmations", ignore_result=True)
def resend_unsent_confirmations() -> dict:
    """Retry the confirmation emails that could not be sent (beat; ``intake.resend_unsent_confirmations``)."""
    from voicemanager.deletion import intake

    return intake.resend_unsent_confirmations()
