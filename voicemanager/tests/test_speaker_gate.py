"""The consent gate refuses a set spoken by someone else (API and UI); an admin override is audited.

Real speech: LibriSpeech clips in tasks/tests/fixtures/speaker (see the NOTICE there). The
consent recording is speaker 367's; the impostor is speaker 1688.
"""
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from django.core.files.base import ContentFile

from voicemanager.models import AudioFile, AuditEvent, ConsentRecording, Voice, VoiceCheck
from voicemanager.quality import checks as voice_checks
from voicemanager.tests.cloning_fixtures import add_credits, sign_documents, voice_owner

FIX = Path(__file__).resolve().parents[2] / "tasks" / "tests" / "fixtures" / "speaker"
CONSENT = FIX / "367-130732-0004.flac"
SAME = FIX / "367-130732-0001.flac"
OTHER = [FIX / "1688-142285-0004.flac", FIX / "1688-142285-0005.flac"]
URL = "/api/v2/speech/voice-cloning"


def speech_file(org, clip: Path, *, seconds: float | None = None, speaker=None, name=None,
                source=AudioFile.Source.UPLOAD) -> AudioFile:
    """A FLAC of a real clip, padded with silence to ``seconds`` (long sets stay small and quick to embed)."""
    x, rate = sf.read(str(clip), dtype="float32")
    if seconds:
        x = np.concatenate([x, np.zeros(int(seconds * rate) - len(x), np.float32)])
    buf = io.BytesIO()
    sf.write(buf, x, rate, format="FLAC", subtype="PCM_16")
    data = buf.getvalue()
    audio = AudioFile(organisation=org, name=name or clip.name, source=source, speaker=speaker, size=len(data),
                      sha256=hashlib.sha256(data).hexdigest(), duration=len(x) / rate, sample_rate=rate,
                      channels=1, bit_depth=16, analysis_state=AudioFile.Analysis.DONE)
    audio.file.save("audio.flac", ContentFile(data), save=False)
    audio.save()
    return audio


@pytest.fixture
def owner(cast):
    add_credits(cast.org_x)
    speaker = voice_owner(cast.org_x, "Vera Voice", consent=False)
    sign_documents(speaker)
    consent = speech_file(cast.org_x, CONSENT, speaker=speaker, source=AudioFile.Source.CONSENT, name="consent.flac")
    ConsentRecording.objects.create(speaker=speaker, organisation=cast.org_x, audio=consent,
                                    statement="I, Vera Voice, consent.")
    return speaker


def upload(client, cast, clip: Path, speaker) -> str:
    """Upload through the API with a speakerId (WAV), then run the voice check the upload queued."""
    x, rate = sf.read(str(clip), dtype="float32")
    buf = io.BytesIO()
    sf.write(buf, x, rate, format="WAV", subtype="PCM_16")
    buf.name = clip.stem + ".wav"
    buf.seek(0)
    resp = client.post("/api/v2/files", {"file": buf, "speakerId": speaker.public_id}, HTTP_X_API_KEY=cast.api_key_x)
    assert resp.status_code == 201, resp.content
    file_id = resp.json()["fileId"]
    check = VoiceCheck.objects.get(audio_file__public_id=file_id)
    assert check.state == VoiceCheck.State.PENDING
    assert voice_checks.run_check(check.pk) == VoiceCheck.State.DONE
    assert voice_checks.run_check(check.pk) == VoiceCheck.State.DONE  # a redelivered job changes nothing
    return file_id


def clone(client, cast, file_ids, alias):
    body = {"fileIds": file_ids, "alias": alias, "engine": "voice_engine_3", "metadata": {"gender": "female"}}
    return client.post(URL, data=json.dumps(body), content_type="application/json", HTTP_X_API_KEY=cast.api_key_x)


def test_api_refuses_a_set_spoken_by_someone_else(client, cast, owner):
    ids = [upload(client, cast, clip, owner) for clip in OTHER]
    assert set(VoiceCheck.objects.values_list("verdict", flat=True)) == {"different"}
    resp = clone(client, cast, ids, "not-vera")
    assert resp.status_code == 422, resp.content
    body = resp.json()["error"]
    assert body["code"] == "speaker_mismatch"
    assert "do not sound like the speaker who recorded the consent statement" in body["message"]
    assert sorted(f["fileId"] for f in body["files"]) == sorted(ids)
    assert not Voice.objects.filter(alias="not-vera").exists()


def test_api_forwards_the_consenting_speakers_set(client, cast, owner):
    file_id = upload(client, cast, SAME, owner)
    check = VoiceCheck.objects.get(audio_file__public_id=file_id)
    assert check.verdict == "same" and check.similarity >= 0.8
    assert check.measures["f0_median_hz"] > 150 and check.measures["embedding_distance"] < 0.2
    assert clone(client, cast, [file_id], "vera-instant").status_code == 202


def test_one_impostor_file_refuses_the_whole_set(client, cast, owner):
    good = upload(client, cast, SAME, owner)
    bad = upload(client, cast, OTHER[0], owner)
    resp = clone(client, cast, [good, bad], "vera-mixed")
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "speaker_mismatch"
    assert [f["fileId"] for f in resp.json()["error"]["files"]] == [bad]


def test_the_worker_checks_files_still_waiting_before_it_packages(cast, owner):
    """A set requested before its checks ran is caught by the packaging job, which runs them first."""
    from tasks.cloning import package_voice

    files = [speech_file(cast.org_x, clip, speaker=owner) for clip in OTHER]
    checks = [voice_checks.queue_for_file(f) for f in files]
    assert all(c.state == VoiceCheck.State.PENDING for c in checks)
    voice = Voice.objects.create(organisation=cast.org_x, alias="sneaky", speaker=owner,
                                 files_used=[f.public_id for f in files])
    package_voice.apply(args=[voice.pk])
    voice.refresh_from_db()
    assert voice.status == Voice.Status.FAILED
    assert "do not sound like the speaker who recorded the consent statement" in voice.failure_reason


def test_clone_page_refuses_someone_elses_set_until_an_admin_overrides_it(client, cast, owner):
    # professional sets need 30 minutes: three 10-minute files, a real clip each, then silence
    files = [speech_file(cast.org_x, clip, seconds=620, speaker=owner, name=f"chapter-{i}.flac")
             for i, clip in enumerate([OTHER[0], OTHER[1], OTHER[0]])]
    for f in files:
        voice_checks.run_check(voice_checks.queue_for_file(f).pk)
    client.force_login(cast.admin_x)
    form = {"org": cast.org_x.public_id, "files": [f.public_id for f in files], "speaker": owner.public_id,
            "alias": "vera-pro", "language": "en", "gender": "female", "action": "submit"}
    page = client.post("/vm/files/clone/", form)
    assert page.status_code == 422
    html = page.content.decode()
    assert 'id="speaker-mismatch"' in html and "chapter-0.flac" in html
    assert "do not sound like the speaker who recorded the consent statement" in html
    assert not Voice.objects.filter(alias="vera-pro").exists()

    client.force_login(cast.member_x)  # a member cannot override (and cannot submit at all)
    assert client.post("/vm/files/clone/", form | {"override_speaker_mismatch": "1"}).status_code in (403, 404)

    client.force_login(cast.admin_x)
    done = client.post("/vm/files/clone/", form | {"override_speaker_mismatch": "1"})
    assert done.status_code == 302, done.content.decode()[:2000]
    voice = Voice.objects.get(alias="vera-pro")
    assert voice.speaker_mismatch_overridden_by == cast.admin_x
    event = AuditEvent.objects.get(action="voice.speaker_mismatch_overridden", target_id=voice.public_id)
    assert event.actor == cast.admin_x and sorted(event.details["files"]) == sorted(f.public_id for f in files)
