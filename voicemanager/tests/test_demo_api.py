"""The demo answers the API's exact seed calls: upload, clone with the exact body, poll."""
import json

from e2e.services import speech_wav
from voicemanager.core import demo
from voicemanager.models import Voice


def test_demo_seed_is_idempotent(db):
    first = demo.create_demo()
    second = demo.create_demo()
    assert first.organisation == second.organisation and first.voice_owner == second.voice_owner
    assert second.api_key is None  # a key is shown once, on the first run
    assert first.voice_owner.has_signed_current_documents()
    assert first.voice_owner.consent_recordings.count() == 1


def test_exact_voice_cloning_calls_work_on_the_demo(client, db, tmp_path):
    d = demo.create_demo()
    headers = {"HTTP_X_API_KEY": d.api_key}
    wav = speech_wav(tmp_path / "sample.wav", "Hello, this is a sample of my voice for an instant clone.")
    with wav.open("rb") as fh:
        uploaded = client.post("/api/v2/files", {"file": fh, "speakerId": d.voice_owner.public_id}, **headers)
    assert uploaded.status_code == 201, uploaded.content
    body = {"fileIds": [uploaded.json()["fileId"]], "alias": "my-instant-clone", "engine": "voice_engine_3",
            "metadata": {"gender": "female"}}
    accepted = client.post("/api/v2/speech/voice-cloning", json.dumps(body), content_type="application/json",
                           **headers)
    assert accepted.status_code == 202, accepted.content
    state = client.get("/api/v2/speech/voice-cloning", {"alias": "my-instant-clone"}, **headers).json()
    assert state["status"] in {"pending", "processing"}
    assert state["discardedFiles"] == []
    assert Voice.objects.get(alias="my-instant-clone").organisation == d.organisation
