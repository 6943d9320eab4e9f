"""The booth's side of speaker verification and drift: the upload answer points at the voice check,
the check is queued through the outbox, the contractor reads the verdict, and a break is suggested."""
from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from booth.tests.helpers import form, login, speech_wav_bytes
from voicemanager.models import OutboxMessage, Take, VoiceCheck
from voicemanager.quality import checks as voice_checks
from voicemanager.tests.voice_fixtures import OTHER, wav_of


def upload(client, task, data):
    section = task.script.sections.order_by("position").first()
    r = client.post(f"/booth/tasks/{task.public_id}/sections/{section.pk}/takes/", form(data))
    assert r.status_code == 201, r.content
    return r.json()


def test_a_take_by_someone_else_is_checked_and_the_contractor_is_told(booth, cast):
    body = upload(booth, cast.task_a, wav_of(OTHER[0]))  # the consent statement is another voice (espeak-ng)
    take = Take.objects.get(public_id=body["take_id"])
    check = VoiceCheck.objects.get(take=take)
    assert check.state == VoiceCheck.State.PENDING and check.speaker == cast.task_a.speaker
    assert OutboxMessage.objects.filter(task_name="tasks.voice.check_voice", args=[check.pk]).exists()
    assert body["voice_url"] == f"/booth/tasks/{cast.task_a.public_id}/takes/{take.public_id}/voice/"
    assert booth.get(body["voice_url"]).json()["state"] == "pending"

    voice_checks.run_check(check.pk)
    status = booth.get(body["voice_url"]).json()
    assert status["state"] == "done" and status["verdict"] == "different"
    assert status["message"] == "This does not sound like the voice in your consent recording."
    assert status["break"]["due"] is False

    other = login(cast.contractor_b)
    assert other.get(body["voice_url"]).status_code == 404


def test_the_same_voice_as_the_consent_statement_is_accepted(booth, cast):
    body = upload(booth, cast.task_a, speech_wav_bytes("Please call Stella and ask her to bring these things with "
                                                       "her from the store, six spoons of fresh snow peas."))
    check = VoiceCheck.objects.get(take__public_id=body["take_id"])
    voice_checks.run_check(check.pk)
    status = booth.get(body["voice_url"]).json()
    assert status["verdict"] == "same", status
    assert status["message"] == ""


def test_consent_and_room_tone_recordings_are_not_checked(booth, cast):
    assert not VoiceCheck.objects.exists()  # the booth fixture recorded the consent statement


def test_a_break_is_suggested_after_thirty_minutes_of_recording(booth, cast):
    first = upload(booth, cast.task_a, wav_of(OTHER[1]))
    assert first["break"]["due"] is False
    start = timezone.now() - timedelta(minutes=31)
    for i in range(8):  # a take every 4 minutes since then
        Take.objects.filter(public_id=first["take_id"]).update(created_at=start)
        t = Take.objects.get(public_id=first["take_id"])
        Take.objects.create(task=t.task, section=t.section, kind=Take.Kind.TAKE, client_id=uuid.uuid4(),
                            file=t.file.name, size=t.size, sha256=t.sha256, duration=4.0, sample_rate=48000,
                            created_at=start + timedelta(minutes=4 * i))
    again = upload(booth, cast.task_a, wav_of(OTHER[0]))
    assert again["break"]["due"] is True
    assert again["break"]["message"].startswith("You have been recording for 3")
    assert "take a short break" in again["break"]["message"]


def test_a_takes_speaking_rate_is_its_section_words_over_its_speech(booth, cast):
    """Booth takes have no word timings in their level QC: the rate comes from the section text read."""
    section = cast.task_a.script.sections.order_by("position").first()
    body = upload(booth, cast.task_a, speech_wav_bytes(section.text))
    take = Take.objects.get(public_id=body["take_id"])
    check = VoiceCheck.objects.get(take=take)
    voice_checks.run_check(check.pk)
    check.refresh_from_db()
    metrics = take.qc["metrics"]
    speech = metrics["duration_s"] - (metrics["leading_silence_ms"] + metrics["trailing_silence_ms"]) / 1000
    words = len(section.text.split())
    assert words >= 3
    assert abs(check.measures["rate_wps"] - words / speech) < 0.01
    assert 1.0 < check.measures["rate_wps"] < 5.0  # espeak-ng at 150 words a minute, with its pauses


def test_a_voice_check_left_running_by_a_dead_worker_is_taken_back_when_the_outbox_resends_it(booth, cast):
    """The outbox re-sends a job whose worker stopped beating; that run may take the row back (outbox.may_reclaim)."""
    from types import SimpleNamespace

    from voicemanager.core import outbox

    body = upload(booth, cast.task_a, wav_of(OTHER[0]))
    check = VoiceCheck.objects.get(take__public_id=body["take_id"])
    message = OutboxMessage.objects.get(task_name="tasks.voice.check_voice", args=[check.pk])
    VoiceCheck.objects.filter(pk=check.pk).update(state=VoiceCheck.State.RUNNING)  # its worker died mid-check
    run = SimpleNamespace(request=SimpleNamespace(id=str(message.pk), retries=0, delivery_info={}))
    assert not outbox.may_reclaim(run)  # first delivery: another worker may still be on it
    assert voice_checks.run_check(check.pk, reclaim=outbox.may_reclaim(run)) == VoiceCheck.State.RUNNING
    OutboxMessage.objects.filter(pk=message.pk).update(takeovers=1)  # re-sent by outbox-flush
    assert outbox.may_reclaim(run)
    voice_checks.run_check(check.pk, reclaim=outbox.may_reclaim(run))
    assert VoiceCheck.objects.get(pk=check.pk).state == VoiceCheck.State.DONE
