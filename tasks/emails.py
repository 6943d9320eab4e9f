"""Email delivery retried by a worker: the outbox sends here what the request could not send."""
from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from voicemanager.core import emails


@shared_task(bind=True, name=emails.DELIVER, acks_late=True, max_retries=8, ignore_result=True)
def deliver(self, path: str, *args, **kwargs):
    """Send one email job; a mail server failure is retried with a doubling wait (30 s, 1 min, ... 30 min)."""
    try:
        return emails.deliver(path, *args, **kwargs)
    except (SMTPException, OSError) as exc:
        wait = min(settings.EMAIL_RETRY_AFTER_S * 2 ** self.request.retries, 1800)
        raise self.retry(exc=exc, countdown=wait) from exc
