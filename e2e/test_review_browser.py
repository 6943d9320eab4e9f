"""Browser: a whole review round, by keyboard on the admin's side and with the fake microphone on the talent's.

The admin approves section 1 (A), requests a retake of section 2 with a preset note drawn from its
QC failure (R, 1) plus free text (Ctrl+Enter), approves section 3 and sends the round (one email).
The talent's booth opens on section 2 with the note; they re-record and submit it. The admin
approves the new take, the real worker processes it, the task becomes ready, and the pre-flight
counts the new take (3 of 3 usable; before, the clipped one was set aside).
"""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from e2e.booth_fixtures import logged_in_context, mic_page
from e2e.services import message_text
from e2e.test_booth_browser import WAIT, record, section_is
from voicemanager.files import denoising
from voicemanager.models import AudioFile, RecordingTask, Review, Take
from voicemanager.tests.cloning_fixtures import booth_takes, give_full_consent

pytestmark = pytest.mark.e2e
CLIPPED = {"summary": "fail", "verdicts": [
    {"code": "clipping", "level": "fail", "title": "Clipping", "reason": "40 samples hit full scale.",
     "advice": "Turn the input gain down or move a little further from the microphone, then record again."}]}


def wait_status(task, status, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task.refresh_from_db()
        if task.status == status:
            return
        time.sleep(0.3)
    assert task.status == status


def usable_text(page):
    return page.locator("[data-testid=preflight-usable]").inner_text()


def test_retake_with_a_note_rerecorded_approved_and_counted(live_server, transactional_db, cast, mail, settings,
                                                           launch_browser, celery_worker, tmp_path):
    settings.SITE_URL = live_server.url
    task = cast.task_a
    give_full_consent(task.speaker, cast.org_x, task)
    files = booth_takes(task, 10.0)
    AudioFile.objects.filter(pk=files[1].pk).update(qc=CLIPPED)
    RecordingTask.objects.filter(pk=task.pk).update(status=RecordingTask.Status.SUBMITTED)
    denoising.refresh_task_status(task.pk)
    wait_status(task, RecordingTask.Status.REVIEW)  # a take failed QC: not ready

    # Admin: the pre-flight sets the clipped take aside.
    page, errors = mic_page(launch_browser, live_server, cast.contractor_a, tmp_path, mic_seconds=60)
    admin = logged_in_context(page.context.browser, live_server, cast.admin_x).new_page()
    admin.on("pageerror", lambda e: errors.append(str(e)))
    admin.goto(f"{live_server.url}/vm/tasks/{task.public_id}/clone/")
    assert "2 of 3 files" in usable_text(admin)
    clipped = admin.locator("[data-testid=preflight-discarded] [data-code=clipped]").inner_html()
    assert files[1].public_id in clipped

    # Review by keyboard: A approves section 1, R + 1 + text + Ctrl+Enter asks for a retake of section 2.
    admin.goto(f"{live_server.url}/vm/tasks/{task.public_id}/")
    admin.wait_for_selector("#review [data-review-row].current", timeout=WAIT)
    rows = admin.locator("[data-review-row]")
    admin.keyboard.press("a")
    expect(rows.nth(0)).to_have_attribute("data-state", "approved", timeout=WAIT)
    expect(rows.nth(1)).to_have_class(re.compile(r"\bcurrent\b"), timeout=WAIT)
    admin.keyboard.press("r")
    expect(rows.nth(1).locator("details[data-review-retake]")).to_have_attribute("open", "", timeout=WAIT)
    admin.keyboard.press("1")
    assert rows.nth(1).locator("input[data-preset='1']").is_checked()
    rows.nth(1).locator("textarea[name=note]").fill("Keep the level lower on 'lazy dog'.")
    admin.keyboard.press("Control+Enter")
    expect(rows.nth(1)).to_have_attribute("data-state", "retake", timeout=WAIT)
    expect(rows.nth(2)).to_have_class(re.compile(r"\bcurrent\b"), timeout=WAIT)
    admin.keyboard.press("a")
    expect(rows.nth(2)).to_have_attribute("data-state", "approved", timeout=WAIT)
    admin.click("[data-testid=review-send]")
    expect(admin.locator("[data-testid=review-send]")).to_have_count(0, timeout=WAIT)
    wait_status(task, RecordingTask.Status.CHANGES_REQUESTED)
    [msg] = mail.wait_for("contractor-a@example.com")
    assert "Keep the level lower on 'lazy dog'." in message_text(msg) and "Turn the input gain down" in message_text(msg)

    # Talent: the booth opens on section 2, lists it first with the note; re-record and submit.
    page.goto(f"{live_server.url}/booth/tasks/{task.public_id}/")
    page.wait_for_selector("#booth[data-ready]", timeout=WAIT)
    section_is(page, 2)
    assert "Keep the level lower on 'lazy dog'." in page.inner_text("[data-testid=retake-note]")
    assert page.locator("[data-testid=retake-request]").first.get_attribute("data-position") == "2"
    record(page)
    page.locator("#takes .take .submit-take").first.click()  # the new take (newest first)
    page.wait_for_selector("#task-submitted", timeout=WAIT)
    assert page.locator("[data-testid=retakes]").count() == 0  # answered: no request left
    new_take = Take.objects.get(task=task, section__position=2, status=Take.Status.SUBMITTED)
    assert Review.objects.get(decision="retake", task=task).answered_by == new_take

    # Admin: the new take is in the row, answering the request; approve it.
    admin.goto(f"{live_server.url}/vm/tasks/{task.public_id}/")
    row = admin.locator("[data-review-row]").nth(1)
    expect(row).to_have_attribute("data-take", new_take.public_id)
    assert f"answered by take {new_take.public_id}" in row.locator(".review-history").text_content()
    expect(row).to_have_class(re.compile(r"\bcurrent\b"), timeout=WAIT)
    admin.keyboard.press("a")
    expect(row).to_have_attribute("data-state", "approved", timeout=WAIT)
    wait_status(task, RecordingTask.Status.READY, timeout=120)  # the worker processed the new take

    admin.goto(f"{live_server.url}/vm/tasks/{task.public_id}/clone/")
    assert "3 of 3 files" in usable_text(admin)
    assert 'data-code="clipped"' not in admin.locator("[data-testid=preflight-discarded]").inner_html()
    assert not errors, errors
