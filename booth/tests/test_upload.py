"""The take upload endpoint: content checks, atomic idempotent storage, and who may upload."""
from __future__ import annotations

import struct
import uuid
from pathlib import Path

import pytest
from django.test import Client

from booth.tests.helpers import form, give_consent, login, sha, sign_all, speech_wav_bytes, tone_wav, webm_from_wav
from tasks.audio.decode import probe
from tasks.audio.hashing import sha256_file
from voicemanager.models import AudioFile, ConsentDocument, ConsentRecording, RecordingTask, Take


def url(task, section) -> str:
    return f"/booth/tasks/{task.public_id}/sections/{section.pk}/takes/"


def first_section(task):
    return task.script.sections.order_by("position").first()


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*.wav") if "uploads-tmp" not in p.parts]


def takes_of(task):
    return Take.objects.filter(task=task, kind=Take.Kind.TAKE)


def assert_rejected(response, status: int, code: str, task, media: Path, before: int):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert takes_of(task).count() == 0
    assert len(stored_files(media)) == before  # nothing new written
    assert not list((media / "uploads-tmp").rglob("*.upload")) if (media / "uploads-tmp").exists() else True


# --- accepted ---------------------------------------------------------------------------------

def test_wav_take_is_stored_under_a_generated_name_with_its_checksum_and_qc(booth, cast, _media_root):
    data = tone_wav(2.0)
    f = form(data, name="../../evil name.wav")
    r = booth.post(url(cast.task_a, first_section(cast.task_a)), f)
    assert r.status_code == 201, r.content
    body = r.json()
    take = Take.objects.get(public_id=body["take_id"])
    assert body["sha256"] == sha(data) == take.sha256
    assert take.file.name.endswith(f"{take.public_id}.wav") and "evil" not in take.file.name
    path = Path(take.file.path)
    assert sha256_file(path) == sha(data) and take.size == len(data)
    assert (take.sample_rate, take.channels, take.bit_depth) == (48000, 1, 16)
    assert take.qc_state == "done" and take.qc["verdicts"] and body["qc"]["summary"] in ("ok", "warn", "fail")
    assert RecordingTask.objects.get(pk=cast.task_a.pk).status == RecordingTask.Status.RECORDING


def test_same_client_id_twice_is_stored_once(booth, cast, _media_root):
    data = tone_wav(1.5)
    cid = str(uuid.uuid4())
    u = url(cast.task_a, first_section(cast.task_a))
    before = len(stored_files(_media_root))
    first = booth.post(u, form(data, client_id=cid))
    again = booth.post(u, form(data, client_id=cid))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["take_id"] == again.json()["take_id"]
    assert again.json()["sha256"] == sha(data)
    assert takes_of(cast.task_a).count() == 1
    assert len(stored_files(_media_root)) == before + 1


def test_webm_opus_from_the_fallback_recorder_is_converted_to_wav(booth, cast, tmp_path):
    webm = webm_from_wav(speech_wav_bytes("Six spoons of fresh snow peas."), tmp_path)
    r = booth.post(url(cast.task_a, first_section(cast.task_a)), form(webm, name="x.webm"))
    assert r.status_code == 201, r.content
    body = r.json()
    take = Take.objects.get(public_id=body["take_id"])
    assert body["sha256"] == sha(webm)  # the browser compares what it sent
    info = probe(take.file.path)
    assert info.format_name == "wav" and info.codec.startswith("pcm_s") and info.sample_rate == 48000
    assert take.sha256 == sha256_file(take.file.path) == body["stored_sha256"]
    assert take.captured_with == "mediarecorder"


def test_large_take_through_tus_upload_id(booth, cast, settings):
    data = tone_wav(3.0)
    headers = {"Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)), "Upload-Metadata": "purpose dGFrZQ=="}
    created = booth.post("/uploads/", headers=headers)
    assert created.status_code == 201
    location = created["Location"].split("://", 1)[-1]
    location = location[location.index("/"):]
    patched = booth.patch(location, data=data, content_type="application/offset+octet-stream",
                          headers={"Tus-Resumable": "1.0.0", "Upload-Offset": "0"})
    assert patched.status_code == 204
    upload_id = location.rstrip("/").rsplit("/", 1)[-1]
    cid = str(uuid.uuid4())
    r = booth.post(url(cast.task_a, first_section(cast.task_a)),
                   {"upload_id": upload_id, "client_id": cid, "sha256": sha(data), "kind": "take"})
    assert r.status_code == 201, r.content
    assert r.json()["sha256"] == sha(data)
    missing = booth.post(url(cast.task_a, first_section(cast.task_a)),
                         {"upload_id": str(uuid.uuid4()), "client_id": str(uuid.uuid4()), "sha256": sha(data)})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "upload_not_found"


# --- bad input: clear message, nothing stored ------------------------------------------------

def _bad_inputs() -> dict[str, tuple[bytes, int, str]]:
    good = tone_wav(2.0)
    truncated = good[: len(good) // 2]
    huge = bytearray(good)
    data_at = huge.index(b"data")
    huge[data_at + 4:data_at + 8] = struct.pack("<I", 0xFFFFFFF0)
    return {
        "html_named_wav": (b"<!doctype html><html><body>not audio</body></html>" * 20, 400, "not_audio"),
        "png_named_wav": (b"\x89PNG\r\n\x1a\n" + b"\0" * 2000, 400, "not_audio"),
        "empty": (b"", 400, "empty"),
        "truncated_wav": (truncated, 400, "truncated"),
        "header_claims_huge_size": (bytes(huge), 400, "bad_header"),
        "too_short": (tone_wav(0.2, pad_s=0.0), 400, "too_short"),
        "low_sample_rate": (tone_wav(2.0, rate=16000), 400, "low_sample_rate"),
    }


@pytest.mark.parametrize("case", list(_bad_inputs()))
def test_bad_audio_is_rejected_with_a_clear_message_and_nothing_stored(booth, cast, _media_root, case):
    data, status, code = _bad_inputs()[case]
    before = len(stored_files(_media_root))
    r = booth.post(url(cast.task_a, first_section(cast.task_a)), form(data))
    assert_rejected(r, status, code, cast.task_a, _media_root, before)


def test_a_file_over_the_cap_is_413_and_nothing_stored(booth, cast, _media_root, settings):
    settings.TAKE_MAX_BYTES = 100_000
    before = len(stored_files(_media_root))
    r = booth.post(url(cast.task_a, first_section(cast.task_a)), form(tone_wav(3.0)))
    assert_rejected(r, 413, "too_large", cast.task_a, _media_root, before)


def test_a_checksum_that_does_not_match_the_bytes_is_refused(booth, cast, _media_root):
    before = len(stored_files(_media_root))
    r = booth.post(url(cast.task_a, first_section(cast.task_a)), form(tone_wav(2.0), sha256="0" * 64))
    assert_rejected(r, 400, "checksum_mismatch", cast.task_a, _media_root, before)


def test_missing_client_id_or_audio_is_400(booth, cast):
    u = url(cast.task_a, first_section(cast.task_a))
    assert booth.post(u, {"client_id": "nope", "sha256": "0" * 64}).json()["error"]["code"] == "bad_client_id"
    assert booth.post(u, {"client_id": str(uuid.uuid4()), "sha256": "0" * 64}).json()["error"]["code"] == "no_audio"


# --- who may upload ----------------------------------------------------------------------------

def test_contractor_cannot_upload_to_someone_elses_task(cast, _media_root):
    b = login(cast.contractor_b)
    give_consent(b, cast.task_b)
    r = b.post(url(cast.task_a, first_section(cast.task_a)), form(tone_wav()))
    assert r.status_code == 404 and r.json()["error"]["code"] == "task_not_found"
    assert takes_of(cast.task_a).count() == 0


@pytest.mark.parametrize("who", ["admin_x", "admin_y", "member_x", "outsider", "staff"])
def test_team_users_cannot_upload_takes(cast, who):
    r = login(getattr(cast, who)).post(url(cast.task_a, first_section(cast.task_a)), form(tone_wav()))
    assert r.status_code == 404
    assert takes_of(cast.task_a).count() == 0


def test_anonymous_upload_is_401_login_required(cast):
    r = Client().post(url(cast.task_a, first_section(cast.task_a)), form(tone_wav()))
    assert r.status_code == 401 and r.json()["error"]["code"] == "login_required"


def test_a_section_of_another_script_is_refused(booth, cast):
    other = cast.script_y.sections.first()
    r = booth.post(url(cast.task_a, other), form(tone_wav()))
    assert r.status_code == 404 and r.json()["error"]["code"] == "section_not_found"
    assert takes_of(cast.task_a).count() == 0


def test_unsigned_consent_contractor_gets_403_with_a_clear_message(cast):
    client = login(cast.contractor_a)
    r = client.post(url(cast.task_a, first_section(cast.task_a)), form(tone_wav()))
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "consent_required" and "sign" in r.json()["error"]["message"]
    r = client.post(f"/booth/tasks/{cast.task_a.public_id}/consent/recording/", form(speech_wav_bytes(), kind="consent"))
    assert r.status_code == 403
    assert Take.objects.filter(task=cast.task_a).count() == 0


def test_script_is_locked_until_the_consent_statement_is_recorded(cast):
    client = login(cast.contractor_a)
    sign_all(cast.speaker_a)
    r = client.post(url(cast.task_a, first_section(cast.task_a)), form(tone_wav()))
    assert r.status_code == 403 and "consent statement" in r.json()["error"]["message"]


def test_a_new_document_version_requires_signing_again(booth, cast):
    terms = ConsentDocument.objects.get(kind="terms")
    ConsentDocument.objects.create(kind="terms", version=terms.version + 1, title=terms.title, text=terms.text + " More.")
    r = booth.post(url(cast.task_a, first_section(cast.task_a)), form(tone_wav()))
    assert r.status_code == 403 and r.json()["error"]["code"] == "consent_required"


def test_consent_statement_without_speech_is_refused(cast):
    client = login(cast.contractor_a)
    sign_all(cast.speaker_a)
    silence = tone_wav(2.0, level=0.0)
    r = client.post(f"/booth/tasks/{cast.task_a.public_id}/consent/recording/", form(silence, kind="consent"))
    assert r.status_code == 400 and r.json()["error"]["code"] == "no_speech"
    assert not ConsentRecording.objects.filter(task=cast.task_a).exists()


def test_consent_recording_is_kept_as_the_tasks_consent_recording(booth, cast):
    rec = ConsentRecording.objects.get(task=cast.task_a)
    assert rec.audio.source == AudioFile.Source.CONSENT and rec.audio.path == cast.task_a.file_path
    assert "Org X" in rec.statement and "synthetic version of my voice" in rec.statement
    assert sha256_file(rec.audio.file.path) == rec.audio.sha256


def test_room_tone_is_measured_and_stored_with_the_task(booth, cast):
    noise = tone_wav(5.0, level=0.0003)
    r = booth.post(f"/booth/tasks/{cast.task_a.public_id}/roomtone/", form(noise, kind="roomtone"))
    assert r.status_code == 201, r.content
    qc = r.json()["qc"]
    assert qc["noise_floor_dbfs"] < -50 and qc["verdict"]["title"]
    task = RecordingTask.objects.get(pk=cast.task_a.pk)
    assert task.room_tone.source == AudioFile.Source.ROOM_TONE and task.room_tone_report["noise_floor_dbfs"] < -50
