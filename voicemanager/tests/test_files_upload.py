"""Browser upload path: tus bytes → /vm/files/upload/complete → content check → stored (or refused, nothing kept)."""
import base64
from pathlib import Path

import pytest
from django.urls import reverse

from voicemanager.files.uploads import clean_name, clean_path, store_uploaded_file
from voicemanager.models import AudioFile, AuditEvent, ResumableUpload
from voicemanager.tests.cloning_fixtures import wav_bytes

TUS = {"Tus-Resumable": "1.0.0"}


def tus_upload(client, data: bytes, chunk: int = 64 * 1024) -> str:
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in
                    {"purpose": "file", "filename": "take.wav"}.items())
    created = client.post("/uploads/", headers={**TUS, "Upload-Length": str(len(data)), "Upload-Metadata": meta})
    assert created.status_code == 201
    location = created["Location"]
    for offset in range(0, len(data), chunk):
        resp = client.patch(location, data=data[offset:offset + chunk], content_type="application/offset+octet-stream",
                            headers={**TUS, "Upload-Offset": str(offset)})
        assert resp.status_code == 204
    return location.rstrip("/").rsplit("/", 1)[-1]


def complete(client, org, upload_id, name="Session 1.wav", path="owners/jane"):
    return client.post(reverse("file_upload_complete"), {"upload_id": upload_id, "org": org.public_id,
                                                         "path": path, "name": name})


def test_tus_upload_is_checked_and_stored_under_its_folder(client, cast, django_capture_on_commit_callbacks):
    client.force_login(cast.admin_x)
    data = wav_bytes(2.5, 48000)
    upload_id = tus_upload(client, data)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resp = complete(client, cast.org_x, upload_id)
    assert resp.status_code == 201, resp.content
    audio = AudioFile.objects.get(public_id=resp.json()["fileId"])
    assert (audio.path, audio.name, audio.source) == ("owners/jane", "Session 1.wav", "upload")
    assert audio.duration == pytest.approx(2.5) and audio.sample_rate == 48000 and audio.size == len(data)
    import hashlib

    assert audio.sha256 == hashlib.sha256(data).hexdigest()
    assert audio.file.name.startswith(f"orgs/{cast.org_x.public_id}/files/{audio.public_id}")
    assert len(callbacks) == 2  # analysis queued, temp upload released: both only after commit
    callbacks[1]()
    assert not ResumableUpload.objects.filter(pk=upload_id).exists()
    assert AuditEvent.objects.filter(action="file.uploaded", target_id=audio.public_id).exists()


def test_mp3_is_accepted(client, cast, tmp_path):
    from tasks.tests.audio_fixtures import encode

    src = tmp_path / "a.wav"
    src.write_bytes(wav_bytes(3.0, 44100))
    mp3 = encode(src, tmp_path / "a.mp3", "-c:a", "libmp3lame", "-b:a", "128k")
    client.force_login(cast.admin_x)
    resp = complete(client, cast.org_x, tus_upload(client, mp3.read_bytes()), name="voice.mp3")
    assert resp.status_code == 201
    audio = AudioFile.objects.get(public_id=resp.json()["fileId"])
    assert audio.name == "voice.mp3" and audio.file.name.endswith(".mp3") and audio.duration > 2.9


@pytest.mark.parametrize("payload, code", [
    (b"<!doctype html><html><body>not audio</body></html>" * 20, "not_audio"),
    (wav_bytes(3.0)[:-20000], "truncated"),
    (b"", None),
])
def test_bad_file_gets_a_clear_message_and_nothing_is_stored(client, cast, settings, payload, code):
    client.force_login(cast.admin_x)
    if not payload:
        resp = complete(client, cast.org_x, "00000000-0000-0000-0000-000000000000")
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "upload_not_found"
        return
    upload_id = tus_upload(client, payload)
    resp = complete(client, cast.org_x, upload_id)
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == code and resp.json()["error"]["message"]
    assert not AudioFile.objects.exists()
    stored = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file() and "uploads-tmp" not in p.parts]
    assert stored == []
    assert not ResumableUpload.objects.filter(pk=upload_id).exists()


def test_others_cannot_claim_or_upload_into_an_organisation(client, cast):
    client.force_login(cast.admin_x)
    upload_id = tus_upload(client, wav_bytes(2.0))
    client.force_login(cast.admin_y)
    assert complete(client, cast.org_x, upload_id).status_code == 404  # not their organisation
    assert complete(client, cast.org_y, upload_id).status_code == 404  # not their upload
    client.force_login(cast.member_x)
    assert complete(client, cast.org_x, upload_id).status_code == 403
    assert not AudioFile.objects.exists()


def test_upload_page_loads_the_uploader_for_admins_only(client, cast):
    client.force_login(cast.admin_x)
    html = client.get(reverse("file_upload"), {"org": cast.org_x.public_id}).content.decode()
    assert "js/file-upload.js" in html and "multiple" in html
    client.force_login(cast.member_x)
    assert client.get(reverse("file_upload"), {"org": cast.org_x.public_id}).status_code == 403


@pytest.mark.parametrize("raw, ext, expected", [
    ("../../etc/passwd", "wav", "passwd.wav"),
    ("evil\x00name.wav", "wav", "evilname.wav"),
    ("voice.php.wav", "wav", "voice_php.wav"),
    ("song.wav", "mp3", "song.mp3"),
    ("C:\\Users\\me\\take 1.WAV", "wav", "take 1.wav"),
    ("...", "wav", "audio.wav"),
    ("é" * 300 + ".wav", "wav", "é" * 125 + ".wav"),  # 250 bytes + ".wav"
])
def test_names_are_sanitised(raw, ext, expected):
    name = clean_name(raw, ext)
    assert name == expected and len(name.encode()) <= 255


def test_paths_are_sanitised():
    assert clean_path("/a/../b/./c//\x00d/") == "a/b/c/d"
    assert clean_path("..") == ""


def test_store_uploaded_file_refuses_flac_with_a_reason(cast, tmp_path):
    import soundfile as sf

    from tasks.audio.decode import AudioRejected
    from voicemanager.tests.cloning_fixtures import temp_wav

    flac = tmp_path / "x.flac"
    data, rate = sf.read(temp_wav(2.0))
    sf.write(flac, data, rate, format="FLAC")
    with pytest.raises(AudioRejected) as err:
        store_uploaded_file(cast.org_x, cast.admin_x, "", "x.flac", flac)
    assert err.value.code == "unsupported_format"
    assert not AudioFile.objects.exists()
