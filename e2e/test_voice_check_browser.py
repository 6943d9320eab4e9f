"""Browser: someone other than the consenting speaker records a take, and the booth says so a few seconds later.

The consent statement was recorded (espeak-ng, through the real endpoint); the fake microphone then
plays a real LibriSpeech speaker (tasks/tests/fixtures/speaker/NOTICE). A real worker compares the take
with the consent recording; the booth's voice box shows the verdict in plain words.
"""
from __future__ import annotations

import subprocess

import pytest
from django.test import Client
from playwright.sync_api import expect

from booth.tests.helpers import give_consent
from e2e.booth_fixtures import logged_in_context
from e2e.test_booth_browser import WAIT, record
from voicemanager.models import Take, VoiceCheck
from voicemanager.tests.voice_fixtures import OTHER

pytestmark = pytest.mark.e2e


def test_a_take_in_another_voice_is_flagged_in_the_booth(live_server, transactional_db, cast,
                                                         launch_browser, celery_worker, tmp_path):
    task = cast.task_a
    client = Client()
    client.force_login(cast.contractor_a)
    give_consent(client, task)
    mic = tmp_path / "mic.wav"
    subprocess.run(["sox", str(OTHER[0]), "-r", "48000", "-c", "1", "-b", "16", str(mic), "pad", "0.5", "0.5",
                    "repeat", "8"], check=True, timeout=60)
    browser = launch_browser(fake_mic_wav=mic)
    page = logged_in_context(browser, live_server, cast.contractor_a).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/booth/tasks/{task.public_id}/")
    page.wait_for_selector("#booth[data-ready]", timeout=WAIT)

    record(page, seconds=4.5)
    different = page.locator("#latest-voice .speaker-different")
    expect(different).to_be_visible(timeout=60_000)
    assert different.inner_text() == "This does not sound like the voice in your consent recording."
    assert page.locator("#latest-voice").get_attribute("data-verdict") == "different"
    take = Take.objects.get(task=task, kind=Take.Kind.TAKE)
    assert VoiceCheck.objects.get(take=take).verdict == VoiceCheck.Verdict.DIFFERENT
    assert not errors, errors
