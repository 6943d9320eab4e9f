"""Flow 1 and 4 in Chromium: script from pasted text → assign with due date → invitation email →
the contractor creates an account and sees only the booth → the admin's Tasks tab shows it
accepted without a reload (htmx polling)."""
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from e2e.services import message_text
from voicemanager.models import RecordingTask, Script
from voicemanager.tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.e2e

SCRIPT = """Good morning, and welcome to the studio.

Please read each line clearly and calmly.

Thank you for your time today."""


def test_admin_invites_contractor_who_lands_in_booth_and_tasks_tab_updates(
        live_server, launch_browser, transactional_db, mail, settings):
    settings.SITE_URL = live_server.url
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    org = OrganisationFactory(name="Studio North")
    admin = UserFactory(email="boss@example.com")
    MembershipFactory(user=admin, organisation=org, role="admin")
    browser = launch_browser()

    admin_page = browser.new_context().new_page()
    admin_page.set_default_timeout(15_000)
    admin_page.goto(live_server.url + "/accounts/login/")
    admin_page.fill("input[name=username]", "boss@example.com")
    admin_page.fill("input[name=password]", "pass-word-123")
    admin_page.click("button[type=submit]")
    admin_page.wait_for_url("**/vm/")

    # Script from pasted text, previewed before saving
    admin_page.goto(live_server.url + "/vm/scripts/new/")
    admin_page.fill("input[name=title]", "Studio greetings")
    admin_page.select_option("select[name=language]", "en")
    admin_page.fill("textarea[name=text]", SCRIPT)
    admin_page.click("text=Preview sections")
    expect(admin_page.locator("[data-testid=preview-section]")).to_have_count(3)
    assert Script.objects.filter(title="Studio greetings").count() == 0
    admin_page.click("text=Save script")
    expect(admin_page.locator("[data-testid=section-row]")).to_have_count(3)
    script = Script.objects.get(title="Studio greetings")

    # Assign with a due date
    admin_page.goto(live_server.url + "/vm/tasks/")
    admin_page.click("text=Invite user to record their voice")
    expect(admin_page.locator("h1")).to_have_text("Assign recording task")
    admin_page.select_option("select[name=script]", script.public_id)
    admin_page.fill("input[name=contractor_email]", "voice.talent@example.com")
    admin_page.locator("input[name=contractor_email]").dispatch_event("change")
    expect(admin_page.locator("[data-testid=default-path]")).to_have_text("recordings/studio-greetings/voice-talent")
    due = timezone.localdate() + timedelta(days=5)
    admin_page.fill("input[name=due_date]", due.isoformat())
    admin_page.click("button:has-text('Assign task')")
    expect(admin_page.locator("[data-testid=invitation-state]")).to_have_text("pending")
    task = RecordingTask.objects.get(contractor_email="voice.talent@example.com")
    assert task.due_date == due and task.status == "invited"

    # The Tasks tab, left open: it must update by itself
    admin_page.goto(live_server.url + "/vm/tasks/?status=&sort=-created")
    row = admin_page.locator(f"tr[data-task={task.public_id}]")
    expect(row.locator("[data-testid=status]")).to_have_text("Invited")
    admin_page.evaluate("window.__notReloaded = true")

    # The invitation email
    [msg] = mail.wait_for("voice.talent@example.com")
    text = message_text(msg)
    assert "Studio North" in text and "Studio greetings" in text and due.strftime("%-d %B %Y") in text
    link = re.search(r"(http://\S+/invite/\S+/)", text).group(1)

    # The contractor, in a fresh context
    talent = browser.new_context().new_page()
    talent.set_default_timeout(15_000)
    talent.goto(link)
    expect(talent.locator("input[name=email]")).to_have_value("voice.talent@example.com")
    expect(talent.locator("input[name=email]")).to_be_disabled()
    talent.fill("input[name=full_name]", "Vera Talent")
    talent.check("input[name=native_languages][value=en]")
    talent.check("input[name=native_languages][value=fr]")
    talent.fill("input[name=password1]", "studio-voice-2026!")
    talent.fill("input[name=password2]", "studio-voice-2026!")
    talent.click("button[type=submit]")
    talent.wait_for_url("**/booth/")
    expect(talent.locator("h1")).to_have_text("Recording booth")
    expect(talent.locator("body")).to_contain_text("Studio greetings")
    nav = [a.strip() for a in talent.locator("header nav a").all_inner_texts()]
    assert "Recording booth" in nav and not {"Tasks", "Scripts", "Files", "Dashboard"} & set(nav)
    assert talent.goto(live_server.url + "/vm/tasks/").status == 404
    assert talent.goto(live_server.url + "/vm/scripts/").status == 404

    # Back on the admin's open Tasks tab: accepted, without a reload, filters kept
    expect(row.locator("[data-testid=status]")).to_have_text("Accepted", timeout=20_000)
    assert admin_page.evaluate("window.__notReloaded") is True
    assert admin_page.locator("#tasks-table").get_attribute("hx-get").endswith("?status=&sort=-created")
