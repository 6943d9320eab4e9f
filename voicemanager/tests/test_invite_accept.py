"""Following an invitation link: account creation, and every way a link must be refused."""
from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from voicemanager.models import Invitation, RecordingTask, Speaker, User
from voicemanager.tests.factories import RecordingTaskFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def invite(cast):
    invitation = Invitation.objects.create(organisation=cast.org_x, email="talent@example.com",
                                           invited_by=cast.admin_x)
    task = RecordingTaskFactory(organisation=cast.org_x, script=cast.script_x, speaker=None, invitation=invitation,
                                contractor_email="talent@example.com", status="invited")
    return invitation, task, invitation.make_token()


SIGNUP = {"full_name": "Tala Ent", "native_languages": ["en", "de"], "password1": "a-long-pass-phrase-9",
          "password2": "a-long-pass-phrase-9"}


def test_link_shows_org_and_script_and_fixed_email(client, invite):
    _, _, token = invite
    body = client.get(f"/invite/{token}/").content.decode()
    assert "Org X" in body and "Script X" in body and "talent@example.com" in body
    assert 'name="email"' in body and "disabled" in body
    assert "Classic Arabic" in body  # native languages come from the professional-cloning list


def test_signup_creates_contractor_and_speaker_accepts_and_opens_booth(client, invite):
    invitation, task, token = invite
    response = client.post(f"/invite/{token}/", {**SIGNUP, "email": "attacker@example.com"})
    assert response.status_code == 302 and response.url == "/booth/"
    user = User.objects.get(email="talent@example.com")
    assert user.is_contractor and user.full_name == "Tala Ent" and user.check_password(SIGNUP["password1"])
    assert not User.objects.filter(email="attacker@example.com").exists()
    speaker = Speaker.objects.get(user=user)
    assert speaker.native_languages == ["en", "de"] and speaker.kind == "contractor"
    invitation.refresh_from_db()
    task.refresh_from_db()
    assert invitation.state == "accepted" and invitation.accepted_by == user
    assert task.status == "accepted" and task.speaker == speaker
    booth = client.get("/booth/")
    assert booth.status_code == 200 and "Script X" in booth.content.decode()
    # a contractor sees only the booth
    assert client.get("/vm/").status_code == 404
    assert client.get("/vm/tasks/").status_code == 404
    assert client.get(f"/vm/tasks/{task.public_id}/").status_code == 404


def test_signup_links_an_existing_unclaimed_speaker(client, invite):
    _, _, token = invite
    existing = Speaker.objects.create(email="talent@example.com", full_name="Old name")
    client.post(f"/invite/{token}/", SIGNUP)
    existing.refresh_from_db()
    assert existing.user.email == "talent@example.com" and existing.full_name == "Tala Ent"
    assert Speaker.objects.filter(email="talent@example.com").count() == 1


def test_other_pending_invitations_to_the_same_email_join_the_booth(client, cast, invite):
    _, _, token = invite
    second = Invitation.objects.create(organisation=cast.org_y, email="talent@example.com")
    other_task = RecordingTaskFactory(organisation=cast.org_y, script=cast.script_y, speaker=None,
                                      invitation=second, contractor_email="talent@example.com", status="invited")
    client.post(f"/invite/{token}/", SIGNUP)
    other_task.refresh_from_db()
    assert other_task.status == "accepted" and other_task.speaker.user.email == "talent@example.com"


def test_bad_form_shows_errors_and_changes_nothing(client, invite):
    invitation, task, token = invite
    response = client.post(f"/invite/{token}/", {**SIGNUP, "password2": "different-pass-phrase"})
    assert response.status_code == 200 and "differ" in response.content.decode()
    response = client.post(f"/invite/{token}/", {**SIGNUP, "password1": "123", "password2": "123"})
    assert response.status_code == 200
    response = client.post(f"/invite/{token}/", {**SIGNUP, "native_languages": ["xx"]})
    assert response.status_code == 200
    assert not User.objects.filter(email="talent@example.com").exists()
    invitation.refresh_from_db()
    assert invitation.state == "pending"


def assert_refused_and_unchanged(response, invitation, task, status=400, state="pending"):
    assert response.status_code == status
    assert 'data-testid="refusal"' in response.content.decode()
    invitation.refresh_from_db()
    task.refresh_from_db()
    assert invitation.state == state and invitation.accepted_at is None and task.status == "invited"


def test_tampered_token_is_refused(client, invite):
    invitation, task, token = invite
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for url_token in (tampered, "garbage", signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt="other")):
        assert_refused_and_unchanged(client.post(f"/invite/{url_token}/", SIGNUP), invitation, task)
    assert not User.objects.filter(email="talent@example.com").exists()


def test_forged_nonce_is_refused(client, invite):
    invitation, task, _ = invite
    from voicemanager.recording.invitations import TOKEN_SALT

    forged = signing.dumps({"i": invitation.pk, "n": "guess"}, salt=TOKEN_SALT, compress=True)
    assert_refused_and_unchanged(client.get(f"/invite/{forged}/"), invitation, task)


def test_expired_token_is_refused(client, invite):
    invitation, task, token = invite
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(f"/invite/{token}/", SIGNUP)
    assert_refused_and_unchanged(response, invitation, task, state="expired")
    assert "expired" in response.content.decode()
    assert not User.objects.filter(email="talent@example.com").exists()


def test_revoked_token_is_refused(client, invite):
    invitation, task, token = invite
    Invitation.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now())
    response = client.post(f"/invite/{token}/", SIGNUP)
    assert response.status_code == 400 and "revoked" in response.content.decode()
    assert not User.objects.filter(email="talent@example.com").exists()


def test_replayed_token_is_refused(client, invite):
    invitation, task, token = invite
    client.post(f"/invite/{token}/", SIGNUP)
    client.logout()
    user_count = User.objects.count()
    response = client.post(f"/invite/{token}/", {**SIGNUP, "full_name": "Replay"})
    assert response.status_code == 400 and "accepted" in response.content.decode()
    assert User.objects.count() == user_count
    assert User.objects.get(email="talent@example.com").full_name == "Tala Ent"


@pytest.mark.parametrize("who", ["admin_x", "contractor_a", "outsider"])
def test_logged_in_different_user_is_refused(client, cast, invite, who):
    invitation, task, token = invite
    client.force_login(getattr(cast, who))
    response = client.post(f"/invite/{token}/", SIGNUP)
    assert_refused_and_unchanged(response, invitation, task, status=403)
    assert "Log out" in response.content.decode()
    assert not User.objects.filter(email="talent@example.com").exists()


def test_logged_in_contractor_with_the_invited_email_accepts_in_one_click(client, cast):
    invitation = Invitation.objects.create(organisation=cast.org_x, email=cast.contractor_a.email)
    task = RecordingTaskFactory(organisation=cast.org_x, script=cast.script_x, speaker=None, invitation=invitation,
                                contractor_email=cast.contractor_a.email, status="invited")
    client.force_login(cast.contractor_a)
    token = invitation.make_token()
    assert "Add to my booth" in client.get(f"/invite/{token}/").content.decode()
    assert client.post(f"/invite/{token}/").url == "/booth/"
    task.refresh_from_db()
    assert task.status == "accepted" and task.speaker == cast.speaker_a


def test_existing_account_not_logged_in_is_asked_to_log_in(client, cast):
    invitation = Invitation.objects.create(organisation=cast.org_x, email=cast.contractor_a.email)
    body = client.get(f"/invite/{invitation.make_token()}/").content.decode()
    assert "Log in" in body and f"next=/invite/{invitation.make_token()}/" in body


def test_team_invitation_kind_is_not_handled_here(client, cast):
    invitation = Invitation.objects.create(organisation=cast.org_x, email="t@example.com", kind="team")
    response = client.get(f"/invite/{invitation.make_token()}/")
    assert response.status_code == 400
    assert RecordingTask.objects.filter(contractor_email="t@example.com").count() == 0
