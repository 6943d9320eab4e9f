"""POST/GET /api/v2/speech/voice-cloning with the exact documented payload, errors, and a schema-driven run."""
import json

import pytest

from voicemanager.models import AuditEvent, Voice
from voicemanager.tests.cloning_fixtures import add_credits, make_audio_file, voice_owner

URL = "/api/v2/speech/voice-cloning"


@pytest.fixture
def org_x(cast):
    add_credits(cast.org_x)
    return cast.org_x


@pytest.fixture
def owner_x(org_x):
    return voice_owner(org_x)


def post(client, key, body, raw=False):
    data = body if raw else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", HTTP_X_API_KEY=key)


def get(client, key, alias):
    return client.get(URL, {"alias": alias}, HTTP_X_API_KEY=key)


def test_exact_payload_is_accepted_with_202_and_status_can_be_polled(client, cast, org_x, owner_x):
    a = make_audio_file(org_x, 3.0, speaker=owner_x)
    b = make_audio_file(org_x, 4.0, speaker=owner_x)
    body = {"fileIds": [a.public_id, b.public_id], "alias": "my-instant-clone", "engine": "voice_engine_3",
            "metadata": {"gender": "female"}}
    resp = post(client, cast.api_key_x, body)
    assert resp.status_code == 202, resp.content
    state = resp.json()
    assert state["status"] == "pending" and state["type"] == "instant" and state["engine"] == "voice_engine_3"
    assert state["filesUsed"] == [a.public_id, b.public_id] and state["discardedFiles"] == []
    assert state["metadata"] == {"gender": "female"}

    polled = get(client, cast.api_key_x, "my-instant-clone")
    assert polled.status_code == 200
    assert polled.json()["status"] == "pending" and polled.json()["alias"] == "my-instant-clone"
    voice = Voice.objects.get(alias="my-instant-clone")
    assert voice.organisation == org_x and voice.speaker == owner_x
    assert AuditEvent.objects.filter(action="voice.requested", target_id=voice.public_id).exists()


def test_alias_is_unique_across_organisations(client, cast, org_x, owner_x):
    add_credits(cast.org_y)
    owner_y = voice_owner(cast.org_y, "Yara Owner")
    y_file = make_audio_file(cast.org_y, 3.0, speaker=owner_y)
    x_file = make_audio_file(org_x, 3.0, speaker=owner_x)
    first = post(client, cast.api_key_y, {"fileIds": [y_file.public_id], "alias": "Shared-Name",
                                          "engine": "voice_engine_3", "metadata": {}})
    assert first.status_code == 202
    second = post(client, cast.api_key_x, {"fileIds": [x_file.public_id], "alias": "shared-name",
                                           "engine": "voice_engine_3", "metadata": {"gender": "male"}})
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "alias_taken"
    assert Voice.objects.filter(organisation=org_x).count() == 0
    # and org X cannot read org Y's voice by alias
    assert get(client, cast.api_key_x, "Shared-Name").status_code == 404


def test_instant_discards_short_extra_and_oversize_files_with_reasons(client, cast, org_x, owner_x):
    short = make_audio_file(org_x, 1.0, speaker=owner_x, name="short.wav")
    big = [make_audio_file(org_x, 90.0, speaker=owner_x, name=f"big{i}.wav") for i in range(4)]  # 2.75 MB each
    small = [make_audio_file(org_x, 2.0, speaker=owner_x, name=f"s{i}.wav") for i in range(24)]
    ids = [short.public_id] + [f.public_id for f in big] + [f.public_id for f in small]
    resp = post(client, cast.api_key_x, {"fileIds": ids, "alias": "limits", "engine": "voice_engine_3",
                                         "metadata": {"gender": "female"}})
    assert resp.status_code == 202, resp.content
    discarded = {d["fileId"]: d for d in get(client, cast.api_key_x, "limits").json()["discardedFiles"]}
    assert discarded[short.public_id]["code"] == "too_short"
    assert "1.5" in discarded[short.public_id]["reason"]
    assert discarded[big[3].public_id]["code"] == "total_size_exceeded"
    assert "10 MB" in discarded[big[3].public_id]["reason"]
    assert sum(1 for d in discarded.values() if d["code"] == "too_many_files") == 2
    used = resp.json()["filesUsed"]
    assert len(used) == 25 and short.public_id not in used


def test_professional_discards_files_under_10_minutes_and_refuses_a_set_under_30(client, cast, org_x, owner_x):
    short = make_audio_file(org_x, 60.0, speaker=owner_x, rate=8000)
    long = make_audio_file(org_x, 700.0, speaker=owner_x, rate=8000)
    resp = post(client, cast.api_key_x, {"fileIds": [short.public_id, long.public_id], "alias": "pro-voice",
                                         "engine": "voice_engine_3", "metadata": {"gender": "female"},
                                         "type": "professional", "language": "en"})
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "set_too_short"
    assert {d["fileId"]: d["code"] for d in error["discardedFiles"]} == {short.public_id: "too_short"}
    assert not Voice.objects.filter(alias="pro-voice").exists()


def test_professional_set_meeting_the_limits_is_accepted(client, cast, org_x, owner_x):
    files = [make_audio_file(org_x, 620.0, speaker=owner_x, rate=8000, freq=200 + i) for i in range(3)]
    short = make_audio_file(org_x, 30.0, speaker=owner_x, rate=8000)
    resp = post(client, cast.api_key_x, {"fileIds": [f.public_id for f in files] + [short.public_id],
                                         "alias": "pro-ok", "engine": "voice_engine_3",
                                         "metadata": {"gender": "male"}, "type": "professional", "language": "de"})
    assert resp.status_code == 202, resp.content
    state = resp.json()
    assert state["type"] == "professional" and state["language"] == "de"
    assert state["discardedFiles"] == [{"fileId": short.public_id, "code": "too_short",
                                        "reason": state["discardedFiles"][0]["reason"]}]
    assert state["expectedReadyAt"]


def test_file_of_another_organisation_is_404_and_creates_nothing(client, cast, org_x, owner_x):
    mine = make_audio_file(org_x, 3.0, speaker=owner_x)
    theirs = make_audio_file(cast.org_y, 3.0)
    resp = post(client, cast.api_key_x, {"fileIds": [mine.public_id, theirs.public_id], "alias": "steal",
                                         "engine": "voice_engine_3", "metadata": {"gender": "female"}})
    assert resp.status_code == 404
    assert resp.json()["error"] == {"code": "file_not_found", "message": resp.json()["error"]["message"],
                                    "fileIds": [theirs.public_id]}
    assert not Voice.objects.exists()


@pytest.mark.parametrize("body, status, code", [
    ({"alias": "x", "engine": "voice_engine_3", "metadata": {}}, 422, "invalid_request"),
    ({"fileIds": "file_abc", "alias": "x", "engine": "voice_engine_3", "metadata": {}}, 422, "invalid_request"),
    ({"fileIds": [], "alias": "x", "engine": "voice_engine_3", "metadata": {}}, 422, "invalid_request"),
    ({"fileIds": ["{f}"], "alias": "x", "engine": "voice_engine_3", "metadata": "female"}, 422, "invalid_request"),
    ({"fileIds": ["{f}"], "alias": "x", "engine": "voice_engine_3", "metadata": {}, "type": "huge"}, 422,
     "invalid_request"),
    ({"fileIds": ["{f}"], "alias": "x", "engine": "voice_engine_9", "metadata": {}}, 400, "unknown_engine"),
    ({"fileIds": ["{f}"], "alias": "has space", "engine": "voice_engine_3", "metadata": {}}, 422, "invalid_alias"),
    ({"fileIds": ["{f}"], "alias": "x", "engine": "voice_engine_3", "metadata": {}, "language": "xx"}, 422,
     "unsupported_language"),
    ({"fileIds": ["{f}"], "alias": "n\u0000ul", "engine": "voice_engine_3", "metadata": {}}, 422,
     "invalid_request"),
])
def test_malformed_bodies_get_a_machine_readable_4xx(client, cast, org_x, owner_x, body, status, code):
    audio = make_audio_file(org_x, 3.0, speaker=owner_x)
    body = json.loads(json.dumps(body).replace("{f}", audio.public_id))
    resp = post(client, cast.api_key_x, body)
    assert resp.status_code == status, resp.content
    assert resp.json()["error"]["code"] == code
    assert not Voice.objects.exists()


def test_non_json_body_is_400_invalid_request(client, cast, org_x):
    resp = post(client, cast.api_key_x, "fileIds=1&alias=2", raw=True)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid_request"


def test_without_a_valid_key_is_401(client, cast):
    assert client.get(URL, {"alias": "x"}).status_code == 401
    assert client.get(URL, {"alias": "x"}, HTTP_X_API_KEY="vmk_wrong").status_code == 401


def test_consent_missing_is_refused_and_nothing_is_created(client, cast, org_x):
    unsigned = voice_owner(org_x, "Una Signed", consent=False)
    audio = make_audio_file(org_x, 3.0, speaker=unsigned)
    resp = post(client, cast.api_key_x, {"fileIds": [audio.public_id], "alias": "no-consent",
                                         "engine": "voice_engine_3", "metadata": {"gender": "female"}})
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "consent_missing"
    assert any("Terms of Service" in r for r in error["reasons"])
    assert any("consent recording" in r for r in error["reasons"])
    assert not Voice.objects.exists()


def test_files_without_a_speaker_cannot_be_cloned(client, cast, org_x):
    audio = make_audio_file(org_x, 3.0)
    resp = post(client, cast.api_key_x, {"fileIds": [audio.public_id], "alias": "nobody",
                                         "engine": "voice_engine_3", "metadata": {}})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "consent_missing"


def test_speaker_can_be_named_in_metadata(client, cast, org_x, owner_x):
    audio = make_audio_file(org_x, 3.0)
    resp = post(client, cast.api_key_x, {"fileIds": [audio.public_id], "alias": "named",
                                         "engine": "voice_engine_3",
                                         "metadata": {"gender": "female", "speakerId": owner_x.public_id}})
    assert resp.status_code == 202, resp.content
    assert Voice.objects.get(alias="named").speaker == owner_x


def test_instant_voice_without_credits_is_402(client, cast, owner_x):
    from voicemanager.models import CreditEntry

    CreditEntry.objects.filter(organisation=cast.org_x).delete()
    audio = make_audio_file(cast.org_x, 3.0, speaker=owner_x)
    resp = post(client, cast.api_key_x, {"fileIds": [audio.public_id], "alias": "broke",
                                         "engine": "voice_engine_3", "metadata": {"gender": "female"}})
    assert resp.status_code == 402 and resp.json()["error"]["code"] == "insufficient_credits"
    assert not Voice.objects.exists()


def test_schemathesis_finds_no_server_error(transactional_db, cast):
    """Schema-driven: every operation of /api/v2/openapi.json, bounded examples, no 5xx.

    Each WSGI call is its own request and transaction, as in production (hence transactional_db).
    """
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    from config.wsgi import application

    add_credits(cast.org_x)
    owner = voice_owner(cast.org_x)
    make_audio_file(cast.org_x, 3.0, speaker=owner)
    schema = schemathesis.openapi.from_wsgi("/api/v2/openapi.json", application)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call(headers={"x-api-key": cast.api_key_x})
            if response.status_code >= 500:
                failures.append((case.method, case.formatted_path, response.status_code))

        run()
    assert sorted(set(failures)) == []


def test_python_client_uploads_clones_and_polls_against_a_live_server(live_server, transactional_db, tmp_path):
    from voicemanager_client import ApiError, Client

    from voicemanager.tests.cloning_fixtures import write_wav
    from voicemanager.tests.factories import make_cast

    cast = make_cast()
    add_credits(cast.org_x)
    owner = voice_owner(cast.org_x)
    api = Client(live_server.url, cast.api_key_x)
    uploaded = api.upload_file(write_wav(tmp_path / "one.wav", 3.0), path="client", speaker_id=owner.public_id)
    assert api.get_file(uploaded["fileId"])["durationSeconds"] == pytest.approx(3.0)
    assert api.list_files(path="client")["count"] == 1
    state = api.start_cloning([uploaded["fileId"]], "client-voice", metadata={"gender": "female"})
    assert state["status"] == "pending"
    assert api.get_voice("client-voice")["filesUsed"] == [uploaded["fileId"]]
    with pytest.raises(ApiError) as err:
        api.start_cloning([uploaded["fileId"]], "client-voice", engine="voice_engine_9")
    assert err.value.status == 400 and err.value.code == "unknown_engine"
    other = api.upload_file(write_wav(tmp_path / "two.wav", 2.0))
    api.delete_file(other["fileId"])
    with pytest.raises(ApiError) as err:
        api.get_file(other["fileId"])
    assert err.value.code == "file_not_found"
