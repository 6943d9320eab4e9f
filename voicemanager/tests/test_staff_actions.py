"""Managed service: staff act for an organisation, and the audit log says it was staff."""
import pytest

from voicemanager.models import AuditEvent, Script

CLIENT_TEXT = "Welcome to our store.\n\nPlease hold, your call matters to us.\n\n\nGoodbye and thank you."


def test_staff_creates_a_script_from_client_text(client, cast):
    client.force_login(cast.staff)
    assert client.get(f"/ops/orgs/{cast.org_x.public_id}/scripts/new/").status_code == 200
    response = client.post(f"/ops/orgs/{cast.org_x.public_id}/scripts/new/",
                           {"title": "Client IVR", "language": "en", "split": "blank", "text": CLIENT_TEXT})
    assert response.status_code == 302
    script = Script.objects.get(title="Client IVR")
    assert script.organisation == cast.org_x and script.created_by_staff and script.created_by == cast.staff
    assert list(script.sections.values_list("text", flat=True)) == [
        "Welcome to our store.", "Please hold, your call matters to us.", "Goodbye and thank you."]
    event = AuditEvent.objects.get(action="script.created", target_id=script.public_id)
    assert event.by_staff and event.actor_label == "staff:staff@example.com" and event.organisation == cast.org_x


def test_empty_client_text_creates_nothing(client, cast):
    client.force_login(cast.staff)
    response = client.post(f"/ops/orgs/{cast.org_x.public_id}/scripts/new/",
                           {"title": "Empty", "language": "en", "split": "blank", "text": "  \n\n  "})
    assert response.status_code == 400
    assert not Script.objects.filter(title="Empty").exists()


def test_staff_sees_the_orgs_tasks_and_the_visit_is_audited(client, cast):
    client.force_login(cast.staff)
    page = client.get(f"/ops/orgs/{cast.org_x.public_id}/").content.decode()
    assert cast.task_a.public_id in page and cast.task_b.public_id in page
    assert cast.task_y.public_id not in page
    event = AuditEvent.objects.get(action="staff.org_tasks_viewed")
    assert event.by_staff and event.organisation == cast.org_x
    assert "Org Y" in client.get("/ops/orgs/").content.decode()


def test_admin_actions_are_not_marked_as_staff(client, cast):
    client.force_login(cast.admin_x)
    client.post(f"/vm/orgs/{cast.org_x.public_id}/members/"
                f"{cast.org_x.memberships.get(user=cast.member_x).pk}/role/", {"role": "admin"})
    event = AuditEvent.objects.get(action="team.role_changed")
    assert not event.by_staff and event.actor_label == "user:admin-x@example.com"


def test_staff_team_change_is_marked_as_staff(client, cast):
    client.force_login(cast.staff)
    membership = cast.org_x.memberships.get(user=cast.member_x)
    client.post(f"/vm/orgs/{cast.org_x.public_id}/members/{membership.pk}/remove/")
    assert AuditEvent.objects.get(action="team.member_removed").by_staff


@pytest.mark.parametrize("who", ["admin_x", "member_x", "outsider", "contractor_a"])
def test_only_staff_open_the_managed_service_pages(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get("/ops/orgs/").status_code == 404
    assert client.get(f"/ops/orgs/{cast.org_x.public_id}/").status_code == 404
    response = client.post(f"/ops/orgs/{cast.org_x.public_id}/scripts/new/",
                           {"title": "Sneaky", "language": "en", "split": "blank", "text": "Hello."})
    assert response.status_code == 404
    assert not Script.objects.filter(title="Sneaky").exists()


def test_anonymous_is_sent_to_login_from_ops(client, cast):
    response = client.get("/ops/orgs/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
