"""The deletion flow end to end against PostgreSQL and the real S3 server (SeaweedFS).

Steps run through ``process.advance`` (the function the worker runs); the worker itself is
exercised in e2e/test_deletion_faults.py.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.core.files.storage import default_storage
from django.utils import timezone

from voicemanager import models as m
from voicemanager.deletion import backup, intake, match, process
from voicemanager.deletion.archive import MAGIC
from voicemanager.tests.test_deletion_support import (
    all_keys,
    build_world,
    file_matched,
    scope_rows,
    snapshot_rows,
    voice_keys,
)

S = m.DeletionRequest.Status


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def file_and_confirm(cast, v, scope, urgent=False) -> m.DeletionRequest:
    return file_matched(cast, v, scope, urgent=urgent)


def run_to_end(req, staff) -> m.DeletionRequest:
    assert process.advance(req.pk) == S.IDENTIFIED  # waits for staff with the list
    req.refresh_from_db()
    assert process.approve(req, staff)
    process.advance(req.pk)
    req.refresh_from_db()
    return req


def assert_untouched(world, before_keys, after_keys):
    for v in (world.b, world.y):
        for scope_key in voice_keys(v, "voice_and_recordings"):
            assert after_keys[scope_key] == before_keys[scope_key]
        assert m.Voice.objects.filter(pk=v.voice.pk).exists()
        assert m.CreditEntry.objects.get(pk=v.credit.pk).voice_id == v.voice.pk
        for model, pk in scope_rows(v, "voice_and_recordings"):
            assert model.objects.filter(pk=pk).exists(), (model, pk)


def audit_actions(req) -> list[str]:
    return list(m.AuditEvent.objects.filter(target_id=req.public_id).order_by("created_at", "id")
                .values_list("action", flat=True))


@pytest.mark.django_db
def test_voice_and_recordings_deleted_backed_up_restored_then_purged(cast, s3_storage, s3_server):
    world = build_world(cast)
    before_rows = snapshot_rows(world.a)
    before = all_keys(s3_server, s3_storage)
    req = file_and_confirm(cast, world.a, "voice_and_recordings")
    process.advance(req.pk)
    req.refresh_from_db()
    # The identified list names every instance, including the stray objects found by listing the bucket.
    listed = {k["key"] for k in req.found["keys"]}
    assert voice_keys(world.a, "voice_and_recordings") <= listed
    assert m.Voice.objects.filter(pk=world.a.voice.pk).exists(), "nothing is deleted before staff approve"

    req = run_to_end(req, cast.staff)
    assert req.status == S.COMPLETED, req.failure_reason
    after = all_keys(s3_server, s3_storage)
    gone = voice_keys(world.a, "voice_and_recordings")
    assert not gone & set(after)
    assert not [k for k in after if k.startswith(f"orgs/{cast.org_x.public_id}/takes/{world.a.task.public_id}/")]
    for model, pk in scope_rows(world.a, "voice_and_recordings"):
        assert not model.objects.filter(pk=pk).exists(), (model, pk)
    credit = m.CreditEntry.objects.get(pk=world.a.credit.pk)
    assert credit.voice_id is None and credit.amount == -500  # keeps the amount, loses the link
    assert_untouched(world, before, after)
    # The backup is one encrypted object under the restricted prefix.
    assert req.backup_key.startswith(f"restricted/deletion-backups/{req.public_id}/") and req.backup_key in after
    with default_storage.open(req.backup_key, "rb") as fh:
        raw = fh.read()
    assert raw.startswith(MAGIC) and b"RIFF" not in raw and world.a.voice.alias.encode() not in raw
    actions = audit_actions(req)
    for action in ["deletion.requested", "deletion.confirmed", "deletion.identified", "deletion.approved",
                   "deletion.backed_up", "deletion.delete_started", "deletion.rows_deleted",
                   "deletion.object_deleted", "deletion.deleted", "deletion.verified", "deletion.reported"]:
        assert action in actions
    [report_mail] = [x for x in django_mail.outbox if x.to == [world.a.speaker.email]]
    assert "not affected" in report_mail.body and "/forget/report/" in report_mail.body

    # Restore within the window: same rows, same bytes.
    result = backup.restore(req.pk, cast.staff)
    assert set(result["written"]) == gone and result["files"] == len(gone)
    restored = all_keys(s3_server, s3_storage)
    for key in gone:
        assert restored[key] == before[key], key
    assert snapshot_rows(world.a) == before_rows
    req.refresh_from_db()
    assert req.restored_at and "deletion.restored" in audit_actions(req)
    with pytest.raises(backup.RestoreError):
        backup.restore(req.pk, cast.staff)  # only once

    # After the window the purge removes the archive and a restore is refused.
    assert backup.purge_expired(now=timezone.now() + timedelta(days=29)) == []
    assert backup.purge_expired(now=timezone.now() + timedelta(days=31)) == [req.public_id]
    assert not [k for k in all_keys(s3_server, s3_storage) if k.startswith("restricted/")]
    req.refresh_from_db()
    assert req.backup_purged_at and not backup.restorable(req)


@pytest.mark.django_db
def test_voice_only_keeps_recordings_and_other_voices(cast, s3_storage, s3_server):
    world = build_world(cast)
    before = all_keys(s3_server, s3_storage)
    req = run_to_end(file_and_confirm(cast, world.a, "voice"), cast.staff)
    assert req.status == S.COMPLETED, req.failure_reason
    after = all_keys(s3_server, s3_storage)
    assert not voice_keys(world.a, "voice") & set(after)
    assert not m.Voice.objects.filter(pk=world.a.voice.pk).exists()
    assert not m.VoicePackage.objects.filter(pk=world.a.package.pk).exists()
    # Recordings stay in voice-only scope.
    recordings = voice_keys(world.a, "voice_and_recordings") - voice_keys(world.a, "voice")
    assert all(after[k] == before[k] for k in recordings)
    assert m.AudioFile.objects.filter(pk=world.a.uploaded.pk).exists()
    assert m.Speaker.objects.filter(pk=world.a.speaker.pk).exists()
    assert m.CreditEntry.objects.get(pk=world.a.credit.pk).voice_id is None
    assert_untouched(world, before, after)
    # Restore puts the voice back byte-identical.
    backup.restore(req.pk, cast.staff)
    assert m.Voice.objects.get(pk=world.a.voice.pk).alias == world.a.voice.alias
    assert all_keys(s3_server, s3_storage)[world.a.package.file.name] == before[world.a.package.file.name]


@pytest.mark.django_db
def test_urgent_deletes_without_backup(cast, s3_storage, s3_server):
    world = build_world(cast)
    before = all_keys(s3_server, s3_storage)
    req = run_to_end(file_and_confirm(cast, world.a, "voice_and_recordings", urgent=True), cast.staff)
    assert req.status == S.COMPLETED, req.failure_reason
    after = all_keys(s3_server, s3_storage)
    assert not voice_keys(world.a, "voice_and_recordings") & set(after)
    assert not [k for k in after if k.startswith("restricted/")]
    assert req.backup_key == "" and not backup.restorable(req)
    assert "deletion.backed_up" not in audit_actions(req)
    assert req.report["backup"]["made"] is False
    for model, pk in scope_rows(world.a, "voice_and_recordings"):
        assert not model.objects.filter(pk=pk).exists(), (model, pk)
    assert_untouched(world, before, after)


@pytest.mark.django_db
def test_urgent_voice_only_still_waits_for_staff_approval(cast, s3_storage):
    world = build_world(cast)
    req = file_and_confirm(cast, world.a, "voice", urgent=True)
    assert process.advance(req.pk) == S.IDENTIFIED
    assert m.Voice.objects.filter(pk=world.a.voice.pk).exists()
    req.refresh_from_db()
    process.approve(req, cast.staff)
    assert process.advance(req.pk) == S.COMPLETED
    assert not m.Voice.objects.filter(pk=world.a.voice.pk).exists()
    assert not default_storage.exists(world.a.package.file.name)


@pytest.mark.django_db
def test_object_left_behind_fails_verification_and_alerts_staff(cast, s3_storage, mail,
                                                                django_capture_on_commit_callbacks):
    world = build_world(cast)
    req = file_and_confirm(cast, world.a, "voice_and_recordings")
    process.advance(req.pk)
    req.refresh_from_db()
    process.approve(req, cast.staff)
    from voicemanager.deletion import backup as backup_step
    from voicemanager.deletion import delete

    backup_step.run(req.pk)
    delete.run(req.pk)
    # Something of the scope appears after the deletion (e.g. a late upload under the task prefix).
    from django.core.files.base import ContentFile

    late = default_storage.save(f"orgs/{cast.org_x.public_id}/takes/{world.a.task.public_id}/late.wav",
                                ContentFile(b"late"))
    with django_capture_on_commit_callbacks(execute=True):
        process.advance(req.pk)
    req.refresh_from_db()
    assert req.status == S.FAILED and late in req.found["remaining"]["keys"]
    assert "deletion.verify_failed" in audit_actions(req)
    [alert] = mail.wait_for(cast.staff.email)
    assert req.public_id in alert["Subject"] and late in str(alert)
    # Staff retry deletes what remains and the request completes.
    assert process.retry(req, cast.staff)
    assert process.advance(req.pk) == S.COMPLETED
    assert not default_storage.exists(late)


@pytest.mark.django_db
def test_without_alias_the_suggested_match_is_the_requesters_own_voice(cast):
    world = build_world(cast)
    req = intake.file_request(first_name="Anna", last_name="Speaker", email=world.a.speaker.email.upper(),
                              scope="voice_and_recordings")
    intake.confirm(intake.make_confirm_token(req))
    assert process.advance(req.pk) == S.CONFIRMED  # waits for staff to match it
    req.refresh_from_db()
    cands = match.candidates(req)
    suggested = {kind: [c.pk for c in items if c.suggested] for kind, items in cands.items()}
    assert suggested == {"speakers": [world.a.speaker.pk], "voices": [world.a.voice.pk],
                         "organisations": [cast.org_x.pk]}
    match.apply(req, **suggested, actor=cast.staff)
    assert process.advance(req.pk) == S.IDENTIFIED
    req.refresh_from_db()
    assert [v["id"] for v in req.found["voices"]] == [world.a.voice.public_id]
    ids = {r["id"] for r in req.found["rows"]}
    assert world.a.task.public_id in ids and world.b.task.public_id not in ids
    assert world.b.voice.public_id not in ids and world.y.voice.public_id not in ids


@pytest.mark.django_db
def test_another_studios_task_is_kept_and_said_so(cast):
    """Speaker B recorded for X and Y; a request naming studio X deletes X's voice and task only."""
    world = build_world(cast)
    req = intake.file_request(first_name="Contractor", last_name="B", email=world.b.speaker.email,
                              organisation_ref="org x", scope="voice_and_recordings")
    intake.confirm(intake.make_confirm_token(req))
    req.refresh_from_db()
    cands = match.candidates(req)
    suggested = {kind: [c.pk for c in items if c.suggested] for kind, items in cands.items()}
    assert suggested["organisations"] == [cast.org_x.pk] and suggested["voices"] == [world.b.voice.pk]
    assert world.y.voice.pk in [c.pk for c in cands["voices"]]  # offered, not suggested
    match.apply(req, **suggested, actor=cast.staff)
    req = run_to_end(req, cast.staff)
    assert req.status == S.COMPLETED, req.failure_reason
    assert not m.RecordingTask.objects.filter(pk=world.b.task.pk).exists()
    assert m.RecordingTask.objects.filter(pk=world.y.task.pk).exists()
    assert m.Speaker.objects.filter(pk=world.b.speaker.pk).exists()  # Y's task still needs it
    kept = " ".join(k["text"] for k in req.found["kept"])
    assert "Org Y" in kept and "another studio" in kept and "login account" in kept
