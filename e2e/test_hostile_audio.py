"""The hostile audio corpus (e2e/hostile/make_corpus.py) against the validator, the booth and the files API.

Every entry gets a clear error (or, for good audio behind a hostile name, is stored under
a generated name); a refused upload leaves no row, no storage object and no temp file;
and no validation takes long (decoding has time and size limits).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from e2e.hostile.make_corpus import Entry, build
from tasks.audio.decode import AudioRejected, validate

ROOT = Path(__file__).resolve().parent.parent
VALIDATE_BOUND_S = 15.0  # generous for a loaded 2-core box; the corpus validates in well under 1 s each here
CORPUS_KEYS = [e.key for e in build(Path(tempfile.mkdtemp(prefix="corpus-keys-")))]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Entry]:
    return {e.key: e for e in build(tmp_path_factory.mktemp("hostile"))}


def take_limits(settings) -> dict:
    return dict(max_bytes=settings.TAKE_MAX_BYTES, min_s=settings.TAKE_MIN_SECONDS, max_s=settings.TAKE_MAX_SECONDS,
                min_rate=settings.TAKE_MIN_SAMPLE_RATE)


@pytest.mark.parametrize("key", CORPUS_KEYS)
def test_validator_answers_every_entry_quickly_and_clearly(key, corpus, settings):
    entry = corpus[key]
    for limits in (take_limits(settings), {}):  # the booth's limits, then the file manager's defaults
        started = time.monotonic()
        try:
            info = validate(entry.path, **limits)
            outcome = None
        except AudioRejected as exc:
            outcome = exc
        elapsed = time.monotonic() - started
        assert elapsed < VALIDATE_BOUND_S, f"{key}: validation took {elapsed:.1f} s"
        if entry.expect == "reject":
            assert outcome is not None, f"{key} ({entry.note}) was accepted: {info}"
            assert outcome.code in entry.codes, f"{key}: code {outcome.code!r}, expected one of {set(entry.codes)}"
            assert len(outcome.message) > 20 and "Traceback" not in outcome.message
        else:
            assert outcome is None, f"{key}: good audio refused: {outcome and outcome.message}"
            assert 2.0 < info.duration_s < 3.0


HOUR_PROBE = r"""
import json, sys, time
from tasks.audio.decode import AudioRejected, validate
path = sys.argv[1]
out = {}
t = time.monotonic()
try:
    validate(path, max_bytes=64 * 1024 * 1024, max_s=60)
except AudioRejected as exc:
    out["take"] = exc.code
out["take_s"] = time.monotonic() - t
t = time.monotonic()
info = validate(path)  # the file manager's limits: an hour is fine, decoded block by block
# VmHWM: this process's peak resident memory (ru_maxrss would carry over pytest's own across exec).
hwm_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
out.update(hour_s=time.monotonic() - t, duration=info.duration_s, maxrss_mb=hwm_kb / 1024)
print(json.dumps(out))
"""


@pytest.mark.slow
def test_one_hour_silent_file_is_streamed_not_loaded_whole(tmp_path):
    from e2e.hostile.make_corpus import write_silent_hour

    hour = write_silent_hour(tmp_path / "hour.wav")
    size_mb = hour.stat().st_size / 1e6
    out = subprocess.run([sys.executable, "-c", HOUR_PROBE, str(hour)], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["take"] in ("too_long", "too_large"), "a booth take of an hour is refused"
    assert got["take_s"] < 5, "refused from its header, before decoding"
    assert got["duration"] == pytest.approx(3600.0)
    assert got["hour_s"] < 240
    assert got["maxrss_mb"] < size_mb * 0.6, f"peak memory {got['maxrss_mb']:.0f} MB for a {size_mb:.0f} MB file"


# --- through the endpoints -----------------------------------------------------------------------------


def stored_files(root: Path) -> set[str]:
    """Every file in MEDIA_ROOT except the upload temp folder (checked separately)."""
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "uploads-tmp" not in p.parts}


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Python's temp dir for this test only, so leftovers (spooled uploads, API temp copies) can be counted."""
    folder = tmp_path / "py-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def consented_task(cast):
    """Contractor A's task with the documents signed and a consent recording on file (booth is open)."""
    from booth.tests.helpers import sign_all
    from e2e.hostile.make_corpus import tone, wav_bytes
    from voicemanager.models import AudioFile, ConsentRecording

    sign_all(cast.speaker_a)
    audio = AudioFile(organisation=cast.org_x, name="consent.wav", source=AudioFile.Source.CONSENT)
    audio.file.save("consent.wav", ContentFile(wav_bytes(tone())), save=False)
    audio.save()
    ConsentRecording.objects.create(speaker=cast.speaker_a, organisation=cast.org_x, task=cast.task_a, audio=audio,
                                    statement="I consent.")
    return cast.task_a


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("key", CORPUS_KEYS)
def test_booth_take_upload_refuses_or_safely_stores_each_entry(key, corpus, cast, consented_task, client, settings,
                                                               private_tmp):
    import uuid

    from voicemanager.models import Take

    entry = corpus[key]
    media = Path(settings.MEDIA_ROOT)
    before_files = stored_files(media)
    before_takes = Take.objects.filter(task=consented_task).count()
    section = consented_task.script.sections.order_by("position").first()
    client.force_login(cast.contractor_a)
    data = entry.data
    resp = client.post(f"/booth/tasks/{consented_task.public_id}/sections/{section.pk}/takes/", {
        "audio": SimpleUploadedFile(entry.filename, data, content_type=entry.content_type),
        "client_id": str(uuid.uuid4()), "sha256": _sha(data), "kind": "take"})
    assert resp.status_code < 500, resp.content[:500]
    body = resp.json()
    temp_left = [p for p in (Path(settings.UPLOAD_TEMP_DIR).rglob("*")) if p.is_file()] + list(private_tmp.iterdir())
    assert not temp_left, f"temp files left behind: {temp_left}"
    if entry.expect == "reject":
        codes = set(entry.codes) | ({"no_audio"} if key == "empty" else set())
        assert resp.status_code in (400, 413, 415, 422), f"{key}: {resp.status_code} {body}"
        assert body["error"]["code"] in codes, f"{key}: {body}"
        assert Take.objects.filter(task=consented_task).count() == before_takes, "no row for a refused take"
        assert stored_files(media) == before_files, "no storage object for a refused take"
    else:
        assert resp.status_code == 201, f"{key}: {body}"
        take = Take.objects.get(public_id=body["take_id"])
        assert take.file.name == f"orgs/{cast.org_x.public_id}/takes/{consented_task.public_id}/{take.public_id}.wav"
        new = stored_files(media) - before_files
        assert new == {take.file.name}, f"only the generated key is written: {new}"
        assert not any(p.is_file() for p in media.parent.glob("etc/**/*")), "nothing escapes MEDIA_ROOT"


@pytest.mark.parametrize("key", CORPUS_KEYS)
def test_files_api_refuses_or_safely_stores_each_entry(key, corpus, cast, client, settings, private_tmp):
    from voicemanager.models import AudioFile

    entry = corpus[key]
    media = Path(settings.MEDIA_ROOT)
    before_files = stored_files(media)
    upload = SimpleUploadedFile(entry.filename, entry.data, content_type=entry.content_type)
    resp = client.post("/api/v2/files", {"file": upload, "path": "hostile"}, HTTP_X_API_KEY=cast.api_key_x)
    assert resp.status_code < 500, resp.content[:500]
    body = resp.json()
    assert not list(private_tmp.iterdir()), f"temp files left behind: {list(private_tmp.iterdir())}"
    if entry.expect == "reject":
        assert resp.status_code in (400, 413, 415, 422), f"{key}: {resp.status_code} {body}"
        error = body["error"]
        assert error["code"] in ("invalid_audio", "empty_file", "no_file") or error["code"] in entry.codes, body
        assert not AudioFile.objects.exists(), "no row for a refused file"
        assert stored_files(media) == before_files, "no storage object for a refused file"
    else:
        assert resp.status_code == 201, f"{key}: {body}"
        audio = AudioFile.objects.get(public_id=body["fileId"])
        assert audio.file.name.startswith(f"orgs/{cast.org_x.public_id}/files/{audio.public_id}.")
        assert "\x00" not in audio.name and len(audio.name.encode()) <= 255 and "/" not in audio.name, audio.name
        assert audio.name.strip() and ".." not in audio.name.split("/")
        assert stored_files(media) - before_files == {audio.file.name}
