"""Without AudioWorklet the booth records with MediaRecorder, says so, and the server stores WAV."""
from __future__ import annotations

import base64
import hashlib

import pytest

from e2e.booth_fixtures import consented_mic_page, mic_page
from tasks.audio.decode import probe
from tasks.audio.hashing import sha256_file
from tasks.audio.qc import analyse
from voicemanager.models import AudioFile, Take

pytestmark = pytest.mark.e2e
WAIT = 20_000

# Before the page's scripts: no AudioWorklet (recorder.js checks typeof AudioWorkletNode), and
# a record of the audio each upload sends (Chromium does not show blob bodies to Playwright).
NO_WORKLET = """
delete window.AudioWorkletNode;
window.__uploaded = [];
window.__sent = [];
addEventListener("takestore:uploaded", (e) => window.__uploaded.push(
  {clientSha: e.detail.take.sha256, answer: e.detail.response}));
const realFetch = window.fetch;
window.fetch = async function (input, init) {
  const audio = init?.body instanceof FormData ? init.body.get("audio") : null;
  if (audio instanceof Blob) {
    const bytes = new Uint8Array(await audio.arrayBuffer());
    let bin = "";
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    window.__sent.push({name: audio.name, type: audio.type, b64: btoa(bin)});
  }
  return realFetch.apply(this, arguments);
};
"""


def test_booth_without_audioworklet_warns_records_webm_and_server_stores_wav(live_server, transactional_db, cast,
                                                                              launch_browser, tmp_path):
    task = cast.task_a
    page, errors = consented_mic_page(launch_browser, live_server, cast.contractor_a, task, tmp_path, init_script=NO_WORKLET)

    # The warning is there when the booth opens, before anything is recorded.
    page.goto(f"{live_server.url}/booth/tasks/{task.public_id}/")
    page.wait_for_selector("#booth[data-ready]", timeout=WAIT)
    assert page.evaluate("typeof AudioWorkletNode") == "undefined"
    warning = page.locator("#fallback-warning")
    assert warning.is_visible()
    assert "cannot record lossless audio" in warning.inner_text()

    page.click("#rec-btn")
    page.wait_for_selector(".recording", timeout=WAIT)
    page.wait_for_timeout(3000)
    page.click("#rec-btn")
    page.wait_for_function("document.querySelectorAll('#takes .take').length === 1", timeout=WAIT)
    page.wait_for_function("document.querySelector('#latest-state').textContent.startsWith('Saved')", timeout=WAIT)
    assert page.evaluate("booth.rec.fallback") is True
    assert warning.is_visible() and "cannot record lossless audio" in warning.inner_text()

    # The browser sent compressed audio and the hash it computed over exactly those bytes.
    uploaded = page.evaluate("window.__uploaded")
    sent = page.evaluate("window.__sent")
    assert len(uploaded) == 1 and len(sent) == 1
    name, body = sent[0]["name"], base64.b64decode(sent[0]["b64"])
    assert name.endswith(".webm") and sent[0]["type"].startswith("audio/webm"), sent[0]["type"]
    assert body[:4] == b"\x1a\x45\xdf\xa3"  # EBML: a WebM file
    browser_sha = uploaded[0]["clientSha"]
    assert hashlib.sha256(body).hexdigest() == browser_sha == uploaded[0]["answer"]["sha256"]

    # The server converted it to WAV, with speech in it.
    take = Take.objects.get(task=task, kind="take")
    assert take.captured_with == "mediarecorder"
    assert take.received_format.endswith("/opus") and "webm" in take.received_format, take.received_format
    assert take.received_sha256 == browser_sha != take.sha256
    assert uploaded[0]["answer"]["stored_sha256"] == take.sha256 == sha256_file(take.file.path)
    info = probe(take.file.path)
    assert info.format_name == "wav" and info.codec.startswith("pcm_s") and info.sample_rate == 48000
    assert info.channels == 1 and 2.0 < info.duration_s < 4.5, info
    qc = analyse(take.file.path, align=False)
    assert qc["metrics"]["speech_s"] > 0.5 and qc["metrics"]["rms_dbfs"] > -45, qc["metrics"]

    # The take can be submitted: the next section opens and the file manager has it.
    page.locator("#takes .take .submit-take").first.click()
    page.wait_for_function("document.querySelector('#section-label')?.textContent === 'Section 2 of 3'",
                           timeout=WAIT)
    take.refresh_from_db()
    assert take.status == "submitted"
    f = AudioFile.objects.get(task=task, source="booth")
    assert f.sha256 == take.sha256 == sha256_file(f.file.path) and f.name.startswith("001_")
    assert not errors, errors


def test_consent_page_without_audioworklet_warns_first_and_stores_the_statement_as_wav(
        live_server, transactional_db, cast, launch_browser, tmp_path):
    """The spoken consent goes through the same fallback: warned before recording, stored as WAV with speech."""
    from booth.tests.helpers import sign_all
    from voicemanager.models import ConsentRecording

    task = cast.task_a
    sign_all(cast.speaker_a)
    page, errors = mic_page(launch_browser, live_server, cast.contractor_a, tmp_path, init_script=NO_WORKLET)

    page.goto(f"{live_server.url}/booth/tasks/{task.public_id}/consent/")
    page.wait_for_selector("#consent[data-ready]", timeout=WAIT)
    warning = page.locator("#consent-warning")
    assert warning.is_visible() and "cannot record lossless audio" in warning.inner_text()

    page.click("#consent-rec")
    page.wait_for_selector("#consent-rec.recording", timeout=WAIT)
    page.wait_for_timeout(3500)
    page.click("#consent-rec")
    page.wait_for_selector("#to-mic", timeout=WAIT)  # confirmed by the server, the page moved on

    consent = ConsentRecording.objects.get(task=task)
    take = Take.objects.get(task=task, kind="consent")
    assert take.captured_with == "mediarecorder" and "webm" in take.received_format
    info = probe(consent.audio.file.path)
    assert info.format_name == "wav" and info.codec.startswith("pcm_s") and info.channels == 1
    assert analyse(consent.audio.file.path, align=False)["metrics"]["speech_s"] > 1.0
    assert not errors, errors
