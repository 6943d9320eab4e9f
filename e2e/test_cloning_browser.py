"""Browser: admin opens a finished task, sees the pre-flight, submits; the operator marks it ready;
the voice shows in Private voices. The package is built by a real Celery worker."""
import re
import time

import pytest
from playwright.sync_api import expect

from e2e.booth_fixtures import logged_in_page as login
from voicemanager.cloning import credits
from voicemanager.models import Voice
from voicemanager.tests.cloning_fixtures import add_credits, booth_takes, give_full_consent
from voicemanager.tests.factories import make_cast

pytestmark = pytest.mark.e2e



def wait_for_stage(voice, stage, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        voice.refresh_from_db()
        if voice.stage == stage or voice.status == Voice.Status.FAILED:
            break
        time.sleep(0.3)
    assert voice.stage == stage, voice.failure_reason


def test_finished_task_to_private_voice(live_server, launch_browser, celery_worker):
    cast = make_cast()
    task = cast.task_a
    add_credits(cast.org_x)
    give_full_consent(task.speaker, cast.org_x, task)
    booth_takes(task, 620.0, rate=8000)  # 3 sections × 10 min 20 s: a 31-minute professional set
    task.status = task.Status.SUBMITTED
    task.save()

    browser = launch_browser()
    admin = login(browser, live_server, cast.admin_x.email)
    admin.goto(f"{live_server.url}/vm/tasks/{task.public_id}/clone/")
    preflight = admin.locator("#preflight")
    assert "31.0 min" in preflight.inner_text()
    assert "Expected ready" in preflight.inner_text() and "2 working days" in preflight.inner_text()
    assert "Terms, Privacy and Acceptable Use signed" in preflight.inner_text()
    admin.select_option("select[name=language]", "de")  # htmx refreshes the panel: 3-4 working days
    expect(preflight).to_contain_text("3–4 working days")
    admin.select_option("select[name=language]", "en")
    expect(preflight).to_contain_text("2 working days")
    admin.fill("input[name=alias]", "jane-pro-voice")
    admin.select_option("select[name=gender]", "female")
    admin.click("button[name=action][value=submit]")
    expect(admin).to_have_url(re.compile(r".*/vm/voices/voice_[0-9a-z]+/$"), timeout=30_000)
    assert "submitted for professional cloning" in admin.content()

    voice = Voice.objects.get(alias="jane-pro-voice")
    wait_for_stage(voice, Voice.Stage.PACKAGED)
    # Professional voices are forwarded once the admin accepts staff's quote (the credits flow, issue 9).
    quote = credits.create_quote(voice, 100, cast.staff, data_minutes=31)
    credits.accept_quote(quote, cast.admin_x)  # re-queues forward_voice on commit
    wait_for_stage(voice, Voice.Stage.FORWARDED)

    ops = login(browser, live_server, cast.staff.email)
    ops.goto(live_server.url + "/ops/cloning/")
    ops.click("text=jane-pro-voice")
    assert ops.locator("a", has_text="Download package").count() == 1
    for stage in ("received", "training", "ready"):
        ops.click(f"button:has-text('Mark {stage}')")
        ops.wait_for_load_state()
    voice.refresh_from_db()
    assert voice.status == Voice.Status.SUCCEEDED

    admin.goto(live_server.url + "/vm/voices/")
    row = admin.locator("tr", has_text="jane-pro-voice")
    assert "Succeeded" in row.inner_text() and "Professional" in row.inner_text()
