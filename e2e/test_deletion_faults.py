"""A real Celery worker process is SIGKILLed in the middle of a deletion; another one finishes it.

The delete step pauses between objects (test-only ``DELETION_TEST_PAUSE_SECONDS``) so the kill
lands deterministically after some rows are gone and before the rest; the broker redelivers
the unacknowledged job (``CELERY_VISIBILITY_TIMEOUT=5``) and the step's lease runs out
(``DELETION_LEASE_SECONDS=3``), so the second worker resumes the same step.
"""
from __future__ import annotations

import pytest

from e2e.services import wait_until
from voicemanager import models as m
from voicemanager.deletion import process
from voicemanager.tests.test_deletion_support import all_keys, build_world, file_matched, scope_rows, voice_keys

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
S = m.DeletionRequest.Status


def s3_env(s3_server, bucket) -> dict:
    return {"S3_BUCKET": bucket, "S3_ENDPOINT_URL": s3_server.endpoint, "S3_ACCESS_KEY_ID": "test",
            "S3_SECRET_ACCESS_KEY": "test", "CELERY_VISIBILITY_TIMEOUT": "5", "DELETION_LEASE_SECONDS": "3",
            "TESTING": "1"}


def status(req) -> str:
    return m.DeletionRequest.objects.filter(pk=req.pk).values_list("status", flat=True).get()


def rows_deleted_events(req) -> int:
    return m.AuditEvent.objects.filter(target_id=req.public_id, action="deletion.rows_deleted").count()


def test_worker_killed_mid_deletion_resumes_without_losing_the_audit_trail(cast, s3_storage, s3_server,
                                                                           worker_process):
    world = build_world(cast)
    before = all_keys(s3_server, s3_storage)
    env = s3_env(s3_server, s3_storage)
    first = worker_process("victim", DELETION_TEST_PAUSE_SECONDS="1.5", **env)

    req = file_matched(cast, world.a, "voice_and_recordings")  # confirmed, matched: the job is queued on commit
    wait_until(lambda: status(req) == S.IDENTIFIED, timeout=60, message="identified")
    req.refresh_from_db()
    process.approve(req, cast.staff)
    wait_until(lambda: rows_deleted_events(req) >= 2, timeout=90, message="first rows deleted")
    first.kill()

    # Half-deleted and reported as such: the step did not finish, and what went is in the audit log.
    assert status(req) == S.BACKED_UP
    events_before = list(m.AuditEvent.objects.filter(target_id=req.public_id).order_by("id")
                         .values_list("id", "action"))
    assert not m.Voice.objects.filter(pk=world.a.voice.pk).exists()  # root 2 of the list
    assert m.RecordingTask.objects.filter(pk=world.a.task.pk).exists()  # not reached yet
    assert world.a.package.file.name in all_keys(s3_server, s3_storage)  # keys go after the rows

    worker_process("rescuer", **env)
    wait_until(lambda: status(req) in (S.COMPLETED, S.FAILED), timeout=120, message="deletion finished")
    req.refresh_from_db()
    assert req.status == S.COMPLETED, req.failure_reason

    events_after = list(m.AuditEvent.objects.filter(target_id=req.public_id).order_by("id")
                        .values_list("id", "action"))
    assert events_after[: len(events_before)] == events_before  # nothing lost or rewritten
    actions = [a for _, a in events_after]
    assert "deletion.delete_resumed" in actions and actions.count("deletion.delete_started") == 1
    assert actions.count("deletion.deleted") == 1 and actions[-1] == "deletion.reported"
    deleted_refs = {ref for row in req.report["deleted"]["rows"] for ref in [row["ref"]]}
    assert f"voicemanager.Voice:{world.a.voice.public_id}" in deleted_refs  # deleted before the kill, reported

    after = all_keys(s3_server, s3_storage)
    assert not voice_keys(world.a, "voice_and_recordings") & set(after)
    for model, pk in scope_rows(world.a, "voice_and_recordings"):
        assert not model.objects.filter(pk=pk).exists(), (model, pk)
    for v in (world.b, world.y):
        for key in voice_keys(v, "voice_and_recordings"):
            assert after[key] == before[key]
        assert m.Voice.objects.filter(pk=v.voice.pk).exists()
    assert req.backup_key in after
