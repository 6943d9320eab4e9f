"""Review rounds: retake requests with notes, one email per round, the booth lists them first,
new takes answer them, approvals make the task ready and let the takes into the pre-flight."""
from __future__ import annotations

import pytest

from booth.tests.helpers import form, give_consent, login, tone_wav
from e2e.services import message_text
from voicemanager.files import denoising
from voicemanager.models import AudioFile, AuditEvent, RecordingTask, Review, Take

CLIPPED = {"summary": "fail", "verdicts": [
    {"code": "clipping", "level": "fail", "title": "Clipping", "reason": "40 samples hit full scale.",
     "advice": "Turn the input gain down or move a little further from the microphone, then record again."}]}
OK = {"summary": "ok", "verdicts": []}


def record_and_submit(booth, task, position: int, seconds: float = 2.0) -> Take:
    section = task.script.sections.get(position=position)
    r = booth.post(f"/booth/tasks/{task.public_id}/sections/{section.pk}/takes/", form(tone_wav(seconds)))
    assert r.status_code == 201, r.content
    take = Take.objects.get(public_id=r.json()["take_id"])
    r = booth.post(f"/booth/tasks/{task.public_id}/takes/{take.public_id}/submit/")
    assert r.status_code == 200, r.content
    take.refresh_from_db()
    assert take.status == Take.Status.SUBMITTED
    return take


def analysed(take: Take, qc: dict) -> None:
    """What the file worker leaves behind: the file analysed, with its verdicts."""
    AudioFile.objects.filter(pk=take.audio_file_id).update(qc=qc, analysis_state=AudioFile.Analysis.DONE,
                                                            duration=take.duration)


@pytest.fixture
def booth(cast):
    client = login(cast.contractor_a)
    give_consent(client, cast.task_a)
    return client


@pytest.fixture
def recorded(cast, booth):
    """Task A with a submitted take per section; section 2's failed QC (clipping)."""
    task = cast.task_a
    takes = [record_and_submit(booth, task, p) for p in (1, 2, 3)]
    for take, qc in zip(takes, (OK, CLIPPED, OK), strict=True):
        analysed(take, qc)
    denoising.refresh_task_status(task.pk)
    task.refresh_from_db()
    return task, takes


def test_a_task_whose_take_failed_qc_waits_for_review_instead_of_ready(cast, recorded):
    task, _ = recorded
    assert task.status == RecordingTask.Status.REVIEW


def test_review_round_from_request_to_approval(cast, booth, recorded, mail, django_capture_on_commit_callbacks):
    task, (t1, t2, t3) = recorded
    admin = login(cast.admin_x)
    page = admin.get(f"/vm/tasks/{task.public_id}/").content.decode()
    assert 'data-testid="review-row"' in page
    assert "Clipping. Turn the input gain down" in page  # a preset note drawn from the QC reason
    assert "Request retakes for every take that failed QC (1)" in page

    # Bulk for the failed take, one by hand with a preset and free text: both wait in round 1.
    assert admin.post(f"/vm/tasks/{task.public_id}/review-failed").status_code == 302
    r = admin.post(f"/vm/tasks/{task.public_id}/review/{t1.public_id}/",
                   {"decision": "retake", "preset": ["Mouth noise or a breath is audible."],
                    "note": "Say 'fox' clearly."}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'data-state="retake"' in r.content.decode()
    assert Review.objects.filter(task=task, decision="retake").count() == 2
    assert "Retakes requested" not in booth.get(f"/booth/tasks/{task.public_id}/").content.decode()  # not sent yet

    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(f"/vm/tasks/{task.public_id}/review-send").status_code == 302
    task.refresh_from_db()
    assert task.status == RecordingTask.Status.CHANGES_REQUESTED
    [msg] = mail.wait_for("contractor-a@example.com")
    body = message_text(msg)
    assert "2 retakes requested" in msg["Subject"]
    assert "Section 1" in body and "Say 'fox' clearly." in body and "Mouth noise" in body
    assert "Section 2" in body and "Turn the input gain down" in body

    # The booth opens on the first requested section, lists both first, with their notes.
    page = booth.get(f"/booth/tasks/{task.public_id}/").content.decode()
    assert 'data-position="1"' in page.split('id="panel"', 1)[1][:400]
    retakes = page.split('data-testid="retakes"', 1)[1].split("</section>", 1)[0]
    assert retakes.index("Section 1") < retakes.index("Section 2") and "Say &#x27;fox&#x27; clearly." in retakes
    assert 'data-testid="retake-note"' in page

    new1 = record_and_submit(booth, task, 1)
    task.refresh_from_db()
    assert task.status == RecordingTask.Status.CHANGES_REQUESTED  # section 2 is still open
    new2 = record_and_submit(booth, task, 2)
    task.refresh_from_db()
    assert task.status == RecordingTask.Status.SUBMITTED
    request = Review.objects.get(take=t1, decision="retake")
    assert request.answered_by == new1 and request.by == cast.admin_x and request.answered_at
    assert Review.objects.get(take=t2, decision="retake").answered_by == new2

    # The new takes are analysed; section 2 still clips, and the admin approves it anyway.
    analysed(new1, OK)
    analysed(new2, CLIPPED)
    denoising.refresh_task_status(task.pk)
    task.refresh_from_db()
    assert task.status == RecordingTask.Status.REVIEW
    for take in (new1, new2, t3):
        with django_capture_on_commit_callbacks(execute=True):
            r = admin.post(f"/vm/tasks/{task.public_id}/review/{take.public_id}/", {"decision": "approve"},
                           HTTP_HX_REQUEST="true")
        assert r.status_code == 200 and 'data-state="approved"' in r.content.decode()
    task.refresh_from_db()
    assert task.status == RecordingTask.Status.READY
    assert AuditEvent.objects.filter(action="take.approved", target_id=new2.public_id,
                                     details__qc=["clipped"]).exists()

    # The pre-flight counts the approved take although it failed QC, and says who let it through.
    pre = admin.get(f"/vm/tasks/{task.public_id}/clone/").content.decode().split('id="preflight"', 1)[1]
    assert "3 of 3 files" in pre.split('data-testid="preflight-usable"', 1)[1].split("</td>", 1)[0]
    assert "take approved by" in pre and new2.audio_file.name in pre

    history = admin.get(f"/vm/tasks/{task.public_id}/").content.decode()
    assert f"answered by take {new1.public_id}" in history


def test_a_retake_request_needs_a_note_and_changes_nothing_without_one(cast, recorded):
    task, (t1, _, _) = recorded
    admin = login(cast.admin_x)
    r = admin.post(f"/vm/tasks/{task.public_id}/review/{t1.public_id}/", {"decision": "retake", "note": "  "},
                   HTTP_HX_REQUEST="true")
    assert r.status_code == 422 and "pick a note or write one" in r.content.decode()
    assert not Review.objects.exists()


def test_only_the_organisations_admins_can_review(cast, recorded):
    task, (t1, _, _) = recorded
    url = f"/vm/tasks/{task.public_id}/review/{t1.public_id}/"
    assert login(cast.member_x).post(url, {"decision": "approve"}).status_code == 403
    assert login(cast.admin_y).post(url, {"decision": "approve"}).status_code == 404
    assert login(cast.contractor_a).post(url, {"decision": "approve"}).status_code == 404
    assert not Review.objects.exists()


def test_a_replaced_take_cannot_be_reviewed(cast, booth, recorded):
    task, (t1, _, _) = recorded
    RecordingTask.objects.filter(pk=task.pk).update(status=RecordingTask.Status.SUBMITTED)
    record_and_submit(booth, task, 1)
    r = login(cast.admin_x).post(f"/vm/tasks/{task.public_id}/review/{t1.public_id}/", {"decision": "approve"})
    assert r.status_code == 302 and not Review.objects.exists()


def test_where_the_organisation_reviews_every_take_ready_needs_every_approval(cast, recorded):
    task, takes = recorded
    task.organisation.review_takes = True
    task.organisation.save()
    analysed(takes[1], OK)
    denoising.refresh_task_status(task.pk)
    task.refresh_from_db()
    assert task.status == RecordingTask.Status.REVIEW
    task.organisation.review_takes = False
    task.organisation.save()
    denoising.refresh_task_status(task.pk)
    task.refresh_from_db()
    assert task.status == RecordingTask.Status.READY
