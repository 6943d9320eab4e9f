"""From the browser: a voice owner files and confirms a request, staff approve it, the report arrives."""
from __future__ import annotations

import pytest

from e2e.services import message_text, wait_until
from voicemanager import models as m
from voicemanager.tests.test_deletion_support import build_world

pytestmark = pytest.mark.e2e


def link_in(msg, marker: str, base: str) -> str:
    """The emailed link, pointed at the live server (SITE_URL in emails is the configured site)."""
    line = next(x.strip() for x in message_text(msg).splitlines() if marker in x)
    return base + marker + line.split(marker, 1)[1]


def test_request_confirm_approve_and_report_in_the_browser(live_server, launch_browser, celery_worker, cast, mail):
    world = build_world(cast)
    page = launch_browser().new_page()
    page.goto(live_server.url + "/forget/")
    page.fill("input[name=first_name]", "Anna")
    page.fill("input[name=last_name]", "Speaker")
    page.fill("input[name=email]", "anna.owner@example.com")
    page.fill("input[name=organisation_ref]", cast.org_x.public_id)
    page.fill("input[name=voice_alias]", world.a.voice.alias)
    page.check("input[name=scope][value=voice_and_recordings]")
    page.click("button[type=submit]")
    page.wait_for_url("**/forget/sent/")
    assert m.Voice.objects.filter(pk=world.a.voice.pk).exists()

    [confirm] = mail.wait_for("anna.owner@example.com")
    page.goto(link_in(confirm, "/forget/confirm/", live_server.url))
    page.click("button:has-text('Confirm deletion request')")
    page.wait_for_selector("text=Request confirmed")
    req = m.DeletionRequest.objects.get()

    staff = page.context.browser.new_page()
    staff.goto(live_server.url + f"/ops/deletion/{req.public_id}/")
    staff.fill("input[name=username]", cast.staff.email)
    staff.fill("input[name=password]", "pass-word-123")
    staff.click("button[type=submit]")
    wait_until(lambda: m.DeletionRequest.objects.get(pk=req.pk).status == "identified", timeout=60,
               message="identified")
    staff.reload()
    assert world.a.package.file.name in staff.locator("[data-testid=found-keys]").inner_text()
    staff.click("[data-testid=approve]")
    staff.locator("[data-testid=deletion-status]", has_text="Completed").wait_for(timeout=60_000)
    assert "deletion.verified" in staff.locator("[data-testid=audit-trail]").inner_text()
    assert not m.Voice.objects.filter(pk=world.a.voice.pk).exists()
    assert m.Voice.objects.filter(pk=world.b.voice.pk).exists()

    report = mail.wait_for("anna.owner@example.com", count=2)[-1]
    page.goto(link_in(report, "/forget/report/", live_server.url))
    assert "not affected by this deletion" in page.content()
    assert world.a.voice.alias in page.content()
