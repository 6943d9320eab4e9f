"""Voice jobs: compare a take or file with the speaker's consent recording, and measure its drift.

Takes a ``VoiceCheck`` id, calls ``voicemanager.quality.checks.run_check`` (which claims the
row with a conditional update, so a redelivered message does nothing twice).
"""
from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from voicemanager.core import outbox
from voicemanager.quality import checks as voice_checks


@shared_task(name="tasks.voice.check_voice", bind=True, acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(OSError, OperationalError), retry_backoff=True, max_retries=5,
             time_limit=5 * 60, soft_time_limit=4 * 60)
def check_voice(self, check_pk: int) -> str:
    return voice_checks.run_check(check_pk, reclaim=outbox.may_reclaim(self))
