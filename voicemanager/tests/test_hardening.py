"""One test per hardening finding that lives in the domain (see README, Hardening).

Each runs on the real services and failed before its fix.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

# --- 1. the provider callback exists only for the webhook provider ------------------------------------


def _signed(client, path: str, body: dict, secret: str):
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(path, data=raw, content_type="application/json", HTTP_X_SIGNATURE=signature)


def test_callback_signed_with_the_default_secret_changes_nothing_under_the_operator_provider(client, cast, mail,
                                                                                             settings):
    from voicemanager.cloning import voices as cloning
    from voicemanager.tests.cloning_fixtures import add_credits, make_audio_file, voice_owner

    assert settings.CLONING_PROVIDER == "operator"
    add_credits(cast.org_x)
    owner = voice_owner(cast.org_x)
    voice = cloning.request_voice(cast.org_x, cast.admin_x, alias="forged",
                                  files=[make_audio_file(cast.org_x, 3.0, speaker=owner, transcript="Hello.")],
                                  metadata={"gender": "male"})
    before = (voice.status, voice.stage, voice.failure_reason, cast.org_x.credit_balance)
    mail.clear()
    for status in ("received", "training", "ready", "failed"):
        resp = _signed(client, "/api/v2/speech/voice-cloning/callback",
                       {"voiceId": voice.public_id, "status": status, "reason": "<b>Forged</b>"},
                       django_settings.DEV_CLONING_WEBHOOK_SECRET)
        assert resp.status_code == 404, (status, resp.content)
    forged_link = client.get(f"/api/v2/speech/voice-cloning/packages/{voice.public_id}?token=anything")
    assert forged_link.status_code == 404
    voice.refresh_from_db()
    cast.org_x.refresh_from_db()
    assert (voice.status, voice.stage, voice.failure_reason, cast.org_x.credit_balance) == before
    assert mail.messages == []

# --- 7. every stored name uses the validated format's extension ----------------------------------------


def test_owner_consent_upload_named_html_is_stored_as_wav(client, named, s3_storage, s3_server, tmp_path):
    from e2e.services import speech_wav
    from voicemanager.models import ConsentRecording

    speaker, path = named
    client.post(path, {"typed_name": "Vera Owner", "native_languages": ["en"], "agree": "on"})
    wav = speech_wav(tmp_path / "s.wav", "I am aware that recordings of my voice will be used.").read_bytes()
    resp = client.post(path + "recording/", {
        "audio": SimpleUploadedFile("evil.html", wav, content_type="text/html"), "client_id": "c1",
        "sha256": hashlib.sha256(wav).hexdigest(), "kind": "consent"}, HTTP_ACCEPT="application/json")
    assert resp.status_code == 201, resp.content
    audio = ConsentRecording.objects.get(speaker=speaker).audio
    assert audio.file.name.endswith(".wav") and audio.name.endswith(".wav"), (audio.file.name, audio.name)
    head = s3_server.client().head_object(Bucket=s3_storage, Key=audio.file.name)
    assert head["ContentType"].startswith("audio/"), head["ContentType"]

# --- 5. bounded disk: rejected tus uploads go at once, open uploads reserve their bytes ---------------

TUS = {"Tus-Resumable": "1.0.0"}


def _tus_create(client, length: int, purpose: str = "take"):
    import base64

    return client.post("/uploads/", headers={**TUS, "Upload-Length": str(length),
                                             "Upload-Metadata": "purpose " + base64.b64encode(purpose.encode()).decode()})


def test_a_rejected_tus_take_is_released_at_once(cast, settings):
    from booth.tests.helpers import give_consent, login, sha
    from voicemanager.models import ResumableUpload

    client = login(cast.contractor_a)
    give_consent(client, cast.task_a)
    junk = b"this is not audio at all " * 400
    created = _tus_create(client, len(junk))
    assert created.status_code == 201
    location = created["Location"]
    patched = client.generic("PATCH", location, junk, content_type="application/offset+octet-stream",
                             headers={**TUS, "Upload-Offset": "0"})
    assert patched.status_code == 204
    upload_id = location.rstrip("/").rsplit("/", 1)[1]
    part = Path(ResumableUpload.objects.get(pk=upload_id).temp_path)
    assert part.exists()
    section = cast.task_a.script.sections.order_by("position").first()
    resp = client.post(f"/booth/tasks/{cast.task_a.public_id}/sections/{section.pk}/takes/",
                       {"upload_id": upload_id, "client_id": str(uuid.uuid4()), "sha256": sha(junk), "kind": "take"})
    assert resp.status_code in (400, 415, 422) and resp.json()["error"]["code"], resp.content
    assert not ResumableUpload.objects.filter(pk=upload_id).exists(), "the refused upload's row is gone"
    assert not part.exists(), "and so is its .part file"


def test_open_uploads_of_one_user_are_capped(cast, settings):
    from booth.tests.helpers import login

    settings.UPLOAD_OPEN_BYTES_PER_USER = 3000
    admin, other = login(cast.admin_x), login(cast.admin_y)
    assert _tus_create(admin, 2000, "file").status_code == 201
    refused = _tus_create(admin, 1500, "file")
    assert refused.status_code == 507 and b"unfinished uploads" in refused.content
    assert _tus_create(other, 1500, "file").status_code == 201, "another user is not held by the first one's uploads"


def test_open_uploads_reserve_their_bytes_against_the_free_space(cast, settings):
    import shutil

    from booth.tests.helpers import login

    folder = Path(settings.UPLOAD_TEMP_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    settings.UPLOAD_MAX_BYTES = free
    settings.UPLOAD_OPEN_BYTES_PER_USER = 10 * free
    share = int(free * 0.6)
    first = _tus_create(login(cast.admin_x), share, "file")
    assert first.status_code == 201
    second = _tus_create(login(cast.admin_y), share, "file")
    assert second.status_code == 507, "60% + 60% of the free space cannot both be promised"
    assert b"Not enough space" in second.content

# --- 8. API keys: shown once, revocable with an audit entry, gone with their member ---------------------


def test_api_keys_are_shown_once_revocable_and_die_with_their_member(client, cast):
    from voicemanager.models import ApiKey, AuditEvent, Membership

    org = cast.org_x.public_id
    client.force_login(cast.admin_x)
    created = client.post(f"/vm/orgs/{org}/api-keys/", {"name": "ci"})
    assert created.status_code == 200
    raw = re.search(r"vmk_[A-Za-z0-9_-]{20,}", created.content.decode()).group(0)
    assert "no-store" in created["Cache-Control"]
    assert "messages" not in created.cookies or raw not in created.cookies["messages"].value
    assert raw not in client.get(f"/vm/orgs/{org}/").content.decode(), "shown once"
    api = Client()
    assert api.get("/api/v2/files", HTTP_X_API_KEY=raw).status_code == 200

    key = ApiKey.objects.get(key_hash=ApiKey.hash(raw))
    member = Client()
    member.force_login(cast.member_x)
    assert member.post(f"/vm/orgs/{org}/api-keys/{key.pk}/revoke/").status_code in (403, 404)
    assert api.get("/api/v2/files", HTTP_X_API_KEY=raw).status_code == 200, "a member cannot revoke"
    revoked = client.post(f"/vm/orgs/{org}/api-keys/{key.pk}/revoke/")
    assert revoked.status_code == 302
    assert api.get("/api/v2/files", HTTP_X_API_KEY=raw).status_code == 401
    assert AuditEvent.objects.filter(action="api_key.revoked", target_id=key.prefix, actor=cast.admin_x).exists()

    # A second admin's key dies when that admin is removed from the organisation.
    Membership.objects.filter(user=cast.member_x, organisation=cast.org_x).update(role="admin")
    member.force_login(cast.member_x)
    theirs = re.search(r"vmk_[A-Za-z0-9_-]{20,}",
                       member.post(f"/vm/orgs/{org}/api-keys/", {"name": "theirs"}).content.decode()).group(0)
    assert api.get("/api/v2/files", HTTP_X_API_KEY=theirs).status_code == 200
    membership = Membership.objects.get(user=cast.member_x, organisation=cast.org_x)
    assert client.post(f"/vm/orgs/{org}/members/{membership.pk}/remove/").status_code in (200, 302)
    assert api.get("/api/v2/files", HTTP_X_API_KEY=theirs).status_code == 401
    assert AuditEvent.objects.filter(action="api_key.revoked", target_id=theirs[:12],
                                     details__reason="member_removed").exists()

# --- 9d. oversized or malformed input answers JSON, never 500 -----------------------------------------


def test_oversized_and_malformed_input_answers_json(cast):
    from booth.tests.helpers import give_consent, login, tone_wav

    api = Client(raise_request_exception=False)
    long_name = api.post("/api/v2/files", {"file": SimpleUploadedFile("a." + "b" * 1000, tone_wav(30.0),
                                                                      content_type="audio/wav"),
                                           "name": "n" * 1000}, HTTP_X_API_KEY=cast.api_key_x)
    assert long_name.status_code == 201, long_name.content[:300]
    assert len(long_name.json()["name"].encode()) <= 255
    body = '{"title": "t", "language": "en", "sections": ["' + "x" * (10 * 1024 * 1024) + '"]}'
    script = api.post("/api/v2/scripts", body, content_type="application/json", HTTP_X_API_KEY=cast.api_key_x)
    assert script.status_code == 413 and script.json()["error"]["code"] == "too_large"

    booth = login(cast.contractor_a)
    booth.raise_request_exception = False
    give_consent(booth, cast.task_a)
    section = cast.task_a.script.sections.order_by("position").first()
    url = f"/booth/tasks/{cast.task_a.public_id}/sections/{section.pk}/takes/"
    for what, response in [
        ("no boundary", booth.post(url, b"--xx\r\nbroken", content_type="multipart/form-data")),
        ("too many fields", booth.post(url, {f"f{i}": "x" for i in range(1200)})),
    ]:
        assert response.status_code == 400 and response["Content-Type"] == "application/json", (what, response.content)
        assert response.json()["error"]["code"] in ("bad_multipart", "too_many_fields"), what

# --- 9e. bidi and control characters are stripped from names and text, NUL is refused -----------------

RLO = "\u202e"


def test_bidi_and_control_characters_are_stripped_and_nul_refused(client, cast, named):
    from booth.tests.helpers import tone_wav
    from voicemanager.models import ConsentSignature, Script

    api = Client()
    upload = api.post("/api/v2/files", {"file": SimpleUploadedFile(f"invoice{RLO}vaw.exe.wav", tone_wav(2.0),
                                                                   content_type="audio/wav")},
                      HTTP_X_API_KEY=cast.api_key_x)
    assert upload.status_code == 201 and RLO not in upload.json()["name"], upload.json()["name"]
    created = api.post("/api/v2/scripts", {"title": f"Ti{RLO}tle\x07", "language": "en",
                                           "sections": [f"Hello{RLO} world\x1b[31m.", "Second\u2066 one."]},
                       content_type="application/json", HTTP_X_API_KEY=cast.api_key_x)
    assert created.status_code == 201, created.content
    script = Script.objects.get(organisation=cast.org_x, title="Title")
    assert [s.text for s in script.sections.order_by("position")] == ["Hello world[31m.", "Second one."]

    speaker, path = named
    nul = client.post(path, {"typed_name": "Vera Owner\x00", "native_languages": ["en"], "agree": "on"})
    assert nul.status_code == 400 and not ConsentSignature.objects.filter(speaker=speaker).exists()
    assert client.post(path, {"typed_name": f"Vera{RLO} Owner\u2067", "native_languages": ["en"],
                              "agree": "on"}).status_code == 302
    names = set(ConsentSignature.objects.filter(speaker=speaker).values_list("typed_name", flat=True))
    assert names == {"Vera Owner"}, names

    client.force_login(cast.admin_x)
    edit = client.post(f"/vm/scripts/{script.public_id}/sections/1/edit", {"text": "Null\x00 byte"})
    assert edit.status_code in (200, 302)
    assert script.sections.get(position=1).text == "Hello world[31m.", "a NUL in the web form changes nothing"
    page = client.get(f"/vm/scripts/{script.public_id}/").content.decode()
    assert "NUL" in page, "and the admin is told why"

# --- 9b. /forget/ and password reset are throttled by address and by email ------------------------------


def test_forget_and_password_reset_are_throttled_by_email_and_by_address(client, cast, mail, settings,
                                                                         django_capture_on_commit_callbacks):
    settings.THROTTLE_PER_EMAIL, settings.THROTTLE_PER_ADDRESS = 3, 5
    form = {"first_name": "Vera", "last_name": "Victim", "organisation_ref": cast.org_x.public_id,
            "voice_alias": "any", "scope": "voice_and_recordings"}
    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(6):
            answers.append(client.post("/forget/", {**form, "email": "victim@example.com"},
                                       REMOTE_ADDR="198.51.100.1").status_code)
    assert answers == [302, 302, 302, 429, 429, 429], answers
    assert len(mail.to("victim@example.com")) == 3, "at most 3 confirmation emails an hour to one address"
    with django_capture_on_commit_callbacks(execute=True):
        spread = [client.post("/forget/", {**form, "email": f"v{i}@example.com"}, REMOTE_ADDR="198.51.100.2")
                  .status_code for i in range(7)]
    assert spread == [302] * 5 + [429] * 2, "one client address: at most 5 an hour, whatever the emails"

    reset = [client.post("/accounts/password_reset/", {"email": cast.admin_x.email}, REMOTE_ADDR="198.51.100.3")
             .status_code for _ in range(5)]
    assert reset == [302, 302, 302, 429, 429], reset
    assert len(mail.to(cast.admin_x.email)) == 3

# --- 9a. another organisation's assignment waits for the contractor to accept it ------------------------


def test_cross_organisation_assignment_asks_the_contractor_and_reveals_no_account_kind(
        client, cast, mail, settings, django_capture_on_commit_callbacks):
    from booth.tests.helpers import login, tone_wav
    from voicemanager.models import RecordingTask

    settings.SITE_URL = "http://vm.example"
    script_y = cast.script_y
    client.force_login(cast.admin_y)

    def assign(email):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/vm/tasks/invite/", {
                "script": script_y.public_id, "organisation": cast.org_y.public_id, "contractor_email": email,
                "file_path": "", "due_date": ""}, follow=True)
        said = " ".join(re.findall(r'<p class="message[^"]*"[^>]*>(.*?)</p>', response.content.decode(), re.S))
        where = re.sub(r"(tsk|scr|org)_[0-9a-z]+", "ID", response.redirect_chain[-1][0] if response.redirect_chain else "")
        return response.status_code, where, re.sub(r"[\w.+-]+@example\.com", "EMAIL", said)

    answers = {kind: assign(email) for kind, email in [
        ("contractor of another org", cast.contractor_a.email), ("team account", cast.member_x.email),
        ("no account", "nobody-yet@example.com")]}
    assert len(set(answers.values())) == 1, f"the form tells what account an email has: {answers}"
    assert next(iter(answers.values()))[0] == 200

    task = RecordingTask.objects.get(organisation=cast.org_y, contractor_email=cast.contractor_a.email)
    assert task.status == "invited" and task.speaker is None and task.invitation is not None
    booth = login(cast.contractor_a)
    assert script_y.title not in booth.get("/booth/").content.decode(), "not in the booth before acceptance"
    upload = Client().post("/api/v2/files", {"file": SimpleUploadedFile("a.wav", tone_wav(2.0), content_type="audio/wav"),
                                             "speakerId": cast.speaker_a.public_id}, HTTP_X_API_KEY=cast.api_key_y)
    assert upload.status_code == 404 and upload.json()["error"]["code"] == "speaker_not_found"

    from e2e.services import message_text

    [invitation_mail] = [m for m in mail.to(cast.contractor_a.email) if "/invite/" in message_text(m)]
    token = re.search(r"/invite/([^/\s]+)/", message_text(invitation_mail)).group(1)
    accepted = booth.post(f"/invite/{token}/", {}, follow=True)
    assert accepted.status_code == 200
    task.refresh_from_db()
    assert task.status == "accepted" and task.speaker == cast.speaker_a
    assert script_y.title in booth.get("/booth/").content.decode()


def test_team_invitation_does_not_tell_another_organisations_contractor_from_a_new_email(cast):
    from voicemanager.accounts import team

    # contractor B records for org X; org Y's admin learns nothing from inviting that address
    team.invite_member(cast.org_y, cast.contractor_a.email, "member", cast.admin_y)
    team.invite_member(cast.org_y, "fresh@example.com", "member", cast.admin_y)
    invitation = cast.org_y.invitations.get(email=cast.contractor_a.email)
    with pytest.raises(team.TeamError, match="booth"):
        team.accept_invitation(invitation, cast.contractor_a)
