"""Screening: after the first N sections recording pauses until an admin approves the setup; both sides emailed."""
from __future__ import annotations

from booth.tests.helpers import form, give_consent, login, tone_wav
from e2e.services import message_text
from voicemanager.models import AuditEvent, RecordingTask
from voicemanager.tests.test_reviews import record_and_submit


def upload(booth, task, position):
    section = task.script.sections.get(position=position)
    return booth.post(f"/booth/tasks/{task.public_id}/sections/{section.pk}/takes/", form(tone_wav(1.5)))


def test_recording_pauses_after_n_sections_until_the_admin_approves_the_setup(
        cast, mail, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "http://vm.test"
    task = cast.task_a
    admin = login(cast.admin_x)
    assert admin.post(f"/vm/tasks/{task.public_id}/screening", {"enabled": "1", "sections": "2"}).status_code == 302
    task.refresh_from_db()
    assert task.screening_sections == 2
    booth = login(cast.contractor_a)
    give_consent(booth, task)

    record_and_submit(booth, task, 1)
    with django_capture_on_commit_callbacks(execute=True):
        record_and_submit(booth, task, 2)
    task.refresh_from_db()
    assert task.screening_waiting
    [to_admin] = mail.wait_for("admin-x@example.com")
    assert "recording is paused" in to_admin["Subject"] and f"/vm/tasks/{task.public_id}/" in message_text(to_admin)
    [to_talent] = mail.wait_for("contractor-a@example.com")
    assert "being checked" in to_talent["Subject"]

    # Paused: a new section is refused with a clear message and nothing stored; the first ones may be redone.
    refused = upload(booth, task, 3)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "screening"
    assert "checks your setup" in refused.json()["error"]["message"]
    assert task.takes.filter(section__position=3).count() == 0
    page = booth.get(f"/booth/tasks/{task.public_id}/?s=3").content.decode()
    assert 'data-testid="screening-paused"' in page and 'data-editable="0"' in page
    assert upload(booth, task, 1).status_code == 201
    assert 'data-testid="screening"' in admin.get(f"/vm/tasks/{task.public_id}/").content.decode()

    # Only the organisation's admin releases it.
    assert login(cast.admin_y).post(f"/vm/tasks/{task.public_id}/screening/release").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        r = admin.post(f"/vm/tasks/{task.public_id}/screening/release", {"note": "Lovely level, keep it."})
    assert r.status_code == 302
    task.refresh_from_db()
    assert not task.screening_waiting and task.screening_released_by == cast.admin_x
    released = mail.wait_for("contractor-a@example.com", count=2)[-1]
    assert "approved" in released["Subject"] and "Lovely level, keep it." in message_text(released)
    assert "1 section" in message_text(released)
    assert AuditEvent.objects.filter(action="screening.released", target_id=task.public_id).exists()

    record_and_submit(booth, task, 3)
    task.refresh_from_db()
    assert task.status == RecordingTask.Status.SUBMITTED


def test_screening_setting_refuses_bad_input_and_changes_nothing(cast):
    task = cast.task_a
    admin = login(cast.admin_x)
    for bad in ("ten", "0", "-3"):
        admin.post(f"/vm/tasks/{task.public_id}/screening", {"enabled": "1", "sections": bad})
        task.refresh_from_db()
        assert task.screening_sections is None
    assert login(cast.member_x).post(f"/vm/tasks/{task.public_id}/screening",
                                     {"enabled": "1", "sections": "5"}).status_code == 403
    admin.post(f"/vm/tasks/{task.public_id}/screening", {"enabled": "1", "sections": ""})
    task.refresh_from_db()
    assert task.screening_sections == 10  # the default
    admin.post(f"/vm/tasks/{task.public_id}/screening", {"sections": "4"})  # box unticked: off
    task.refresh_from_db()
    assert task.screening_sections is None
    r = admin.post(f"/vm/tasks/{task.public_id}/screening/release")
    assert r.status_code == 302 and not RecordingTask.objects.get(pk=task.pk).screening_released_at


def test_screening_can_be_chosen_when_the_task_is_assigned(cast):
    admin = login(cast.admin_x)
    fields = {"script": cast.task_a.script.public_id, "organisation": cast.org_x.public_id,
              "contractor_email": "new-talent@example.com"}
    page = admin.get("/vm/tasks/invite/").content.decode()
    assert 'name="screening_sections"' in page and "Check the setup after this many sections" in page
    before = RecordingTask.objects.count()
    refused = admin.post("/vm/tasks/invite/", {**fields, "screening_sections": "0"})
    assert refused.status_code == 200 and "greater than or equal to 1" in refused.content.decode()
    assert RecordingTask.objects.count() == before  # nothing assigned
    r = admin.post("/vm/tasks/invite/", {**fields, "screening_sections": "3"})
    assert r.status_code == 302, r.content.decode()[:500]
    task = RecordingTask.objects.get(contractor_email="new-talent@example.com")
    assert task.screening_sections == 3 and not task.screening_waiting
    unscreened = admin.post("/vm/tasks/invite/", {**fields, "contractor_email": "other-talent@example.com"})
    assert unscreened.status_code == 302
    assert RecordingTask.objects.get(contractor_email="other-talent@example.com").screening_sections is None
