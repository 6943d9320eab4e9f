"""Browser: screening. The talent records the first section and is paused; the admin listens and approves
the setup on the task page; the talent's booth lets them record on, and both were emailed."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from e2e.booth_fixtures import consented_mic_page, logged_in_context
from e2e.services import message_text, wait_until
from e2e.test_booth_browser import WAIT, record
from voicemanager.models import RecordingTask, Take

pytestmark = pytest.mark.e2e


def test_the_talent_is_paused_after_the_first_section_until_the_admin_approves_the_setup(
        live_server, transactional_db, cast, mail, settings, launch_browser, tmp_path):
    settings.SITE_URL = live_server.url
    settings.CONSENT_STATEMENT_CHECK = False  # the fake microphone reads script sentences, not the statement
    task = cast.task_a
    RecordingTask.objects.filter(pk=task.pk).update(screening_sections=1)
    page, errors = consented_mic_page(launch_browser, live_server, cast.contractor_a, task, tmp_path, mic_seconds=90)

    page.goto(f"{live_server.url}/booth/tasks/{task.public_id}/")
    page.wait_for_selector("#booth[data-ready]", timeout=WAIT)
    record(page)
    page.locator("#takes .take .submit-take").first.click()
    wait_until(lambda: Take.objects.filter(task=task, status=Take.Status.SUBMITTED).exists(), timeout=30,
               message="the first take submitted")
    page.goto(f"{live_server.url}/booth/tasks/{task.public_id}/?s=2")
    expect(page.locator("[data-testid=screening-paused]")).to_be_visible(timeout=WAIT)
    assert "checks your setup" in page.inner_text("[data-testid=screening-paused]")
    assert page.locator("[data-editable='0']").count() >= 1  # section 2 cannot be recorded yet
    task.refresh_from_db()
    assert task.screening_waiting
    assert Take.objects.filter(task=task, status=Take.Status.SUBMITTED).count() == 1
    [to_admin] = mail.wait_for("admin-x@example.com")
    assert "recording is paused" in to_admin["Subject"]

    admin = logged_in_context(page.context.browser, live_server, cast.admin_x).new_page()
    admin.on("pageerror", lambda e: errors.append(str(e)))
    admin.goto(f"{live_server.url}/vm/tasks/{task.public_id}/")
    expect(admin.locator("[data-testid=screening]")).to_contain_text("recording is paused", timeout=WAIT)
    admin.fill("#screening input[name=note]", "Lovely level, keep the same distance.")
    admin.click("[data-testid=screening-approve]")
    expect(admin.locator("[data-testid=screening]")).to_contain_text("setup approved by", timeout=WAIT)
    released = mail.wait_for("contractor-a@example.com", count=2)[-1]
    assert "approved" in released["Subject"] and "Lovely level, keep the same distance." in message_text(released)

    page.goto(f"{live_server.url}/booth/tasks/{task.public_id}/?s=2")
    page.wait_for_selector("#booth[data-ready]", timeout=WAIT)
    assert page.locator("[data-testid=screening-paused]").count() == 0
    record(page)  # section 2 is recorded and stored now
    page.locator("#takes .take .submit-take").first.click()
    wait_until(lambda: Take.objects.filter(task=task, section__position=2, status=Take.Status.SUBMITTED).exists(),
               timeout=30, message="section 2 submitted")
    assert not errors, errors
