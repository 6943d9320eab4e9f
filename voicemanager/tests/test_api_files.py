"""POST/GET/DELETE /api/v2/files: upload by API key, organisation isolation, content checks."""
import io

import pytest

from voicemanager.models import AudioFile, AuditEvent
from voicemanager.tests.cloning_fixtures import make_audio_file, voice_owner, wav_bytes

URL = "/api/v2/files"


def upload(client, key, data: bytes, name="take.wav", **fields):
    f = io.BytesIO(data)
    f.name = name
    return client.post(URL, {"file": f, **fields}, HTTP_X_API_KEY=key)


def test_upload_returns_file_id_and_facts(client, cast):
    owner = voice_owner(cast.org_x)
    resp = upload(client, cast.api_key_x, wav_bytes(2.0, 48000), path="api/set", speakerId=owner.public_id,
                  label="raw")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["fileId"].startswith("file_") and body["path"] == "api/set" and body["label"] == "raw"
    assert body["durationSeconds"] == pytest.approx(2.0) and body["sampleRate"] == 48000
    audio = AudioFile.objects.get(public_id=body["fileId"])
    assert audio.organisation == cast.org_x and audio.speaker == owner and audio.created_by is None


def test_upload_of_a_non_audio_file_is_422_and_stores_nothing(client, cast):
    resp = upload(client, cast.api_key_x, b"%PDF-1.4 not audio" * 100, name="doc.wav")
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "invalid_audio" and "PDF" in resp.json()["error"]["message"]
    assert not AudioFile.objects.exists()


def test_upload_with_another_orgs_speaker_is_404(client, cast):
    owner_y = voice_owner(cast.org_y, "Yan Owner", consent=False)
    resp = upload(client, cast.api_key_x, wav_bytes(2.0), speakerId=owner_y.public_id)
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "speaker_not_found"


def test_list_and_get_show_only_the_organisations_files(client, cast):
    mine = make_audio_file(cast.org_x, 2.0, name="mine.wav", path="p")
    theirs = make_audio_file(cast.org_y, 2.0, name="theirs.wav")
    listed = client.get(URL, HTTP_X_API_KEY=cast.api_key_x).json()
    assert [f["fileId"] for f in listed["files"]] == [mine.public_id] and listed["count"] == 1
    assert client.get(URL, {"path": "p", "q": "min"}, HTTP_X_API_KEY=cast.api_key_x).json()["count"] == 1
    assert client.get(f"{URL}/{mine.public_id}", HTTP_X_API_KEY=cast.api_key_x).json()["name"] == "mine.wav"
    other = client.get(f"{URL}/{theirs.public_id}", HTTP_X_API_KEY=cast.api_key_x)
    assert other.status_code == 404 and other.json()["error"]["code"] == "file_not_found"


def test_delete_is_isolated_and_audited(client, cast, django_capture_on_commit_callbacks):
    mine = make_audio_file(cast.org_x, 2.0)
    assert client.delete(f"{URL}/{mine.public_id}", HTTP_X_API_KEY=cast.api_key_y).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"{URL}/{mine.public_id}", HTTP_X_API_KEY=cast.api_key_x).status_code == 204
    assert not AudioFile.objects.filter(pk=mine.pk).exists()
    assert not mine.file.storage.exists(mine.file.name)
    assert AuditEvent.objects.filter(action="file.deleted", target_id=mine.public_id).exists()
    assert client.get(f"{URL}/{mine.public_id}", HTTP_X_API_KEY=cast.api_key_x).status_code == 404


def test_file_in_a_voice_being_made_cannot_be_deleted(client, cast):
    from voicemanager.models import Voice

    audio = make_audio_file(cast.org_x, 2.0)
    Voice.objects.create(organisation=cast.org_x, alias="busy", files_used=[audio.public_id])
    resp = client.delete(f"{URL}/{audio.public_id}", HTTP_X_API_KEY=cast.api_key_x)
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "file_in_use"


def test_without_key_is_401(client):
    assert client.get(URL).status_code == 401
