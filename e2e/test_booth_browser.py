"""A contractor records a whole script in Chromium with a fake microphone fed from espeak-ng speech."""
from __future__ import annotations

import pytest

from e2e.booth_fixtures import mic_page
from e2e.services import message_text
from tasks.audio.decode import probe
from tasks.audio.hashing import sha256_file
from tasks.audio.metrics import measure
from voicemanager.models import AudioFile, ConsentRecording, ConsentSignature, RecordingTask, Take

pytestmark = pytest.mark.e2e
WAIT = 20_000


def record(page, seconds: float = 2.5, key: str | None = None) -> None:
    """Record one take (button or key), then wait until the server answered with its QC."""
    n = page.locator("#takes .take").count()
    if key:
        page.keyboard.press(key)
    else:
        page.click("#rec-btn")
    page.wait_for_selector(".recording", timeout=WAIT)
    page.wait_for_timeout(int(seconds * 1000))
    if key:
        page.keyboard.press(key)
    else:
        page.click("#rec-btn")
    page.wait_for_function(f"document.querySelectorAll('#takes .take').length === {n + 1}", timeout=WAIT)
    page.wait_for_function("document.querySelector('#latest-state').textContent.startsWith('Saved')", timeout=WAIT)


def section_is(page, k: int, n: int = 3) -> None:
    page.wait_for_function(f"document.querySelector('#section-label')?.textContent === 'Section {k} of {n}'",
                           timeout=WAIT)


def test_contractor_records_consent_mic_check_and_whole_script(live_server, transactional_db, cast, mail, settings,
                                                               launch_browser, tmp_path):
    settings.SITE_URL = live_server.url
    task = cast.task_a
    page, errors = mic_page(launch_browser, live_server, cast.contractor_a, tmp_path, mic_seconds=150)
    page.on("dialog", lambda d: d.accept())
    page.on("console", lambda m: print("console:", m.type, m.text) if m.type == "error" else None)

    # Consent: the booth sends us to the documents first.
    page.goto(f"{live_server.url}/booth/tasks/{task.public_id}/")
    assert page.url.endswith("/consent/")
    assert page.locator(".consent-doc").count() == 3
    for box in page.locator("input[name=agree]").all():
        box.check()
    page.fill("#typed_name", "Contractor A")
    page.click("#sign-btn")
    page.wait_for_selector("#consent[data-ready]", timeout=WAIT)
    assert "I, Contractor A, am aware that recordings of my voice will be used by Org X" in page.inner_text("#statement")
    page.click("#consent-rec")
    page.wait_for_timeout(3500)
    page.click("#consent-rec")
    page.wait_for_selector("#to-mic", timeout=WAIT)

    # Mic check: device picker, meter, 5 s room tone judged by the server.
    page.click("#to-mic")
    page.wait_for_selector("#miccheck[data-ready]", timeout=WAIT)
    page.click("#mic-open")
    page.wait_for_selector("#roomtone-btn:not([disabled])", timeout=WAIT)
    assert page.locator("#device option").count() >= 2
    page.click("#roomtone-btn")
    page.wait_for_selector("#roomtone-verdict", timeout=WAIT)
    assert "dBFS" in page.inner_text("#roomtone-report")

    # The booth: section 1, a take by keyboard (Space), a retake by button; delete the older one.
    page.click("#to-booth")
    page.wait_for_selector("#booth[data-ready]", timeout=WAIT)
    section_is(page, 1)
    assert "The quick brown fox" in page.inner_text("#section-text")
    page.evaluate("window.sameDocument = true")  # the booth never reloads: the microphone stays open
    record(page, key="Space")
    record(page)
    page.locator("#takes .take").nth(1).locator(".delete-take").click()
    page.wait_for_function("document.querySelectorAll('#takes .take').length === 1", timeout=WAIT)
    assert "Deleted takes (1)" in page.inner_text("#panel")
    page.keyboard.press("p")  # play the latest take
    page.keyboard.press("Enter")  # submit the latest take: section 2 opens
    section_is(page, 2)

    record(page, key="r")
    page.locator("#takes .take .submit-take").first.click()
    section_is(page, 3)
    record(page)
    # Go back to section 2 and change its submitted take.
    page.keyboard.press("ArrowLeft")
    section_is(page, 2)
    record(page)
    page.locator("#takes .take").first.locator(".submit-take").click()
    section_is(page, 3)
    page.locator("#takes .take .submit-take").first.click()
    page.wait_for_selector("#task-submitted", timeout=WAIT)
    page.wait_for_function("document.querySelector('#pending-count').textContent === '0'", timeout=WAIT)
    captured_rate = page.evaluate("booth.rec.sampleRate")
    assert page.evaluate("window.sameDocument === true"), "a take action reloaded the booth page"
    assert not errors, errors

    # On the server.
    task.refresh_from_db()
    assert task.status == RecordingTask.Status.SUBMITTED and task.submitted_at
    assert ConsentSignature.objects.filter(speaker=cast.speaker_a).count() == 3
    consent = ConsentRecording.objects.get(task=task)
    assert measure(consent.audio.file.path)["speech_s"] > 1.0
    assert task.room_tone and task.room_tone_report["noise_floor_dbfs"] is not None
    takes = Take.objects.filter(task=task, kind="take")
    assert takes.count() == 5
    assert takes.filter(status="deleted").count() == 1
    s2 = task.script.sections.get(position=2)
    assert list(takes.filter(section=s2).order_by("created_at").values_list("status", flat=True)) == ["recorded", "submitted"]
    files = list(AudioFile.objects.filter(task=task, source="booth").order_by("name"))
    assert [f.name[:4] for f in files] == ["001_", "002_", "003_"]
    for f in files:
        take = f.takes.get()
        assert take.status == "submitted" and f.path == task.file_path and f.transcript == take.section.text
        info = probe(f.file.path)
        assert info.format_name == "wav" and info.sample_rate == captured_rate == take.sample_rate >= 44100
        assert info.channels == 1 and info.bit_depth == 16
        assert sha256_file(f.file.path) == f.sha256 == take.sha256 == take.received_sha256
        m = measure(f.file.path)
        assert m["speech_s"] > 0.5 and m["rms_dbfs"] > -45, m  # speech, well above silence (-120)
    msg = mail.wait_for("admin-x@example.com")[0]
    assert task.public_id in message_text(msg) and live_server.url in message_text(msg)
