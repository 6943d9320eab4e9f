"""Team: invitations for members and admins, /join/<token>/, role rules and last-admin protection."""
import re
import threading

import pytest
from django.db import connection

from e2e.services import message_text
from voicemanager.accounts import team
from voicemanager.models import AuditEvent, Invitation, Membership, User


def join_path(msg) -> str:
    link = re.search(r"https?://\S+/join/\S+/", message_text(msg)).group(0)
    return "/" + link.split("/", 3)[3]


@pytest.fixture
def invite(client, cast, django_capture_on_commit_callbacks):
    """Post the invite form as admin X; the email goes out on commit, as in production."""

    def post(email="new@example.com", role="member"):
        client.force_login(cast.admin_x)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/vm/team/invite/", {"organisation": cast.org_x.public_id, "email": email,
                                                    "role": role})

    return post


def test_invite_page_offers_team_member_and_voice_talent(client, cast):
    client.force_login(cast.admin_x)
    page = client.get("/vm/team/invite/").content.decode()
    assert "A team member" in page and "A user to record their voice" in page and "/vm/tasks/invite/" in page


def test_admin_invites_a_member_who_creates_an_account_and_joins(client, cast, mail, invite):
    assert invite("New.Person@example.com", "member").status_code == 302
    [msg] = mail.wait_for("new.person@example.com")
    assert "Org X" in msg["Subject"]
    path = join_path(msg)
    client.logout()
    page = client.get(path)
    assert page.status_code == 200 and b"Create account and join" in page.content
    response = client.post(path, {"full_name": "New Person", "password1": "Sturdy-pass-991",
                                  "password2": "Sturdy-pass-991"})
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert user.kind == User.Kind.TEAM
    assert Membership.objects.get(user=user, organisation=cast.org_x).role == "member"
    assert client.get(f"/vm/orgs/{cast.org_x.public_id}/").status_code == 200  # logged in
    # single use
    client.logout()
    assert client.get(path).status_code == 410


def test_existing_user_logs_in_and_joins_as_admin(client, cast, mail, invite):
    invite("admin-y@example.com", "admin")
    path = join_path(mail.wait_for("admin-y@example.com")[0])
    client.logout()
    assert b"Log in to accept" in client.get(path).content
    client.force_login(cast.admin_y)
    assert client.post(path).status_code == 302
    assert Membership.objects.get(user=cast.admin_y, organisation=cast.org_x).role == "admin"
    assert AuditEvent.objects.filter(action="team.joined", organisation=cast.org_x).exists()


def test_someone_else_logged_in_cannot_use_the_link(client, cast, mail, invite):
    invite("invitee@example.com")
    path = join_path(mail.wait_for("invitee@example.com")[0])
    client.force_login(cast.outsider)
    assert client.post(path).status_code == 403
    assert not Membership.objects.filter(user=cast.outsider, organisation=cast.org_x).exists()


def test_tampered_expired_and_resent_team_links_are_refused(client, cast, mail, invite,
                                                           django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    invite("t@example.com")
    path = join_path(mail.wait_for("t@example.com")[0])
    client.logout()
    assert client.get(path[:-3] + "xx/").status_code == 410
    inv = Invitation.objects.get(email="t@example.com")
    Invitation.objects.filter(pk=inv.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert b"expired" in client.get(path).content
    Invitation.objects.filter(pk=inv.pk).update(expires_at=timezone.now() + timedelta(days=1))
    mail.clear()
    client.force_login(cast.admin_x)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/vm/orgs/{cast.org_x.public_id}/invitations/{inv.pk}/resend/")
    new_path = join_path(mail.wait_for("t@example.com")[0])
    client.logout()
    assert client.get(path).status_code == 410  # the old link died
    assert client.get(new_path).status_code == 200


def test_contractor_invitation_link_is_not_a_team_link(client, cast):
    inv = Invitation.objects.create(organisation=cast.org_x, email="c@example.com", kind=Invitation.Kind.CONTRACTOR)
    assert client.get(f"/join/{inv.make_token()}/").status_code == 410


@pytest.mark.parametrize("who,status", [("member_x", 403), ("admin_y", 200), ("contractor_a", 404)])
def test_only_admins_of_the_org_invite(client, cast, who, status):
    client.force_login(getattr(cast, who))
    response = client.post("/vm/team/invite/", {"organisation": cast.org_x.public_id, "email": "z@example.com",
                                                "role": "admin"})
    assert response.status_code == status  # admin_y: org X is not among the choices → form error, 200
    assert not Invitation.objects.filter(email="z@example.com").exists()


def test_cannot_invite_an_existing_member_or_a_contractor_account(cast):
    with pytest.raises(team.TeamError):
        team.invite_member(cast.org_x, "member-x@example.com", "admin", cast.admin_x)
    with pytest.raises(team.TeamError):
        team.invite_member(cast.org_x, "contractor-a@example.com", "member", cast.admin_x)
    with pytest.raises(team.TeamError):
        team.invite_member(cast.org_x, "ok@example.com", "owner", cast.admin_x)


# --- roles -------------------------------------------------------------------------------------


def ms(cast, user):
    return Membership.objects.get(user=user, organisation=cast.org_x)


def test_admin_promotes_and_demotes_a_member(client, cast):
    client.force_login(cast.admin_x)
    url = f"/vm/orgs/{cast.org_x.public_id}/members/{ms(cast, cast.member_x).pk}/role/"
    client.post(url, {"role": "admin"})
    assert ms(cast, cast.member_x).role == "admin"
    client.post(url, {"role": "member"})
    assert ms(cast, cast.member_x).role == "member"
    assert AuditEvent.objects.filter(action="team.role_changed").count() == 2


def test_member_cannot_change_roles_or_remove(client, cast):
    client.force_login(cast.member_x)
    admin_ms = ms(cast, cast.admin_x)
    assert client.post(f"/vm/orgs/{cast.org_x.public_id}/members/{admin_ms.pk}/role/",
                       {"role": "member"}).status_code == 403
    assert client.post(f"/vm/orgs/{cast.org_x.public_id}/members/{admin_ms.pk}/remove/").status_code == 403
    assert ms(cast, cast.admin_x).role == "admin"


def test_other_orgs_admin_cannot_touch_members(client, cast):
    client.force_login(cast.admin_y)
    member = ms(cast, cast.member_x)
    assert client.post(f"/vm/orgs/{cast.org_x.public_id}/members/{member.pk}/remove/").status_code == 404
    # a membership of org X addressed through org Y is not found either
    assert client.post(f"/vm/orgs/{cast.org_y.public_id}/members/{member.pk}/remove/").status_code == 404
    assert Membership.objects.filter(pk=member.pk).exists()


def test_admin_removes_a_member(client, cast):
    client.force_login(cast.admin_x)
    member = ms(cast, cast.member_x)
    response = client.post(f"/vm/orgs/{cast.org_x.public_id}/members/{member.pk}/remove/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b'id="members"' in response.content
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert AuditEvent.objects.get(action="team.member_removed").details["email"] == "member-x@example.com"


def test_last_admin_cannot_be_removed_or_demoted(client, cast):
    client.force_login(cast.admin_x)
    admin = ms(cast, cast.admin_x)
    response = client.post(f"/vm/orgs/{cast.org_x.public_id}/members/{admin.pk}/role/", {"role": "member"},
                           follow=True)
    assert b"last admin" in response.content
    client.post(f"/vm/orgs/{cast.org_x.public_id}/members/{admin.pk}/remove/")
    assert ms(cast, cast.admin_x).role == "admin"
    with pytest.raises(team.TeamError):
        team.remove_member(admin, cast.admin_x)
    with pytest.raises(team.TeamError):
        team.change_role(admin, "member", cast.admin_x)


def test_with_two_admins_one_can_step_down(cast):
    team.change_role(ms(cast, cast.member_x), "admin", cast.admin_x)
    team.change_role(ms(cast, cast.admin_x), "member", cast.admin_x)
    with pytest.raises(team.TeamError):
        team.change_role(ms(cast, cast.member_x), "member", cast.member_x)


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin(transactional_db):
    from voicemanager.tests.factories import MembershipFactory, OrganisationFactory

    org = OrganisationFactory()
    a = MembershipFactory(organisation=org, role="admin")
    b = MembershipFactory(organisation=org, role="admin")
    barrier = threading.Barrier(2)
    outcomes = []

    def demote(membership):
        try:
            barrier.wait(timeout=10)
            team.change_role(membership, "member", None)
            outcomes.append("ok")
        except team.TeamError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=demote, args=(m,)) for m in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused"]
    assert Membership.objects.filter(organisation=org, role="admin").count() == 1


def test_member_sees_the_team_but_no_admin_controls(client, cast):
    client.force_login(cast.member_x)
    page = client.get(f"/vm/orgs/{cast.org_x.public_id}/").content.decode()
    assert "admin-x@example.com" in page
    assert "Make admin" not in page and "Remove" not in page and "Invite new users" not in page
    assert client.get("/vm/team/invite/").status_code == 403


def test_a_mail_server_failure_keeps_the_invitation_and_says_nothing_broke(client, cast, invite, settings, caplog):
    """The invitation is committed before the mail goes out: a dead SMTP server is logged, the admin can
    resend, and the page does not turn into an error over rows that are saved."""
    from e2e.services import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    with caplog.at_level("ERROR", logger="voicemanager.core.emails"):
        assert invite("down@example.com", "member").status_code == 302
    assert Invitation.objects.filter(email="down@example.com", organisation=cast.org_x).exists()
    assert "could not be sent" in caplog.text
