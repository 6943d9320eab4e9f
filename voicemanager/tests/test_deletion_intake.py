"""Filing and confirming deletion requests: public form, emailed link, API. Bad input changes nothing."""
from __future__ import annotations

import time

import pytest
from django.core import signing

from e2e.services import message_text
from voicemanager import models as m
from voicemanager.deletion import intake, process
from voicemanager.tests.test_deletion_support import build_world

S = m.DeletionRequest.Status
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def form_data(cast, alias, **extra):
    return {"first_name": "Anna", "last_name": "Speaker", "email": "anna@example.com",
            "organisation_ref": cast.org_x.public_id, "voice_alias": alias, "scope": "voice_and_recordings", **extra}


def confirm_link(msg) -> str:
    text = message_text(msg)
    return next(line.strip() for line in text.splitlines() if "/forget/confirm/" in line)


def test_public_form_only_creates_unconfirmed_request_and_emails_link(client, cast, mail,
                                                                      django_capture_on_commit_callbacks):
    world = build_world(cast)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/forget/", form_data(cast, world.a.voice.alias))
    assert response.status_code == 302 and response["Location"] == "/forget/sent/"
    req = m.DeletionRequest.objects.get()
    assert req.status == S.UNCONFIRMED and req.organisation == cast.org_x and req.found == {}
    [msg] = mail.wait_for("anna@example.com")
    assert "/forget/confirm/" in confirm_link(msg)
    assert process.advance(req.pk) == S.UNCONFIRMED  # an unconfirmed request is never processed
    assert m.Voice.objects.filter(pk=world.a.voice.pk).exists()
    assert list(m.AuditEvent.objects.filter(target_id=req.public_id).values_list("action", flat=True)) == [
        "deletion.requested"]


def test_confirm_link_needs_post_and_works_once(client, cast, mail, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/forget/", form_data(cast, "anything"))
    path = confirm_link(mail.wait_for("anna@example.com")[0]).split("127.0.0.1:8000", 1)[-1]
    req = m.DeletionRequest.objects.get()
    page = client.get(path)
    assert page.status_code == 200 and b"Confirm deletion request" in page.content
    req.refresh_from_db()
    assert req.status == S.UNCONFIRMED  # opening the link (or a mail scanner) confirms nothing
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert client.post(path).status_code == 200
    assert len(callbacks) == 1  # the worker job is queued after commit
    req.refresh_from_db()
    assert req.status == S.CONFIRMED and req.confirmed_at
    again = client.post(path)
    assert again.status_code == 400 and b"already been used" in again.content


def test_forged_and_expired_links_change_nothing(client, cast, monkeypatch):
    req = intake.file_request(first_name="A", last_name="B", email="a@example.com",
                              organisation_ref=cast.org_x.public_id)
    token = intake.make_confirm_token(req)
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    other_nonce = signing.dumps({"d": req.public_id, "n": "guessed"}, salt=intake.CONFIRM_SALT, compress=True)
    wrong_salt = signing.dumps({"d": req.public_id, "n": req.confirm_nonce}, compress=True)
    real_time = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() - 8 * 24 * 3600)
    expired = intake.make_confirm_token(req)
    monkeypatch.setattr(signing.time, "time", real_time)
    for bad in (forged, other_nonce, wrong_salt, expired, "not-a-token"):
        response = client.post(f"/forget/confirm/{bad}/")
        assert response.status_code == 400, bad
    assert b"expired" in client.post(f"/forget/confirm/{expired}/").content
    req.refresh_from_db()
    assert req.status == S.UNCONFIRMED and req.confirmed_at is None
    assert process.advance(req.pk) == S.UNCONFIRMED


def test_invalid_form_creates_nothing(client, cast):
    response = client.post("/forget/", form_data(cast, "x", organisation_ref="acme", email="nope"))
    assert response.status_code == 400
    assert b"start with org_" in response.content
    assert not m.DeletionRequest.objects.exists()


def test_public_request_naming_another_organisations_voice_changes_nothing(cast, mail,
                                                                           django_capture_on_commit_callbacks):
    world = build_world(cast)
    # Org X's id with the alias of org Y's voice.
    req = intake.file_request(first_name="Eve", last_name="Mallory", email="eve@example.com",
                              organisation_ref=cast.org_x.public_id, voice_alias=world.y.voice.alias,
                              scope="voice_and_recordings", urgent=True)
    intake.confirm(intake.make_confirm_token(req))
    with django_capture_on_commit_callbacks(execute=True):
        assert process.advance(req.pk) == S.REJECTED
    assert m.Voice.objects.filter(pk=world.y.voice.pk).exists()
    assert m.Voice.objects.filter(organisation=cast.org_x).count() == 2
    assert m.AudioFile.objects.filter(pk=world.y.uploaded.pk).exists()
    [msg] = mail.wait_for("eve@example.com")
    assert "Nothing was deleted" in message_text(msg)


def test_unknown_organisation_id_is_accepted_but_finds_nothing(client, cast):
    response = client.post("/forget/", form_data(cast, "x", organisation_ref="org_doesnotexist"))
    assert response.status_code == 302  # no hint whether the organisation exists
    req = m.DeletionRequest.objects.get()
    assert req.organisation is None
    intake.confirm(intake.make_confirm_token(req))
    assert process.advance(req.pk) == S.REJECTED


# --- API -------------------------------------------------------------------------------------


def api_body(alias, **extra):
    return {"firstName": "Anna", "lastName": "Speaker", "email": "anna@example.com", "voiceAlias": alias,
            "scope": "voice", **extra}


def test_api_files_request_for_own_voice(client, cast, mail, django_capture_on_commit_callbacks):
    world = build_world(cast)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v2/deletion-requests", api_body(world.a.voice.alias, urgent=True),
                               content_type="application/json", headers={"x-api-key": cast.api_key_x})
    assert response.status_code == 201, response.content
    body = response.json()
    req = m.DeletionRequest.objects.get(public_id=body["requestId"])
    assert req.organisation == cast.org_x and req.status == S.UNCONFIRMED and req.urgent
    assert body["status"] == "unconfirmed" and body["deadline"]
    mail.wait_for("anna@example.com")
    got = client.get(f"/api/v2/deletion-requests/{req.public_id}", headers={"x-api-key": cast.api_key_x})
    assert got.status_code == 200 and got.json()["requestId"] == req.public_id
    # Another organisation cannot read it.
    other = client.get(f"/api/v2/deletion-requests/{req.public_id}", headers={"x-api-key": cast.api_key_y})
    assert other.status_code == 404
    assert client.get("/api/v2/deletion-requests", headers={"x-api-key": cast.api_key_y}).json()["count"] == 0


def test_api_another_organisations_voice_is_404_and_creates_nothing(client, cast):
    world = build_world(cast)
    for alias in (world.y.voice.alias, "no-such-voice"):
        response = client.post("/api/v2/deletion-requests", api_body(alias), content_type="application/json",
                               headers={"x-api-key": cast.api_key_x})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "voice_not_found"
    assert not m.DeletionRequest.objects.exists()
    assert client.post("/api/v2/deletion-requests", api_body(world.a.voice.alias),
                       content_type="application/json").status_code == 401
    assert not m.DeletionRequest.objects.exists()


def test_api_refuses_a_nul_byte_with_422_and_creates_nothing(client, cast):
    """Found by schemathesis: a NUL byte in a text field used to be a 500."""
    import json

    from voicemanager.models import DeletionRequest

    body = {"firstName": "A\x00", "lastName": "B", "email": "a@example.com", "voiceAlias": "x\x00y"}
    response = client.post("/api/v2/deletion-requests", json.dumps(body), content_type="application/json",
                           HTTP_X_API_KEY=cast.api_key_x)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert not DeletionRequest.objects.exists()
