"""From the browser, as a voice talent: ask for deletion without any internal id, confirm by the
emailed link, staff match and approve, read the report as plain text; the studio is told.

And the confirmation email that cannot be sent: the request waits, the talent's page says so,
staff resend once the mail server is back.
"""
from __future__ import annotations

import re

import pytest

from e2e.services import free_port, message_text, wait_until
from voicemanager import models as m
from voicemanager.tests.test_deletion_support import build_world

pytestmark = pytest.mark.e2e
MODEL_NAMES = re.compile(r"voicemanager\.|booth\.[A-Z]|\b[A-Z][a-z]+[A-Z][a-zA-Z]+\b|\b(?:org|tsk|spk|file)_\w+")


def link_in(msg, marker: str, base: str) -> str:
    """The emailed link, pointed at the live server (SITE_URL in emails is the configured site)."""
    line = next(x.strip() for x in message_text(msg).splitlines() if marker in x)
    return base + marker + line.split(marker, 1)[1].split()[0]


def log_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", "pass-word-123")
    page.click("button[type=submit]")


def status(req) -> str:
    return m.DeletionRequest.objects.filter(pk=req.pk).values_list("status", flat=True).get()


def test_a_talent_asks_from_the_booth_staff_match_and_approve_the_report_reads_plainly(
        live_server, launch_browser, celery_worker, cast, mail):
    world = build_world(cast)  # contractor B recorded for Org X (voice "bert-…") and for Org Y
    browser = launch_browser()
    talent = browser.new_context().new_page()
    log_in(talent, live_server.url + "/booth/", cast.contractor_b.email)
    talent.click("[data-testid=booth-forget] a")
    talent.wait_for_url("**/forget/")
    form = talent.locator("form[action='/forget/']")
    form = form.inner_text() + form.inner_html()
    assert "Organisation id" not in form and "org_" not in form  # nothing a talent does not know
    assert talent.input_value("input[name=email]") == cast.contractor_b.email  # filled in from the account
    assert talent.input_value("input[name=first_name]") == "Contractor"
    talent.fill("input[name=organisation_ref]", "Org X")
    talent.check("input[name=scope][value=voice_and_recordings]")
    talent.click("text=Send me the confirmation link")
    talent.locator("[data-testid=mail-sent]").wait_for()
    assert m.Voice.objects.filter(pk=world.b.voice.pk).exists()

    [confirm] = mail.wait_for(cast.contractor_b.email)
    talent.goto(link_in(confirm, "/forget/confirm/", live_server.url))
    talent.click("button:has-text('Confirm deletion request')")
    talent.wait_for_selector("text=Request confirmed")
    req = m.DeletionRequest.objects.get()
    assert req.submitted_by == cast.contractor_b and req.matched == {}

    staff = browser.new_context().new_page()
    log_in(staff, live_server.url + "/ops/deletion/", cast.staff.email)
    assert "needs matching" in staff.locator("[data-testid=deletion-row]").inner_text()
    staff.goto(live_server.url + f"/ops/deletion/{req.public_id}/")
    match_form = staff.locator("[data-testid=match-form]")
    assert staff.is_checked(f"input[name=voice][value='{world.b.voice.pk}']")  # suggested: B's voice at Org X
    assert not staff.is_checked(f"input[name=voice][value='{world.y.voice.pk}']")  # offered, not suggested
    assert staff.is_checked(f"input[name=organisation][value='{cast.org_x.pk}']")
    assert not staff.is_checked(f"input[name=organisation][value='{cast.org_y.pk}']")
    assert "same email" in match_form.inner_text()
    staff.click("[data-testid=match]")
    wait_until(lambda: status(req) == "identified", timeout=60, message="identified")
    staff.reload()
    assert world.b.package.file.name in staff.locator("[data-testid=found-keys]").inner_text()
    assert "another studio" in staff.locator("[data-testid=found-kept]").inner_text()
    staff.click("[data-testid=approve]")
    staff.locator("[data-testid=deletion-status]", has_text="Completed").wait_for(timeout=60_000)
    assert not m.Voice.objects.filter(pk=world.b.voice.pk).exists()
    assert m.Voice.objects.filter(pk=world.y.voice.pk).exists() and m.RecordingTask.objects.filter(
        pk=world.y.task.pk).exists()

    report_mail = mail.wait_for(cast.contractor_b.email, count=2)[-1]
    emailed = message_text(report_mail)
    assert "&lt;" not in emailed and "&#x27;" not in emailed and "&quot;" not in emailed  # plain text, not HTML
    talent.goto(link_in(report_mail, "/forget/report/", live_server.url))
    shown = talent.locator("main").inner_text()

    for text in (emailed, shown):
        assert "booth.Take" not in text and "voicemanager." not in text
        body = text.split("Appendix for staff")[0]
        assert not MODEL_NAMES.search(body), MODEL_NAMES.search(body)
        for words in ("What we found", "What we deleted, and where", "In our database:", "In file storage:",
                      "In backups:", "What we kept, and why", "another studio, which this request did not cover",
                      "Your login account", "The cloning provider", "What cannot be undone",
                      "is not affected by this deletion", world.b.voice.alias, "Org Y"):
            assert words in text, words
    assert re.search(r"Audit event #\d+ · .* · deletion\.approved", shown)

    # The studio is told: its admins get an email, and the task page says so in place of the task.
    notice = mail.wait_for(cast.admin_x.email)[0]
    assert world.b.voice.alias in message_text(notice) and "Script X" in message_text(notice)
    assert not mail.to(cast.admin_y.email)
    admin = browser.new_context().new_page()
    log_in(admin, live_server.url + f"/vm/tasks/{world.b.task.public_id}/", cast.admin_x.email)
    assert "at the voice owner's request" in admin.locator("[data-testid=deletion-notice]").inner_text()
    admin.goto(live_server.url + "/vm/tasks/")
    assert world.b.voice.alias in admin.locator("[data-testid=deletion-notices]").inner_text()


def test_confirmation_mail_that_cannot_be_sent_waits_and_staff_resend_it(live_server, launch_browser, cast, mail,
                                                                         settings):
    sink_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # the mail server is down: nothing listens there
    browser = launch_browser()
    talent = browser.new_context().new_page()
    talent.goto(live_server.url + "/forget/")
    talent.fill("input[name=first_name]", "Dana")
    talent.fill("input[name=last_name]", "Voice")
    talent.fill("input[name=email]", "dana@example.com")
    talent.fill("input[name=voice_alias]", "dana-warm")
    talent.click("text=Send me the confirmation link")
    warning = talent.locator("[data-testid=mail-not-sent]")
    warning.wait_for()
    assert "saved" in warning.inner_text()
    status_url = talent.url
    req = m.DeletionRequest.objects.get()
    assert req.status == "mail_not_sent" and req.voice_alias == "dana-warm"

    staff = browser.new_context().new_page()
    log_in(staff, live_server.url + "/ops/deletion/", cast.staff.email)
    assert "Confirmation email not sent" in staff.locator("[data-testid=deletion-row]").inner_text()
    staff.goto(live_server.url + f"/ops/deletion/{req.public_id}/")
    staff.click("[data-testid=resend]")  # still down: the request stays, staff see why
    staff.locator(".message-error", has_text="could still not be sent").wait_for()
    assert status(req) == "mail_not_sent"

    settings.EMAIL_PORT = sink_port  # the mail server is back
    staff.click("[data-testid=resend]")
    staff.locator("text=Confirmation link sent to dana@example.com").wait_for()
    [msg] = mail.wait_for("dana@example.com")
    talent.goto(status_url)
    talent.locator("[data-testid=mail-sent]").wait_for()
    talent.goto(link_in(msg, "/forget/confirm/", live_server.url))
    talent.click("button:has-text('Confirm deletion request')")
    talent.wait_for_selector("text=Request confirmed")
    assert status(req) == "confirmed"
