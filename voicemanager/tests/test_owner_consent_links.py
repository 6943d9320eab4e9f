"""Owner-consent links carry a nonce: a resend supersedes every earlier link (410), the newest one works."""
import time

from django.core import signing

from voicemanager.consent import owner_links as owner_consent
from voicemanager.models import AuditEvent, ConsentSignature, Speaker
from voicemanager.tests.conftest import consent_link_in


def sign(client, path):
    return client.post(path, {"typed_name": "Vera Owner", "native_languages": ["en"], "agree": "on"})


def resend(client, cast, mail, speaker) -> str:
    client.force_login(cast.admin_x)
    assert client.post(f"/vm/voice-owners/{speaker.public_id}/resend/").status_code == 302
    client.logout()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        messages = mail.wait_for("vera@example.com")
        if len(messages) >= 2:
            return consent_link_in(messages[-1])
        time.sleep(0.1)
    raise AssertionError("the resent link never arrived")


def test_resend_kills_the_old_link_and_the_new_one_works(client, cast, mail, named):
    speaker, old = named
    assert client.get(old).status_code == 200
    new = resend(client, cast, mail, speaker)
    assert new != old
    refused = client.get(old)
    assert refused.status_code == 410 and b"replaced by a newer one" in refused.content
    assert sign(client, old).status_code == 410
    recording = client.post(old + "recording/", {}, HTTP_ACCEPT="application/json")
    assert recording.status_code == 410 and recording.json()["error"]["code"] == "link_invalid"
    assert not ConsentSignature.objects.filter(speaker=speaker).exists()
    assert client.get(new).status_code == 200
    assert sign(client, new).status_code in (200, 302)
    assert ConsentSignature.objects.filter(speaker=speaker).exists()
    assert AuditEvent.objects.filter(action="voice_owner.consent_link_sent", target_id=speaker.public_id).count() == 2


def test_naming_the_same_owner_again_also_supersedes_the_link(client, cast, mail, named,
                                                              django_capture_on_commit_callbacks):
    speaker, old = named
    client.force_login(cast.admin_x)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/vm/voice-owners/", {"organisation": cast.org_x.public_id, "full_name": "Vera Owner",
                                          "email": "vera@example.com"})
    client.logout()
    assert Speaker.objects.filter(email="vera@example.com").count() == 1
    assert client.get(old).status_code == 410


def test_a_signed_token_with_a_wrong_or_missing_nonce_is_refused(client, named):
    speaker, path = named
    speaker.refresh_from_db()
    assert speaker.consent_link_nonce and speaker.consent_link_nonce in signing.loads(
        path.split("/")[2], salt=owner_consent.TOKEN_SALT)["n"]
    base = {"s": speaker.pk, "o": speaker.organisation_id, "e": speaker.email}
    for extra in ({}, {"n": ""}, {"n": "guess"}, {"n": speaker.consent_link_nonce + "x"}):
        token = signing.dumps({**base, **extra}, salt=owner_consent.TOKEN_SALT, compress=True)
        assert client.get(f"/consent/{token}/").status_code == 410, extra
        assert sign(client, f"/consent/{token}/").status_code == 410
    assert not ConsentSignature.objects.filter(speaker=speaker).exists()


def test_a_current_link_past_its_age_is_still_refused_as_expired(client, named, settings):
    speaker, _ = named
    speaker.refresh_from_db()

    class EightDaysAgo(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 8 * 86400)

    settings.OWNER_CONSENT_LINK_DAYS = 7
    old = EightDaysAgo(salt=owner_consent.TOKEN_SALT).sign_object(
        {"s": speaker.pk, "o": speaker.organisation_id, "e": speaker.email, "n": speaker.consent_link_nonce},
        compress=True)
    response = client.get(f"/consent/{old}/")
    assert response.status_code == 410 and b"expired" in response.content


def test_other_org_admin_cannot_resend_and_rotate(client, cast, named):
    speaker, path = named
    client.force_login(cast.admin_y)
    assert client.post(f"/vm/voice-owners/{speaker.public_id}/resend/").status_code == 404
    client.logout()
    assert client.get(path).status_code == 200
