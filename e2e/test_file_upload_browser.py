"""The file manager's browser upload: several files at once through tus, and a PATCH broken off mid-way."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from e2e.booth_fixtures import logged_in_context
from e2e.services import speech_wav
from tasks.audio.hashing import sha256_file
from voicemanager.models import AudioFile, ResumableUpload

pytestmark = pytest.mark.e2e
WAIT = 30_000
FOLDER = "owners/jane"
TEXT = "Every file is checked by its content before it is kept in the file manager."


def looped_speech(folder: Path, name: str, seconds: int, text: str = TEXT) -> Path:
    """espeak-ng speech at 48 kHz, repeated to about ``seconds`` (16-bit mono: ~96 kB a second)."""
    one = speech_wav(folder / f"{name}-one.wav", text)
    length = float(subprocess.run(["soxi", "-D", str(one)], capture_output=True, text=True, check=True).stdout)
    out = folder / f"{name}.wav"
    subprocess.run(["sox", str(one), str(out), "repeat", str(max(0, round(seconds / length) - 1))], check=True,
                   timeout=60)
    return out


def duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    return float(out)


def open_upload_page(page, live_server, org) -> None:
    page.goto(f"{live_server.url}/vm/files/upload/?org={org.public_id}")
    page.fill("input[name=path]", FOLDER)


def row(page, name: str):
    return page.locator(".upload-row", has=page.locator(".upload-name", has_text=name))


def wait_done(page, count: int) -> None:
    """Until ``count`` rows have a final status (stored, or refused with a reason)."""
    page.wait_for_function(
        f"document.querySelectorAll('.upload-row .upload-status.badge').length === {count}", timeout=WAIT)


def test_admin_uploads_wav_mp3_and_a_fake_wav_at_once(live_server, transactional_db, cast, launch_browser, tmp_path,
                                                      settings):
    wav = looped_speech(tmp_path, "session", seconds=32)
    assert 2.8e6 < wav.stat().st_size < 3.6e6
    mp3 = tmp_path / "session.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", "128k",
                    str(mp3)], check=True, timeout=60)
    fake = tmp_path / "notes.wav"
    fake.write_text("These are my notes, not a recording.\n" * 200)

    browser = launch_browser()
    context = logged_in_context(browser, live_server, cast.admin_x)
    page = context.new_page()
    open_upload_page(page, live_server, cast.org_x)
    page.set_input_files("input[type=file]", [str(wav), str(mp3), str(fake)])
    page.click("#file-upload button[type=submit]")
    wait_done(page, 3)

    assert page.locator(".upload-row progress").count() == 3
    for path in (wav, mp3):
        r = row(page, path.name)
        assert r.locator(".upload-status").inner_text() == "stored"
        assert r.locator("progress").get_attribute("value") == "100"
    bad = row(page, fake.name).locator(".upload-status")
    assert "badge-fail" in bad.get_attribute("class")
    assert "not a recognised audio format" in bad.inner_text(), bad.inner_text()

    files = {f.name: f for f in AudioFile.objects.filter(organisation=cast.org_x, source="upload")}
    assert sorted(files) == ["session.mp3", "session.wav"], sorted(files)
    for path in (wav, mp3):
        f = files[path.name]
        assert f.path == FOLDER
        assert f.sha256 == sha256_file(path) == sha256_file(f.file.path)
        assert f.size == path.stat().st_size
        assert f.duration == pytest.approx(duration(path), abs=0.1)
    assert files["session.wav"].sample_rate == 48000
    assert not AudioFile.objects.filter(name__icontains="notes").exists()
    assert ResumableUpload.objects.count() == 0  # the refused file's bytes and row are gone too
    assert not any(Path(settings.UPLOAD_TEMP_DIR).glob("*.part"))

    # They are in the file manager, under the chosen folder.
    page.goto(f"{live_server.url}/vm/files/?org={cast.org_x.public_id}&path={FOLDER}")
    listing = page.inner_text("main")
    assert "session.wav" in listing and "session.mp3" in listing and "notes" not in listing


def test_upload_broken_off_mid_patch_resumes_and_is_stored_once(live_server, transactional_db, cast, launch_browser,
                                                                 tmp_path):
    wav = looped_speech(tmp_path, "resume", seconds=30, text="A broken connection must not cost the whole file.")
    data = wav.read_bytes()
    browser = launch_browser()
    context = logged_in_context(browser, live_server, cast.admin_x)
    page = context.new_page()
    patches: list[int] = []  # Upload-Offset of every PATCH the browser sent
    completes: list[int] = []
    page.on("request", lambda r: patches.append(int(r.headers["upload-offset"])) if r.method == "PATCH" else None)
    page.on("response", lambda r: completes.append(r.status) if r.url.endswith("/vm/files/upload/complete") else None)
    cut = []

    def break_first_patch(route):
        request = route.request
        if request.method != "PATCH" or cut:
            route.continue_()
            return
        # Half the body reaches the server, then the connection dies before any answer.
        offset = int(request.headers["upload-offset"])
        half = data[offset:offset + (len(data) - offset) // 2]
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        response = route.fetch(headers=headers, post_data=half)
        cut.append((response.status, int(response.headers["upload-offset"])))
        route.abort("connectionreset")

    page.route("**/uploads/**", break_first_patch)
    open_upload_page(page, live_server, cast.org_x)
    page.set_input_files("input[type=file]", str(wav))
    page.click("#file-upload button[type=submit]")
    wait_done(page, 1)

    assert row(page, wav.name).locator(".upload-status").inner_text() == "stored"
    assert cut == [(204, len(data) // 2)]
    # The browser resumed from the server's offset instead of starting again.
    assert patches[0] == 0 and patches[1:] == [len(data) // 2], patches
    assert completes == [201]
    stored = AudioFile.objects.filter(organisation=cast.org_x, path=FOLDER)
    assert stored.count() == 1
    f = stored.get()
    assert f.name == wav.name and f.size == len(data)
    assert Path(f.file.path).read_bytes() == data and f.sha256 == sha256_file(wav)
    assert ResumableUpload.objects.count() == 0
