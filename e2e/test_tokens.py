"""Signed links used where they do not belong. The feature tests cover each link's own tampered / expired /
replayed / revoked / other-user cases (test_invite_accept, test_team, test_owner_consent, test_deletion_intake);
this module adds what crosses features: a token of one kind used on another kind's page, links whose target
changed (revoked by an email change, a rotated nonce), report links, and Django's password-reset tokens.
Every refusal changes nothing (the isolation walker's snapshot of every model)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client

from e2e.test_isolation import changed, snapshot


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def links(cast):
    """One live token of every kind, all for organisation X."""
    from voicemanager.consent import owner_links as owner_consent
    from voicemanager.deletion import intake
    from voicemanager.deletion.report import make_report_token
    from voicemanager.models import DeletionRequest, Invitation, Speaker

    invitation = Invitation.objects.create(organisation=cast.org_x, email="new-talent@example.com")
    team_inv = Invitation.objects.create(organisation=cast.org_x, email="new-member@example.com", kind="team",
                                         role="member")
    owner = Speaker.objects.create(kind=Speaker.Kind.VOICE_OWNER, organisation=cast.org_x, email="owner@example.com",
                                   full_name="Olga Owner")
    deletion = DeletionRequest.objects.create(first_name="Del", last_name="Ete", email="del@example.com",
                                              organisation_ref=cast.org_x.public_id, organisation=cast.org_x)
    done = DeletionRequest.objects.create(first_name="Done", last_name="Req", email="done@example.com",
                                          organisation_ref=cast.org_x.public_id, organisation=cast.org_x,
                                          status=DeletionRequest.Status.VERIFIED)
    return {
        "invite": invitation.make_token(), "join": team_inv.make_token(), "consent": owner_consent.make_token(owner),
        "forget/confirm": intake.make_confirm_token(deletion), "forget/report": make_report_token(done),
        "objects": {"invitation": invitation, "team": team_inv, "owner": owner, "deletion": deletion, "done": done},
    }


PAGES = ["invite", "join", "consent", "forget/confirm", "forget/report"]


# Every (token kind, other page) pair; invite/join share the invitation salt (their kind check is tested below).
CROSSED = [(k, p) for k in PAGES for p in PAGES if k != p and {k, p} != {"invite", "join"}]


@pytest.mark.parametrize(("kind", "page"), CROSSED)
def test_a_token_only_opens_its_own_kind_of_page(page, kind, links, client):
    before = snapshot()
    for method in ("get", "post"):
        resp = getattr(client, method)(f"/{page}/{links[kind]}/")
        assert resp.status_code in (400, 403, 404, 410), f"{kind} token on /{page}/ ({method}): {resp.status_code}"
    assert not changed(before, snapshot())


def test_invite_and_join_tokens_do_not_cross(links, client):
    """Both are Invitation tokens: the kind is checked, so a talent link does not join a team and vice versa."""
    before = snapshot()
    assert client.get(f"/join/{links['invite']}/").status_code in (400, 403, 404, 410)
    assert client.post(f"/join/{links['invite']}/", {"password1": "x" * 12, "password2": "x" * 12}).status_code \
        in (400, 403, 404, 410)
    resp = client.post(f"/invite/{links['join']}/", {"full_name": "X", "password1": "Pw-123456789",
                                                       "password2": "Pw-123456789"})
    assert resp.status_code in (400, 403, 404, 410)
    assert not changed(before, snapshot())


def test_owner_consent_link_dies_when_the_owner_email_changes(links, client):
    """Correcting a voice owner's email revokes the links sent to the old address."""
    owner = links["objects"]["owner"]
    owner.email = "corrected@example.com"
    owner.save(update_fields=["email"])
    before = snapshot()
    assert client.get(f"/consent/{links['consent']}/").status_code in (400, 403, 404, 410)
    assert client.post(f"/consent/{links['consent']}/", {"full_name": "Olga Owner", "agree": "on"}).status_code \
        in (400, 403, 404, 410)
    assert not changed(before, snapshot())


def test_deletion_confirm_token_with_a_rotated_nonce_is_refused(links, client):
    deletion = links["objects"]["deletion"]
    deletion.confirm_nonce = "rotated"
    deletion.save(update_fields=["confirm_nonce"])
    before = snapshot()
    assert client.post(f"/forget/confirm/{links['forget/confirm']}/").status_code == 400
    assert not changed(before, snapshot())
    deletion.refresh_from_db()
    assert deletion.status == "unconfirmed"


def test_deletion_confirm_token_of_a_confirmed_request_cannot_be_replayed_by_anyone(links, cast):
    from voicemanager.deletion import intake

    first = Client()
    assert first.post(f"/forget/confirm/{links['forget/confirm']}/").status_code == 200
    before = snapshot()
    for who in (None, cast.admin_y, cast.staff):
        other = Client()
        if who:
            other.force_login(who)
        assert other.post(f"/forget/confirm/{links['forget/confirm']}/").status_code == 400
    assert not changed(before, snapshot())
    with pytest.raises(intake.ConfirmError):
        intake.request_from_token(links["forget/confirm"])


def test_report_link_only_for_a_completed_request_and_not_when_expired(links, client, monkeypatch):
    from voicemanager.deletion import report

    assert client.get(f"/forget/report/{links['forget/report']}/").status_code == 404, "not completed yet"
    done = links["objects"]["done"]
    done.status = "completed"
    done.save(update_fields=["status"])
    assert client.get(f"/forget/report/{links['forget/report']}/").status_code == 200
    tampered = links["forget/report"][:-2] + ("aa" if not links["forget/report"].endswith("aa") else "bb")
    assert client.get(f"/forget/report/{tampered}/").status_code == 404
    monkeypatch.setattr(report, "REPORT_MAX_AGE", timedelta(seconds=-1))
    assert client.get(f"/forget/report/{links['forget/report']}/").status_code == 404, "expired"


def test_a_token_signed_with_another_key_is_refused(links, client, settings):
    """A link forged with a guessed SECRET_KEY (same salt, same payload) is refused everywhere."""
    from voicemanager.recording.invitations import TOKEN_SALT

    invitation = links["objects"]["invitation"]
    forged = signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=TOKEN_SALT, compress=True,
                           key="guessed-secret-key-0123456789")
    before = snapshot()
    assert client.get(f"/invite/{forged}/").status_code in (400, 403, 404, 410)
    assert not changed(before, snapshot())


def test_password_reset_token_is_bound_to_its_user_and_single_use(cast, client):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    token = default_token_generator.make_token(cast.admin_x)
    uid_x = urlsafe_base64_encode(force_bytes(cast.admin_x.pk))
    uid_y = urlsafe_base64_encode(force_bytes(cast.admin_y.pk))
    before_y = cast.admin_y.password
    resp = client.get(f"/accounts/reset/{uid_y}/{token}/", follow=True)
    assert resp.context["validlink"] is False, "X's token does not reset Y"
    cast.admin_y.refresh_from_db()
    assert cast.admin_y.password == before_y
    resp = client.get(f"/accounts/reset/{uid_x}/{token}/", follow=True)
    assert resp.context["validlink"] is True
    form_url = resp.redirect_chain[-1][0] if resp.redirect_chain else f"/accounts/reset/{uid_x}/{token}/"
    done = client.post(form_url, {"new_password1": "A-new-pass-phrase-77", "new_password2": "A-new-pass-phrase-77"})
    assert done.status_code == 302
    again = Client().get(f"/accounts/reset/{uid_x}/{token}/", follow=True)
    assert again.context["validlink"] is False, "a used reset link is dead"
