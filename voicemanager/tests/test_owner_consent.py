"""Semi-concierge consent: the admin names a voice owner, who signs and records through an emailed link."""
import hashlib
import time

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile

from e2e.services import speech_wav
from voicemanager.consent import owner_links as owner_consent
from voicemanager.consent.gate import check_consent
from voicemanager.models import AudioFile, AuditEvent, ConsentRecording, ConsentSignature, Speaker


@pytest.fixture(scope="module")
def statement_wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("consent") / "statement.wav"
    return speech_wav(path, "I am aware that recordings of my voice will be used to create a synthetic voice.")


def sign(client, path, **extra):
    data = {"typed_name": "Vera Owner", "native_languages": ["de", "en"], "agree": "on", **extra}
    return client.post(path, data, HTTP_USER_AGENT="TestBrowser/1.0", REMOTE_ADDR="203.0.113.7")


def upload(client, path, wav, **extra):
    data = wav.read_bytes()
    fields = {"audio": SimpleUploadedFile("c1.wav", data, content_type="audio/wav"), "client_id": "c1",
              "sha256": hashlib.sha256(data).hexdigest(), "kind": "consent", **extra}
    return client.post(path + "recording/", fields, HTTP_ACCEPT="application/json")


def test_voice_owner_signs_and_records_through_the_link(client, cast, named, statement_wav):
    speaker, path = named
    assert speaker.kind == Speaker.Kind.VOICE_OWNER and speaker.organisation == cast.org_x
    assert check_consent(speaker, organisation=cast.org_x)  # not yet
    page = client.get(path)
    assert page.status_code == 200 and b"Terms of Service" in page.content and b"Acceptable Use" in page.content
    assert sign(client, path).status_code == 302
    sigs = ConsentSignature.objects.filter(speaker=speaker)
    assert sigs.count() == 3
    sig = sigs.first()
    assert (sig.typed_name, sig.ip_address, sig.user_agent) == ("Vera Owner", "203.0.113.7", "TestBrowser/1.0")
    assert sig.text_hash == sig.document.text_hash and sig.document_version == sig.document.version
    speaker.refresh_from_db()
    assert speaker.native_languages == ["de", "en"]
    assert b"Record the consent statement" in client.get(path).content
    response = upload(client, path, statement_wav)
    assert response.status_code == 201, response.content
    assert response.json()["sha256"] == hashlib.sha256(statement_wav.read_bytes()).hexdigest()
    assert upload(client, path, statement_wav).status_code == 200  # same bytes again: stored once
    rec = ConsentRecording.objects.get(speaker=speaker)
    assert rec.organisation == cast.org_x and rec.audio.source == AudioFile.Source.CONSENT
    assert "Vera Owner" in rec.statement and "Org X" in rec.statement
    assert check_consent(speaker, organisation=cast.org_x) == []
    assert owner_consent.status(speaker).complete
    assert b"consent is complete" in client.get(path).content
    actions = set(AuditEvent.objects.filter(target_id=speaker.public_id).values_list("action", flat=True))
    assert {"voice_owner.named", "consent.documents_signed", "consent.recorded"} <= actions


def test_consent_of_one_org_does_not_cover_another(client, cast, named, statement_wav):
    speaker, path = named
    sign(client, path)
    upload(client, path, statement_wav)
    assert check_consent(speaker, organisation=cast.org_y)  # the recording is for org X only


def test_signing_needs_name_languages_and_agreement(client, named):
    speaker, path = named
    assert sign(client, path, agree="").status_code == 400
    assert sign(client, path, native_languages=[]).status_code == 400
    assert sign(client, path, typed_name=" ").status_code == 400
    assert not ConsentSignature.objects.filter(speaker=speaker).exists()


def test_recording_before_signing_is_refused(client, named, statement_wav):
    speaker, path = named
    response = upload(client, path, statement_wav)
    assert response.status_code == 400 and response.json()["error"]["code"] == "not_signed"
    assert not ConsentRecording.objects.filter(speaker=speaker).exists()


def test_not_audio_is_refused_and_nothing_stored(client, named, tmp_path):
    speaker, path = named
    sign(client, path)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"%PDF-1.4 this is not audio" * 50)
    response = upload(client, path, junk)
    assert response.status_code == 400 and response.json()["error"]["code"] == "not_audio"
    assert not ConsentRecording.objects.filter(speaker=speaker).exists()
    assert not AudioFile.objects.filter(speaker=speaker).exists()


def test_tampered_link_is_refused(client, named, statement_wav):
    speaker, path = named
    token = path.split("/")[2]
    tampered = f"/consent/{token[:-2]}{'AB' if token[-2:] != 'AB' else 'CD'}/"
    assert client.get(tampered).status_code == 410
    assert sign(client, tampered).status_code == 410
    assert upload(client, tampered, statement_wav).status_code == 410
    assert not ConsentSignature.objects.filter(speaker=speaker).exists()


def test_expired_link_is_refused(client, named, settings):
    speaker, _ = named

    class EightDaysAgo(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 8 * 86400)

    settings.OWNER_CONSENT_LINK_DAYS = 7
    old = EightDaysAgo(salt=owner_consent.TOKEN_SALT).sign_object(
        {"s": speaker.pk, "o": speaker.organisation_id, "e": speaker.email}, compress=True)
    response = client.get(f"/consent/{old}/")
    assert response.status_code == 410 and b"expired" in response.content
    assert sign(client, f"/consent/{old}/").status_code == 410
    assert not ConsentSignature.objects.filter(speaker=speaker).exists()


def test_link_of_a_contractor_speaker_or_another_salt_is_refused(client, cast):
    forged = signing.dumps({"s": cast.speaker_a.pk, "o": cast.org_x.pk, "e": cast.speaker_a.email},
                           salt=owner_consent.TOKEN_SALT, compress=True)
    assert client.get(f"/consent/{forged}/").status_code == 410  # not a voice owner
    other = signing.dumps({"s": 1, "o": 1, "e": "x"}, salt="voicemanager.invitation", compress=True)
    assert client.get(f"/consent/{other}/").status_code == 410


# --- the admin's side ---------------------------------------------------------------------------


def test_admin_sees_consent_state(client, cast, named, statement_wav):
    speaker, path = named
    client.force_login(cast.admin_x)
    page = client.get(f"/vm/voice-owners/{speaker.public_id}/").content.decode()
    assert "waiting for the voice owner" in page and "missing" in page
    client.logout()
    sign(client, path)
    upload(client, path, statement_wav)
    client.force_login(cast.admin_x)
    page = client.get("/vm/voice-owners/").content.decode()
    assert "Vera Owner" in page and "complete" in page
    rec = ConsentRecording.objects.get(speaker=speaker)
    audio = client.get(f"/vm/voice-owners/{speaker.public_id}/consent/{rec.pk}/audio/")
    assert audio.status_code == 200 and b"".join(audio.streaming_content)[:4] == b"RIFF"


@pytest.mark.parametrize("who,status", [("admin_y", 404), ("outsider", 404), ("contractor_a", 404),
                                        ("member_x", 200)])
def test_who_sees_a_voice_owner(client, cast, named, who, status):
    speaker, _ = named
    client.force_login(getattr(cast, who))
    assert client.get(f"/vm/voice-owners/{speaker.public_id}/").status_code == status
    if who == "admin_y":
        assert b"Vera Owner" not in client.get("/vm/voice-owners/").content


def test_members_cannot_name_voice_owners_or_resend(client, cast, named):
    speaker, _ = named
    client.force_login(cast.member_x)
    response = client.post("/vm/voice-owners/", {"organisation": cast.org_x.public_id, "full_name": "X",
                                                 "email": "x@example.com"})
    assert response.status_code == 403
    assert client.post(f"/vm/voice-owners/{speaker.public_id}/resend/").status_code == 403
    assert not Speaker.objects.filter(email="x@example.com").exists()


def test_naming_a_voice_owner_survives_a_mail_server_failure(cast, settings, caplog,
                                                             django_capture_on_commit_callbacks):
    from e2e.services import free_port
    from voicemanager.consent import owner_links as owner_consent

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    with caplog.at_level("ERROR", logger="voicemanager.core.emails"), django_capture_on_commit_callbacks(execute=True):
        speaker = owner_consent.name_voice_owner(cast.org_x, full_name="Dana Down", email="dana@example.com",
                                                 actor=cast.admin_x)
    assert speaker.pk and "could not be sent" in caplog.text
