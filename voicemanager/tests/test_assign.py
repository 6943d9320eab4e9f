"""Assigning recording tasks (invite by email) and the task actions: resend, revoke, cancel, due date."""
import re
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from django.utils import timezone

from e2e.services import message_html, message_text
from voicemanager.models import AuditEvent, Invitation, InvitationError, RecordingTask
from voicemanager.recording.assignments import default_file_path, validate_file_path


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def site(settings):
    settings.SITE_URL = "http://vm.example"


def assign(client, cast, captured, **overrides):
    data = {"script": cast.script_x.public_id, "organisation": cast.org_x.public_id,
            "contractor_email": "New.Talent@Example.com", "file_path": "",
            "due_date": (timezone.localdate() + timedelta(days=10)).isoformat(), **overrides}
    with captured(execute=True):
        return client.post("/vm/tasks/invite/", data)


def subject(msg):
    return str(make_header(decode_header(msg["Subject"])))


def link_in(msg):
    return re.search(r"http://vm\.example/invite/([^/\s]+)/", message_text(msg)).group(1)


def test_admin_assigns_task_and_invitation_email_goes_out(client, cast, mail, site,
                                                         django_capture_on_commit_callbacks):
    client.force_login(cast.admin_x)
    response = assign(client, cast, django_capture_on_commit_callbacks)
    task = RecordingTask.objects.get(contractor_email="new.talent@example.com")
    assert response.status_code == 302 and response.url == f"/vm/tasks/{task.public_id}/"
    assert task.status == "invited" and task.organisation == cast.org_x and task.speaker is None
    assert task.file_path == "recordings/script-x/new-talent"
    invitation = task.invitation
    assert invitation.kind == "contractor" and invitation.invited_by == cast.admin_x
    [msg] = mail.wait_for("new.talent@example.com")
    assert "Org X" in subject(msg) and "Script X" in subject(msg)
    text, html = message_text(msg), message_html(msg)
    assert task.due_date.strftime("%-d %B %Y") in text
    token = link_in(msg)
    assert f"/invite/{token}/" in html and "Org X" in html
    assert Invitation.from_token(token) == invitation
    invitation.refresh_from_db()
    assert invitation.sent_at is not None
    assert AuditEvent.objects.filter(action="task.assigned", target_id=task.public_id).exists()


@pytest.mark.parametrize("path", ["../etc", "a/../b", "/abs/path", "a//b", "C:/x", "a\\b", "bad*chars", "./x"])
def test_unsafe_file_paths_are_refused_and_nothing_is_created(client, cast, path,
                                                             django_capture_on_commit_callbacks):
    client.force_login(cast.admin_x)
    response = assign(client, cast, django_capture_on_commit_callbacks, file_path=path)
    assert response.status_code == 200 and response.context["form"].errors.get("file_path")
    assert not RecordingTask.objects.filter(contractor_email="new.talent@example.com").exists()
    assert not Invitation.objects.exists()


def test_file_path_helpers():
    assert validate_file_path(" voices/Anna K/take-1_x ") == "voices/Anna K/take-1_x"
    assert validate_file_path("voices/anna/") == "voices/anna"
    assert default_file_path(None, "x.y@z.com") == "recordings/script/x-y"


def test_due_date_in_the_past_is_refused(client, cast, django_capture_on_commit_callbacks):
    client.force_login(cast.admin_x)
    response = assign(client, cast, django_capture_on_commit_callbacks,
                      due_date=(timezone.localdate() - timedelta(days=1)).isoformat())
    assert "past" in str(response.context["form"].errors["due_date"])
    assert not Invitation.objects.exists()


def test_due_date_is_optional(client, cast, mail, django_capture_on_commit_callbacks):
    client.force_login(cast.admin_x)
    assign(client, cast, django_capture_on_commit_callbacks, due_date="")
    assert RecordingTask.objects.get(contractor_email="new.talent@example.com").due_date is None


def test_admin_cannot_assign_other_orgs_script_or_save_to_other_org(client, cast,
                                                                   django_capture_on_commit_callbacks):
    client.force_login(cast.admin_x)
    response = assign(client, cast, django_capture_on_commit_callbacks, script=cast.script_y.public_id)
    assert response.context["form"].errors.get("script")
    response = assign(client, cast, django_capture_on_commit_callbacks, organisation=cast.org_y.public_id)
    assert response.context["form"].errors.get("organisation")
    assert not Invitation.objects.exists()
    body = client.get("/vm/tasks/invite/").content.decode()
    assert cast.script_x.public_id in body and cast.script_y.public_id not in body


def test_member_contractor_and_anonymous_cannot_assign(client, cast, django_capture_on_commit_callbacks):
    assert client.get("/vm/tasks/invite/").status_code == 302
    client.force_login(cast.member_x)
    assert client.get("/vm/tasks/invite/").status_code == 403
    assert assign(client, cast, django_capture_on_commit_callbacks).status_code == 403
    client.force_login(cast.contractor_a)
    assert client.get("/vm/tasks/invite/").status_code == 404
    assert not Invitation.objects.exists()


def test_existing_contractor_gets_task_in_booth_and_a_plain_notice(client, cast, mail, site,
                                                                   django_capture_on_commit_callbacks):
    client.force_login(cast.admin_x)
    assign(client, cast, django_capture_on_commit_callbacks, contractor_email="Contractor-A@example.com")
    task = RecordingTask.objects.filter(contractor_email="contractor-a@example.com").latest("created_at")
    assert task.status == "accepted" and task.speaker == cast.speaker_a and task.invitation is None
    [msg] = mail.wait_for("contractor-a@example.com")
    assert "/invite/" not in message_text(msg) and "http://vm.example/booth/" in message_text(msg)
    assert "Script X" in subject(msg)
    client.force_login(cast.contractor_a)
    assert client.get("/booth/").content.decode().count("Script X") >= 2


def test_team_account_email_gets_the_answer_any_new_email_gets(client, cast, django_capture_on_commit_callbacks):
    """The form does not tell what kind of account an email has: the team member gets an invitation
    (which a team account cannot accept) like any address without an account."""
    client.force_login(cast.admin_x)
    response = assign(client, cast, django_capture_on_commit_callbacks, contractor_email="member-x@example.com")
    assert response.status_code == 302 and "team account" not in response.content.decode()
    task = RecordingTask.objects.get(contractor_email="member-x@example.com")
    assert task.status == "invited" and task.invitation is not None and task.speaker is None


def test_default_path_suggestion(client, cast):
    client.force_login(cast.admin_x)
    response = client.get("/vm/tasks/invite/path", {"script": cast.script_x.public_id,
                                                    "contractor_email": "anna@example.com"})
    assert "recordings/script-x/anna" in response.content.decode()


@pytest.fixture
def invited(client, cast, mail, site, django_capture_on_commit_callbacks):
    client.force_login(cast.admin_x)
    assign(client, cast, django_capture_on_commit_callbacks)
    task = RecordingTask.objects.get(contractor_email="new.talent@example.com")
    [msg] = mail.wait_for("new.talent@example.com")
    return task, link_in(msg)


def test_resend_rotates_the_link(client, cast, mail, invited, django_capture_on_commit_callbacks):
    task, old_token = invited
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/vm/tasks/{task.public_id}/resend")
    assert response.status_code == 302
    msgs = mail.wait_for("new.talent@example.com", count=2)
    new_token = link_in(msgs[-1])
    assert new_token != old_token
    with pytest.raises(InvitationError):
        Invitation.from_token(old_token)
    assert Invitation.from_token(new_token) == task.invitation
    assert client.get(f"/invite/{old_token}/").status_code == 400
    assert AuditEvent.objects.filter(action="invitation.resent").exists()


def test_revoke_kills_the_link_and_cancels_the_waiting_task(client, cast, invited):
    task, token = invited
    client.post(f"/vm/tasks/{task.public_id}/revoke")
    task.refresh_from_db()
    assert task.status == "cancelled" and task.invitation.state == "revoked"
    with pytest.raises(InvitationError, match="revoked"):
        Invitation.from_token(token)
    assert AuditEvent.objects.filter(action="invitation.revoked").exists()
    response = client.post(f"/vm/tasks/{task.public_id}/resend", follow=True)
    assert "cancelled" in response.content.decode()


def test_cancel_task_revokes_its_pending_invitation(client, cast, invited):
    task, token = invited
    client.post(f"/vm/tasks/{task.public_id}/cancel")
    task.refresh_from_db()
    assert task.status == "cancelled" and task.cancelled_at and task.invitation.state == "revoked"
    assert client.get(f"/invite/{token}/").status_code == 400
    assert AuditEvent.objects.filter(action="task.cancelled", target_id=task.public_id).exists()


def test_cancelled_task_leaves_the_contractors_booth(client, cast):
    client.force_login(cast.admin_x)
    client.post(f"/vm/tasks/{cast.task_a.public_id}/cancel")
    client.force_login(cast.contractor_a)
    assert cast.task_a.public_id not in client.get("/booth/").content.decode()


def test_extend_due_date_rearms_reminders_and_refuses_the_past(client, cast):
    RecordingTask.objects.filter(pk=cast.task_a.pk).update(
        due_date=timezone.localdate(), contractor_reminded_at=timezone.now(), admin_overdue_notified_at=timezone.now())
    client.force_login(cast.admin_x)
    new_due = timezone.localdate() + timedelta(days=7)
    client.post(f"/vm/tasks/{cast.task_a.public_id}/due-date", {"due_date": new_due.isoformat()})
    cast.task_a.refresh_from_db()
    assert cast.task_a.due_date == new_due
    assert cast.task_a.contractor_reminded_at is None and cast.task_a.admin_overdue_notified_at is None
    client.post(f"/vm/tasks/{cast.task_a.public_id}/due-date",
                {"due_date": (timezone.localdate() - timedelta(days=3)).isoformat()})
    cast.task_a.refresh_from_db()
    assert cast.task_a.due_date == new_due


@pytest.mark.parametrize("action", ["resend", "revoke", "cancel", "due-date"])
def test_member_and_other_admin_cannot_act_on_a_task(client, cast, action):
    url = f"/vm/tasks/{cast.task_a.public_id}/{action}"
    client.force_login(cast.member_x)
    assert client.post(url, {"due_date": ""}).status_code == 403
    client.force_login(cast.admin_y)
    assert client.post(url, {"due_date": ""}).status_code == 404
    client.force_login(cast.contractor_a)
    assert client.post(url, {"due_date": ""}).status_code == 404
    cast.task_a.refresh_from_db()
    assert cast.task_a.status == "accepted"
