"""Filing and confirming deletion requests: public form, emailed link, API. Bad input changes nothing."""
from __future__ import annotations

import time

import pytest
from django.core import signing

from e2e.services import message_text
from voicemanager import models as m
from voicemanager.deletion import intake, match, process
from voicemanager.tests.test_deletion_support import build_world

S = m.DeletionRequest.Status
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def form_data(cast, alias, **extra):
    """What a talent types: name, email, the voice's alias and the studio's name; no internal id."""
    return {"first_name": "Anna", "last_name": "Speaker", "email": "anna@example.com",
            "organisation_ref": cast.org_x.name, "voice_alias": alias, "scope": "voice_and_recordings", **extra}


def confirm_link(msg) -> str:
    text = message_text(msg)
    return next(line.strip() for line in text.splitlines() if "/forget/confirm/" in line)


def test_public_form_only_creates_unconfirmed_request_and_emails_link(client, cast, mail,
                                                                      django_capture_on_commit_callbacks):
    world = build_world(cast)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/forget/", form_data(cast, world.a.voice.alias))
    req = m.DeletionRequest.objects.get()
    assert response.status_code == 302
    token = response["Location"].removeprefix("/forget/request/").rstrip("/")
    assert intake.request_from_status_token(token) == req
    assert req.status == S.UNCONFIRMED and req.organisation is None and req.found == {} and req.matched == {}
    assert req.organisation_ref == "Org X"
    page = client.get(response["Location"])
    assert b"We have sent a confirmation link to anna@example.com" in page.content
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


def test_form_asks_for_no_internal_id(client, cast):
    html = client.get("/forget/").content.decode()
    assert "Organisation id" not in html and "org_" not in html
    for name in ("first_name", "last_name", "email", "voice_alias", "organisation_ref"):
        assert f'name="{name}"' in html
    assert "Studio or organisation (optional)" in html


def test_status_page_needs_a_valid_link(client, cast):
    req = intake.file_request(first_name="A", last_name="B", email="a@example.com")
    assert client.get(f"/forget/request/{intake.make_status_token(req)}/").status_code == 200
    assert client.get(f"/forget/request/{intake.make_status_token(req)[:-2]}xx/").status_code == 404
    assert client.get("/forget/request/not-a-token/").status_code == 404


def test_invalid_form_creates_nothing(client, cast):
    response = client.post("/forget/", form_data(cast, "x", email="nope", first_name=""))
    assert response.status_code == 400
    assert b"Enter a valid email address" in response.content
    assert not m.DeletionRequest.objects.exists()


def test_a_logged_in_talent_starts_from_the_booth_with_the_form_filled_in(client, cast, mail,
                                                                          django_capture_on_commit_callbacks):
    client.force_login(cast.contractor_a)
    booth = client.get("/booth/").content.decode()
    assert 'href="/forget/"' in booth
    html = client.get("/forget/").content.decode()
    assert 'value="Contractor"' in html and 'value="A"' in html and 'value="contractor-a@example.com"' in html
    assert 'value="Org X"' in html  # the one studio this talent records for
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/forget/", {"first_name": "Contractor", "last_name": "A", "email": "contractor-a@example.com",
                                 "organisation_ref": "Org X", "scope": "voice"})
    req = m.DeletionRequest.objects.get()
    assert req.submitted_by == cast.contractor_a and req.status == S.UNCONFIRMED
    mail.wait_for("contractor-a@example.com")  # the email confirmation is kept for booth requests too
    intake.confirm(intake.make_confirm_token(req))
    req.refresh_from_db()
    [speaker] = [c for c in match.candidates(req)["speakers"] if c.suggested]
    assert speaker.pk == cast.speaker_a.pk and "filed from this talent's booth account" in speaker.reasons


def test_a_voice_of_someone_else_is_offered_but_not_suggested_and_nothing_runs_unmatched(
        cast, mail, django_capture_on_commit_callbacks):
    world = build_world(cast)
    # Org X's name with the alias of org Y's voice, from an address no speaker has.
    req = intake.file_request(first_name="Eve", last_name="Mallory", email="eve@example.com",
                              organisation_ref=cast.org_x.name, voice_alias=world.y.voice.alias,
                              scope="voice_and_recordings", urgent=True)
    intake.confirm(intake.make_confirm_token(req))
    assert process.advance(req.pk) == S.CONFIRMED  # nothing is identified before staff match it
    req.refresh_from_db()
    cands = match.candidates(req)
    [voice] = [c for c in cands["voices"] if c.pk == world.y.voice.pk]
    assert "another email" in " ".join(voice.reasons)
    assert not [c for kind in ("speakers", "voices") for c in cands[kind] if c.suggested]
    with pytest.raises(match.MatchError):
        match.apply(req, speakers=[], voices=[], organisations=[], actor=cast.staff)
    with pytest.raises(match.MatchError):
        match.apply(req, speakers=["x"], voices=[], organisations=[], actor=cast.staff)
    with django_capture_on_commit_callbacks(execute=True):
        assert process.reject(req, cast.staff, "The details do not match the voice's owner.")
    assert m.Voice.objects.filter(pk=world.y.voice.pk).exists()
    assert m.AudioFile.objects.filter(pk=world.y.uploaded.pk).exists()
    [msg] = mail.wait_for("eve@example.com")
    assert "Nothing was deleted" in message_text(msg)


def test_a_match_with_nothing_behind_it_is_rejected_and_the_requester_told(cast, mail,
                                                                           django_capture_on_commit_callbacks):
    speaker = m.Speaker.objects.create(email="nobody@example.com", full_name="No Body")
    req = intake.file_request(first_name="No", last_name="Body", email="nobody@example.com", scope="voice")
    intake.confirm(intake.make_confirm_token(req))
    req.refresh_from_db()
    match.apply(req, speakers=[speaker.pk], voices=[], organisations=[], actor=cast.staff)
    with django_capture_on_commit_callbacks(execute=True):
        assert process.advance(req.pk) == S.REJECTED
    [msg] = mail.wait_for("nobody@example.com")
    assert "Nothing was deleted" in message_text(msg)


# --- mail that can fail ----------------------------------------------------------------------


def test_confirmation_mail_failure_waits_in_mail_not_sent_then_staff_resend(client, cast, mail, settings,
                                                                            django_capture_on_commit_callbacks):
    from e2e.services import free_port

    good_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens: the mail server is down
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/forget/", form_data(cast, "anna-voice"))
    assert response.status_code == 302  # the requester is not shown an error page over a saved request
    req = m.DeletionRequest.objects.get()
    assert req.status == S.MAIL_NOT_SENT and "Connection" in req.mail_error
    assert req.voice_alias == "anna-voice" and req.organisation_ref == "Org X"  # nothing typed is lost
    page = client.get(response["Location"]).content.decode()
    assert "We could not send the confirmation email" in page and req.public_id in page
    assert m.AuditEvent.objects.filter(target_id=req.public_id, action="deletion.mail_not_sent").exists()
    assert not mail.to("anna@example.com")

    client.force_login(cast.staff)
    queue = client.get("/ops/deletion/").content.decode()
    assert "Confirmation email not sent" in queue and "resend the email" in queue
    detail = client.get(f"/ops/deletion/{req.public_id}/").content.decode()
    assert 'data-testid="resend"' in detail and "could not be sent" in detail
    client.post(f"/ops/deletion/{req.public_id}/resend/")  # still down: kept, staff told
    req.refresh_from_db()
    assert req.status == S.MAIL_NOT_SENT
    settings.EMAIL_PORT = good_port  # the mail server is back
    response = client.post(f"/ops/deletion/{req.public_id}/resend/")
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == S.UNCONFIRMED and req.mail_error == ""
    [msg] = mail.wait_for("anna@example.com")
    link = confirm_link(msg).split("127.0.0.1:8000", 1)[-1]
    client.logout()
    assert client.post(link).status_code == 200
    req.refresh_from_db()
    assert req.status == S.CONFIRMED
    actions = list(m.AuditEvent.objects.filter(target_id=req.public_id).order_by("id").values_list("action", flat=True))
    assert actions[:5] == ["deletion.requested", "deletion.mail_not_sent", "deletion.mail_not_sent",
                           "deletion.mail_resent", "deletion.confirmed"]


def test_a_confirmation_the_mail_server_refused_is_sent_again_by_the_scheduled_job(client, cast, mail, settings,
                                                                                 django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from e2e.services import free_port
    from tasks.deletion import resend_unsent_confirmations
    from voicemanager.deletion import intake

    good_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # the mail server is down
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/forget/", form_data(cast, "anna-voice"))
    req = m.DeletionRequest.objects.get()
    assert req.status == S.MAIL_NOT_SENT
    assert resend_unsent_confirmations() == {"sent": 0, "still_failing": 0}  # not due yet: at most every 10 min
    m.DeletionRequest.objects.filter(pk=req.pk).update(mail_failed_at=timezone.now() - intake.RESEND_EVERY)
    assert resend_unsent_confirmations() == {"sent": 0, "still_failing": 1}  # still down: kept, time moved on
    req.refresh_from_db()
    assert req.status == S.MAIL_NOT_SENT and req.mail_failed_at > timezone.now() - timedelta(minutes=1)

    settings.EMAIL_PORT = good_port  # back
    m.DeletionRequest.objects.filter(pk=req.pk).update(mail_failed_at=timezone.now() - intake.RESEND_EVERY)
    assert resend_unsent_confirmations() == {"sent": 1, "still_failing": 0}
    req.refresh_from_db()
    assert req.status == S.UNCONFIRMED
    [msg] = mail.wait_for("anna@example.com")
    assert confirm_link(msg)
    assert resend_unsent_confirmations() == {"sent": 0, "still_failing": 0}  # twice: nothing more is sent
    assert len(mail.to("anna@example.com")) == 1

    old = m.DeletionRequest.objects.create(first_name="Old", last_name="Request", email="old@example.com",
                                           status=S.MAIL_NOT_SENT, mail_failed_at=timezone.now() - timedelta(hours=1))
    m.DeletionRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - intake.RESEND_FOR - timedelta(hours=1))
    assert resend_unsent_confirmations() == {"sent": 0, "still_failing": 0}  # after two days: staff only


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
