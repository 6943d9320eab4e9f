"""POST /api/v2/speech/voice-cloning and the native-language warning: 409 unless accepted, then audited."""
import json

import pytest

from voicemanager.models import AuditEvent, Speaker, Voice
from voicemanager.tests.cloning_fixtures import add_credits, make_audio_file, voice_owner

URL = "/api/v2/speech/voice-cloning"


@pytest.fixture
def spanish_owner(cast):
    """A consenting voice owner whose only native language is Spanish."""
    add_credits(cast.org_x)
    owner = voice_owner(cast.org_x, "Ana Owner")
    Speaker.objects.filter(pk=owner.pk).update(native_languages=["es"])
    owner.refresh_from_db()
    return owner


def post(client, key, body):
    return client.post(URL, data=json.dumps(body), content_type="application/json", HTTP_X_API_KEY=key)


def body(file, alias, **extra):
    return {"fileIds": [file.public_id], "alias": alias, "engine": "voice_engine_3",
            "metadata": {"gender": "female"}, **extra}


@pytest.mark.parametrize("flag", [{}, {"acceptLanguageWarning": False}])
def test_foreign_language_without_acceptance_is_409_and_creates_nothing(client, cast, spanish_owner, flag):
    audio = make_audio_file(cast.org_x, 3.0, speaker=spanish_owner)
    resp = post(client, cast.api_key_x, body(audio, "german-voice", language="de", **flag))
    assert resp.status_code == 409, resp.content
    error = resp.json()["error"]
    assert error["code"] == "language_warning"
    assert "Spanish" in error["warning"] and "German" in error["warning"] and "accent" in error["warning"]
    assert error["message"] == error["warning"]
    assert not Voice.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["voice.requested", "language_warning.accepted"]).exists()


def test_accepting_the_warning_creates_the_voice_and_audits_the_api_key(client, cast, spanish_owner):
    from voicemanager.models import ApiKey

    audio = make_audio_file(cast.org_x, 3.0, speaker=spanish_owner)
    resp = post(client, cast.api_key_x, body(audio, "german-voice", language="de", acceptLanguageWarning=True))
    assert resp.status_code == 202, resp.content
    voice = Voice.objects.get(alias="german-voice")
    assert voice.language == "de" and voice.speaker == spanish_owner
    assert voice.language_warning_accepted_by is None  # an API key is not a user
    event = AuditEvent.objects.get(action="language_warning.accepted", target_id=voice.public_id)
    key = ApiKey.objects.get(key_hash=ApiKey.hash(cast.api_key_x))
    assert event.organisation == cast.org_x and event.actor is None and not event.by_staff
    assert event.actor_label.startswith("api_key:") and key.prefix in event.actor_label
    assert event.details["language"] == "de" and event.details["native_languages"] == ["es"]
    assert event.details["speaker"] == spanish_owner.public_id
    requested = AuditEvent.objects.get(action="voice.requested", target_id=voice.public_id)
    assert requested.actor_label == event.actor_label


def test_exact_seed_body_in_a_native_language_needs_no_flag(client, cast, spanish_owner):
    audio = make_audio_file(cast.org_x, 3.0, speaker=spanish_owner)
    resp = post(client, cast.api_key_x, body(audio, "spanish-voice", language="es"))
    assert resp.status_code == 202, resp.content
    assert not AuditEvent.objects.filter(action="language_warning.accepted").exists()


def test_exact_seed_body_for_a_speaker_without_known_native_languages_is_accepted(client, cast):
    add_credits(cast.org_x)
    owner = voice_owner(cast.org_x, "Nora Unknown")
    assert not owner.native_languages
    audio = make_audio_file(cast.org_x, 3.0, speaker=owner)
    resp = post(client, cast.api_key_x, {"fileIds": [audio.public_id], "alias": "unknown-natives",
                                         "engine": "voice_engine_3", "metadata": {"gender": "female"}})
    assert resp.status_code == 202, resp.content
    assert not AuditEvent.objects.filter(action="language_warning.accepted").exists()


def test_other_checks_still_come_first_for_a_foreign_language(client, cast, spanish_owner):
    """A set the engine refuses says so, even with a language mismatch (409 means only the warning is left)."""
    short = make_audio_file(cast.org_x, 60.0, speaker=spanish_owner, rate=8000)
    resp = post(client, cast.api_key_x, body(short, "pro-de", language="de", type="professional"))
    assert resp.status_code == 422 and resp.json()["error"]["code"] in ("no_usable_files", "set_too_short")


def test_non_boolean_flag_is_a_malformed_body(client, cast, spanish_owner):
    audio = make_audio_file(cast.org_x, 3.0, speaker=spanish_owner)
    resp = post(client, cast.api_key_x, body(audio, "odd", language="de", acceptLanguageWarning={"yes": 1}))
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "invalid_request"
    assert not Voice.objects.exists()


def test_openapi_schema_documents_the_flag_and_the_409(client, cast):
    schema = client.get("/api/v2/openapi.json").json()
    props = schema["components"]["schemas"]["CloneIn"]["properties"]
    assert props["acceptLanguageWarning"]["type"] == "boolean"
    assert "409 language_warning" in props["acceptLanguageWarning"]["description"]
    assert "acceptLanguageWarning" not in schema["components"]["schemas"]["CloneIn"].get("required", [])
    assert "409" in schema["paths"]["/api/v2/speech/voice-cloning"]["post"]["responses"]
