"""4. A dead worker's job is redone within minutes: the outbox notices the heartbeat stopped.

A real ``celery worker`` subprocess starts denoising a long file, and is SIGKILLed (the whole process
group, as a crash of the machine would) while the job is running. A second worker is started; beat's
``flush_outbox`` (called here as beat calls it) sees the message's heartbeat is older than
``OUTBOX_DEAD_AFTER_S`` and sends it again as a takeover, and the new run reclaims the job's row.
Before the heartbeat, the job stayed "running" until the file-jobs sweep's 31-minute rule, or the
broker's 2-hour visibility timeout.
"""
from __future__ import annotations

import time

import pytest
from django.db import transaction

from e2e.services import wait_until
from voicemanager.core import outbox
from voicemanager.models import DenoiseJob, OutboxMessage
from voicemanager.tests.cloning_fixtures import make_audio_file

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
FAST_BEATS = {"OUTBOX_HEARTBEAT_S": "1", "OUTBOX_DEAD_AFTER_S": "5"}


def test_a_job_of_a_killed_worker_is_taken_over_within_minutes(cast, worker_process, settings):
    from tasks.files import denoise_file
    from voicemanager.files import denoising

    settings.OUTBOX_DEAD_AFTER_S = 5
    af = make_audio_file(cast.org_x, 600.0, rate=48000, source="booth")
    with transaction.atomic():
        [job] = denoising.create_jobs([af], engine="rnnoise", strength=0.8, batch="kill-test")
        message = outbox.enqueue(denoise_file, job.pk)
    victim = worker_process("victim", **FAST_BEATS)
    wait_until(lambda: OutboxMessage.objects.filter(pk=message.pk, heartbeat_at__isnull=False).exists()
               and DenoiseJob.objects.filter(pk=job.pk, state=DenoiseJob.State.RUNNING).exists(),
               timeout=120, message="the job running and beating")
    time.sleep(2)
    assert DenoiseJob.objects.get(pk=job.pk).state == DenoiseJob.State.RUNNING, victim.log()
    victim.kill()
    killed_at = time.monotonic()

    worker_process("rescuer", **FAST_BEATS)

    def finished():
        outbox.flush_outbox()  # what beat runs every minute
        return DenoiseJob.objects.filter(pk=job.pk, state=DenoiseJob.State.DONE).exists()

    wait_until(finished, timeout=240, interval=2, message="the job redone by the second worker")
    took = time.monotonic() - killed_at
    message.refresh_from_db()
    assert message.takeovers == 1 and message.done_at is not None
    job.refresh_from_db()
    assert job.output_id and af.derivatives.count() == 1, "one output, whatever ran twice"
    assert took < 240
