"""Shared setup for the booth browser tests: a long speech WAV for the fake microphone, a logged-in page."""
from __future__ import annotations

import subprocess
from pathlib import Path

from django.test import Client

from booth.tests.helpers import give_consent
from e2e.services import speech_wav

SPEECH = ("The quick brown fox jumps over the lazy dog. Please call Stella and ask her to bring these things "
          "with her from the store.")


def long_speech_wav(folder: Path, seconds: int = 150) -> Path:
    """Speech repeated to ``seconds``: Chromium plays the fake-mic file once (%noloop) from launch."""
    one = speech_wav(folder / "one.wav", SPEECH, pad_s=0.15)
    out = folder / "mic.wav"
    length = float(subprocess.run(["soxi", "-D", str(one)], capture_output=True, text=True, check=True).stdout)
    repeats = max(1, int(seconds / length))
    subprocess.run(["sox", str(one), str(out), "repeat", str(repeats)], check=True, timeout=120)
    return out


def logged_in_context(browser, live_server, user, viewport: dict | None = None):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900},
                                  bypass_csp=True)  # for wait_for_function
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    return context


def mic_page(launch_browser, live_server, user, tmp_path, *, mic_seconds: int = 60, init_script: str | None = None,
             viewport: dict | None = None):
    """A page logged in as ``user`` in Chromium with a fake microphone playing speech; page errors are collected.

    Returns (page, errors); ``page.context`` is the browser context (to go offline, route, add scripts).
    """
    browser = launch_browser(fake_mic_wav=long_speech_wav(tmp_path, seconds=mic_seconds))
    context = logged_in_context(browser, live_server, user, viewport)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def consented_mic_page(launch_browser, live_server, user, task, tmp_path, **kwargs):
    """mic_page for ``user`` once they have signed and recorded the task's consent, so the booth opens at once."""
    client = Client()
    client.force_login(user)
    give_consent(client, task)
    return mic_page(launch_browser, live_server, user, tmp_path, **kwargs)


def logged_in_page(browser, live_server, email: str, password: str = "pass-word-123"):
    """A new browser page logged in as ``email`` (the cast's users share one test password)."""
    page = browser.new_context().new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page
