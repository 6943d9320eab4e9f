"""Operator queue and report download: staff only, the list before deletion, decisions, audit trail."""
from __future__ import annotations

import pytest

from voicemanager import models as m
from voicemanager.deletion import intake, process, report
from voicemanager.tests.test_deletion_support import build_world, file_matched

S = m.DeletionRequest.Status
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def identified_request(cast, world, urgent=False) -> m.DeletionRequest:
    req = file_matched(cast, world.a, "voice_and_recordings", urgent=urgent)
    process.advance(req.pk)
    req.refresh_from_db()
    return req


def test_only_staff_see_the_queue_and_requests(client, cast):
    req = intake.file_request(first_name="A", last_name="B", email="a@example.com",
                              organisation_ref="Org X")
    urls = ["/ops/deletion/", f"/ops/deletion/{req.public_id}/", "/ops/deletion/new/"]
    for url in urls:
        assert client.get(url).status_code == 302  # anonymous: to the login page
    for user in (cast.admin_x, cast.member_x, cast.contractor_a, cast.outsider):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
        assert client.post(f"/ops/deletion/{req.public_id}/reject/").status_code == 404
    req.refresh_from_db()
    assert req.status == S.UNCONFIRMED
    client.force_login(cast.staff)
    page = client.get("/ops/deletion/")
    assert page.status_code == 200 and req.public_id.encode() in page.content


def test_staff_see_identified_list_approve_and_audit_trail(client, cast, django_capture_on_commit_callbacks):
    world = build_world(cast)
    req = identified_request(cast, world, urgent=True)
    assert req.status == S.IDENTIFIED
    client.force_login(cast.admin_x)
    assert client.post(f"/ops/deletion/{req.public_id}/approve/").status_code == 404
    client.force_login(cast.staff)
    queue = client.get("/ops/deletion/")
    assert b"needs approval" in queue.content and b"urgent" in queue.content
    assert req.deadline.strftime("%Y-%m-%d").encode() in queue.content
    page = client.get(f"/ops/deletion/{req.public_id}/")
    html = page.content.decode()
    assert world.a.package.file.name in html and world.a.uploaded.public_id in html
    assert world.a.stray_keys[0] in html  # found by listing the storage
    assert "Approve and delete now (no backup)" in html
    assert "deletion.identified" in html and "deletion.confirmed" in html  # audit trail
    assert world.b.voice.public_id not in html
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/ops/deletion/{req.public_id}/approve/")
    assert response.status_code == 302 and len(callbacks) == 1
    req.refresh_from_db()
    assert req.approved_by == cast.staff and req.approved_at
    assert m.AuditEvent.objects.filter(target_id=req.public_id, action="deletion.approved",
                                       actor=cast.staff, by_staff=True).exists()
    assert not client.post(f"/ops/deletion/{req.public_id}/approve/").status_code == 500
    partial = client.get(f"/ops/deletion/{req.public_id}/", headers={"HX-Request": "true"})
    assert b"<h1>" not in partial.content and b'id="state"' in partial.content


def test_staff_reject_before_deletion_changes_nothing(client, cast):
    world = build_world(cast)
    req = identified_request(cast, world)
    client.force_login(cast.staff)
    client.post(f"/ops/deletion/{req.public_id}/reject/", {"reason": "not the voice owner"})
    req.refresh_from_db()
    assert req.status == S.REJECTED and req.failure_reason == "not the voice owner"
    assert process.advance(req.pk) == S.REJECTED
    assert m.Voice.objects.filter(pk=world.a.voice.pk).exists()


def test_restore_button_and_report_download(client, cast, django_capture_on_commit_callbacks):
    world = build_world(cast)
    req = identified_request(cast, world)
    process.approve(req, cast.staff)
    assert process.advance(req.pk) == S.COMPLETED
    req.refresh_from_db()
    client.force_login(cast.staff)
    page = client.get(f"/ops/deletion/{req.public_id}/").content.decode()
    assert 'data-testid="restore"' in page and "/forget/report/" in page
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(f"/ops/deletion/{req.public_id}/restore/")
    assert len(callbacks) == 1
    assert m.AuditEvent.objects.filter(target_id=req.public_id, action="deletion.restore_requested").exists()
    client.logout()
    token = report.make_report_token(req)
    response = client.get(f"/forget/report/{token}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "is not affected by this deletion" in html and "whoever holds them must remove them" in html
    assert world.a.voice.alias in html
    assert "encrypted backup copy" in html and f"{req.backup_expires_at:%B %Y}" in html
    assert "voicemanager." not in html and "booth.Take" not in html
    download = client.get(f"/forget/report/{token}/?download=1")
    assert download["Content-Disposition"].startswith("attachment")
    assert client.get(f"/forget/report/{token[:-2]}xx/").status_code == 404
    other = intake.file_request(first_name="A", last_name="B", email="a@example.com",
                                organisation_ref="Org X")
    assert client.get(f"/forget/report/{report.make_report_token(other)}/").status_code == 404  # not completed


def test_staff_file_request_for_someone_sends_confirmation(client, cast, mail, django_capture_on_commit_callbacks):
    client.force_login(cast.staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/ops/deletion/new/", {
            "first_name": "Phone", "last_name": "Caller", "email": "caller@example.com",
            "organisation_ref": "Org X", "voice_alias": "", "scope": "voice"})
    req = m.DeletionRequest.objects.get()
    assert response.status_code == 302 and req.submitted_by == cast.staff and req.status == S.UNCONFIRMED
    mail.wait_for("caller@example.com")
