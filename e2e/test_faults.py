"""Service faults with real services: Redis stopped and restarted, PostgreSQL connections killed, storage full.

Web and worker run as real processes (gunicorn and ``celery worker``, the way docker-compose
starts them) against the test database and a PRIVATE Redis on its own port, so stopping
Redis never touches the shared one on 6379. Worker SIGKILLs mid-job are tested by the
features' own tests (denoise, packaging, deletion).
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from e2e.services import free_port, port_open, wait_until

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


# --- real processes -------------------------------------------------------------------------------


class PrivateRedis:
    """redis-server on its own port with an append-only file, so a restart keeps what it had accepted."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--dir", str(self.folder), "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(lambda: port_open(self.port), timeout=15, message="private redis")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=15)
        wait_until(lambda: not port_open(self.port), timeout=10, message="redis down")


class WebServer:
    """gunicorn config.wsgi as docker-compose runs it (2 sync workers), on 127.0.0.1."""

    def __init__(self, env: dict):
        self.port = free_port()
        self.env = env
        self.process: subprocess.Popen | None = None
        fd, self.log_path = tempfile.mkstemp(prefix="gunicorn-", suffix=".log")
        os.close(fd)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WebServer:
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", "2",
             "--timeout", "120"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        wait_until(lambda: port_open(self.port) or self.process.poll() is not None, timeout=60, message="gunicorn")
        assert self.process.poll() is None, self.log()
        return self

    def log(self) -> str:
        return Path(self.log_path).read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def service_env(worker_env: dict, redis_url: str) -> dict:
    env = dict(worker_env)
    env.update(REDIS_URL=redis_url, CELERY_BROKER_URL=redis_url, CELERY_RESULT_BACKEND=redis_url,
               DEBUG="0", TESTING="0", SECURE="0", AXES_ENABLED="0", ALLOWED_HOSTS="127.0.0.1,localhost",
               CONN_MAX_AGE="60", PYTHONPATH=str(ROOT))
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


@pytest.fixture
def redis_private(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    (tmp_path / "redis").mkdir()
    server = PrivateRedis(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def stack(worker_env, redis_private, worker_process):
    """gunicorn + one celery worker, both on the private Redis and the test database."""
    env = service_env(worker_env, redis_private.url)
    web = WebServer(env).start()
    worker = worker_process(name="faults", concurrency=1, **{k: env[k] for k in (
        "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "TESTING", "SECURE", "CONN_MAX_AGE")})
    yield type("Stack", (), {"web": web, "worker": worker, "redis": redis_private, "env": env})
    web.stop()


def tone_wav(seconds: float = 2.0, rate: int = 48000, freq: float = 330.0) -> bytes:
    """A distinct tone per call (so no two uploads share a checksum)."""
    import numpy as np

    from e2e.hostile.make_corpus import wav_bytes

    t = np.arange(int(seconds * rate)) / rate
    return wav_bytes((0.2 * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate)


def api_upload(base: str, key: str, data: bytes, name: str, timeout: float = 60.0) -> tuple[int, dict]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile(name, data, "audio/wav"), "path": "faults"})
    request = urllib.request.Request(f"{base}/api/v2/files", data=body, method="POST",
                                     headers={"Content-Type": MULTIPART_CONTENT, "x-api-key": key})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - 127.0.0.1 test server
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw or b"{}")
        except ValueError:
            return exc.code, {"raw": raw[:300].decode(errors="replace")}


def analysed(public_ids: list[str]) -> bool:
    from voicemanager.models import AudioFile

    states = dict(AudioFile.objects.filter(public_id__in=public_ids).values_list("public_id", "analysis_state"))
    return len(states) == len(public_ids) and all(s in ("done", "failed") for s in states.values())


def send_as_beat(redis_url: str, task_name: str) -> None:
    """Send a periodic job the way celery beat does (a message on the broker), to the private Redis,
    under this install's key prefix (CELERY_KEY_PREFIX), as the install's own beat would."""
    from celery import Celery
    from django.conf import settings

    beat = Celery("beat-probe", broker=redis_url)
    beat.conf.broker_transport_options = {"global_keyprefix": settings.CELERY_KEY_PREFIX}
    try:
        beat.send_task(task_name)
    finally:
        beat.close()


# --- Redis stopped and restarted ---------------------------------------------------------------------------


def test_uploads_during_a_redis_outage_are_accepted_and_processed_when_redis_is_back(cast, stack):
    from voicemanager.models import AudioFile, OutboxMessage

    base, key = stack.web.base, cast.api_key_x
    status, first = api_upload(base, key, tone_wav(freq=220), "before.wav")
    assert status == 201, (first, stack.web.log())
    wait_until(lambda: analysed([first["fileId"]]), timeout=90, message="job before the outage")

    stack.redis.stop()
    during = []
    for i in range(3):
        started = time.monotonic()
        status, body = api_upload(base, key, tone_wav(freq=240 + 20 * i), f"during-{i}.wav")
        assert status == 201, f"upload {i} during the outage: {status} {body}\n{stack.web.log()}"
        assert time.monotonic() - started < 20, "an upload must not hang on the broker"
        during.append(body["fileId"])
    stored = AudioFile.objects.filter(public_id__in=during)
    assert stored.count() == 3 and all(f.analysis_state == "pending" for f in stored)
    unsent = OutboxMessage.objects.filter(sent_at=None, done_at=None, task_name="tasks.files.process_new_file")
    assert unsent.count() == 3, "each job waits in the outbox"

    stack.redis.start()  # same port, same append-only file
    time.sleep(1)
    send_as_beat(stack.redis.url, "voicemanager.core.outbox.flush_outbox")
    wait_until(lambda: analysed(during), timeout=120, message=f"jobs after the outage\n{stack.worker.log()}")
    # the worker marks a message done just after its job commits (task_postrun): a moment later
    wait_until(lambda: not OutboxMessage.objects.filter(done_at=None).exists(), timeout=30,
               message="every outbox message is done")
    assert AudioFile.objects.filter(public_id__in=during, analysis_state="done").count() == 3


# --- PostgreSQL connections killed -------------------------------------------------------------------------


def kill_backends(dbname: str, except_pid: int) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> %s AND pid <> pg_backend_pid()", [dbname, except_pid])
        return cur.fetchone()[0]


def test_killed_database_connections_fail_requests_cleanly_and_jobs_recover(cast, stack):
    from django.db import connection

    from voicemanager.models import AudioFile

    dbname = connection.settings_dict["NAME"]
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        own = cur.fetchone()[0]
    base, key = stack.web.base, cast.api_key_x
    # Warm connections (CONN_MAX_AGE=60 keeps them), then kill them all between requests.
    assert api_upload(base, key, tone_wav(), "warm.wav")[0] == 201
    assert kill_backends(dbname, own) >= 1
    status, body = api_upload(base, key, tone_wav(freq=250), "after-kill.wav")
    assert status == 201, f"a dead pooled connection is replaced (CONN_HEALTH_CHECKS): {status} {body}"

    # A storm: kill every backend of the test database every 150 ms while uploads and jobs run.
    results: list[tuple[int, dict]] = []
    stop = threading.Event()

    def storm():
        while not stop.is_set():
            kill_backends(dbname, own)
            time.sleep(0.15)

    killer = threading.Thread(target=storm, daemon=True)
    killer.start()
    try:
        for i in range(8):
            results.append(api_upload(base, key, tone_wav(freq=260 + i), f"storm-{i}.wav", timeout=60))
    finally:
        stop.set()
        killer.join(5)
    codes = [s for s, _ in results]
    assert all(s == 201 or s >= 500 for s in codes), f"only success or a clean server error: {codes}"
    ok_ids = [b["fileId"] for s, b in results if s == 201]
    storm_rows = AudioFile.objects.filter(path="faults", name__startswith="storm-")
    assert sorted(storm_rows.values_list("public_id", flat=True)) == sorted(ok_ids), \
        "a failed request leaves no row; every 201 has its row"
    media = Path(stack.env["MEDIA_ROOT"])
    stored = {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file() and "uploads-tmp" not in p.parts}
    rows = set(AudioFile.objects.values_list("file", flat=True))
    assert stored <= rows | {n for n in stored if not n.startswith("orgs/")}, \
        f"no half-written objects without a row: {sorted(stored - rows)}"

    # After the storm the server answers again, and every accepted file's job finishes (retried or re-sent).
    status, body = api_upload(base, key, tone_wav(freq=300), "after-storm.wav")
    assert status == 201, body
    send_as_beat(stack.redis.url, "voicemanager.core.outbox.flush_outbox")
    wait_until(lambda: analysed(ok_ids + [body["fileId"]]), timeout=150,
               message=f"jobs after the storm\n{stack.worker.log()}")
    assert stack.worker.process.poll() is None, "the worker survived"


# --- storage failing or full ---------------------------------------------------------------------------------


class FullStorage(FileSystemStorage):
    """A disk that is full: every write fails with ENOSPC (fault injection at the storage boundary)."""

    def _save(self, name, content):
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def full_disk(settings):
    from django.core.files.storage import storages

    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "e2e.test_faults.FullStorage"}}
    storages._storages.pop("default", None)
    yield
    storages._storages.pop("default", None)


def test_booth_upload_on_a_full_disk_is_a_retryable_error_and_stores_nothing(cast, client, full_disk, settings):
    from booth.tests.helpers import sign_all
    from voicemanager.models import AudioFile, ConsentRecording, Take

    sign_all(cast.speaker_a)
    consent_audio = AudioFile.objects.create(organisation=cast.org_x, name="c.wav", file="seed/c.wav",
                                             source=AudioFile.Source.CONSENT)
    ConsentRecording.objects.create(speaker=cast.speaker_a, organisation=cast.org_x, task=cast.task_a,
                                    audio=consent_audio, statement="I consent.")
    section = cast.task_a.script.sections.order_by("position").first()
    data = tone_wav()
    client.force_login(cast.contractor_a)
    from django.core.files.uploadedfile import SimpleUploadedFile

    resp = client.post(f"/booth/tasks/{cast.task_a.public_id}/sections/{section.pk}/takes/", {
        "audio": SimpleUploadedFile(f"{uuid.uuid4()}.wav", data, "audio/wav"), "client_id": str(uuid.uuid4()),
        "sha256": hashlib.sha256(data).hexdigest(), "kind": "take"})
    assert resp.status_code in (503, 507), f"retryable server error expected, got {resp.status_code}"
    assert resp.json()["error"]["code"] in ("storage_full", "storage_unavailable", "server_busy")
    assert "space" in resp.json()["error"]["message"].lower() or "storage" in resp.json()["error"]["message"].lower()
    assert not Take.objects.filter(task=cast.task_a).exists(), "nothing half-written is marked stored"
    temp = Path(settings.UPLOAD_TEMP_DIR)
    assert not [p for p in temp.rglob("*") if p.is_file()], "no temp file left"


def test_files_api_upload_on_a_full_disk_is_a_retryable_error_and_stores_nothing(cast, client, full_disk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from voicemanager.models import AudioFile, OutboxMessage

    resp = client.post("/api/v2/files", {"file": SimpleUploadedFile("a.wav", tone_wav(), "audio/wav")},
                       HTTP_X_API_KEY=cast.api_key_x)
    assert resp.status_code in (503, 507), f"retryable server error expected, got {resp.status_code}"
    assert resp.json()["error"]["code"] in ("storage_full", "storage_unavailable", "server_busy")
    assert not AudioFile.objects.exists() and not OutboxMessage.objects.exists()


# --- the transaction fails after its COMMIT went through ------------------------------------------------------


def _fail_after_commit(monkeypatch, owner, name: str) -> None:
    """``owner.name`` (called inside the upload's transaction) also leaves a hook that raises once the
    transaction has committed: a connection that dies right after COMMIT fails the request that way."""
    from django.db import OperationalError, transaction

    real = getattr(owner, name)

    def wrapped(*args, **kwargs):
        result = real(*args, **kwargs)

        def lost():
            raise OperationalError("server closed the connection unexpectedly")

        transaction.on_commit(lost)
        return result

    monkeypatch.setattr(owner, name, wrapped)


def test_upload_committed_before_a_failure_keeps_its_file(cast, transactional_db, monkeypatch, tmp_path):
    from voicemanager.files import uploads as file_uploads
    from voicemanager.models import AudioFile

    src = tmp_path / "a.wav"
    src.write_bytes(tone_wav())
    _fail_after_commit(monkeypatch, file_uploads.audit, "record")
    audio = file_uploads.store_uploaded_file(cast.org_x, cast.admin_x, "faults", "after-commit.wav", src)
    assert AudioFile.objects.filter(pk=audio.pk).exists()
    assert audio.file.storage.exists(audio.file.name), "a committed row never loses its audio"


def test_take_committed_before_a_failure_keeps_its_file_and_a_retry_finds_it(cast, transactional_db, monkeypatch,
                                                                             tmp_path):
    from booth.tests.helpers import sign_all
    from voicemanager.models import Take
    from voicemanager.recording import uploads

    sign_all(cast.speaker_a)
    section = cast.task_a.script.sections.order_by("position").first()
    data = tone_wav()
    client_id = str(uuid.uuid4())

    def received():
        path = tmp_path / f"{uuid.uuid4()}.wav"
        path.write_bytes(data)
        return uploads.Received(path=path, sha256=hashlib.sha256(data).hexdigest(), client_id=client_id,
                                kind="take", owned=True)

    _fail_after_commit(monkeypatch, uploads, "_after_store")
    take, created = uploads.store_recording(cast.task_a, section, received(), user=cast.contractor_a)
    assert created and Take.objects.filter(pk=take.pk).exists()
    assert take.file.storage.exists(take.file.name), "a committed take never loses its audio"
    monkeypatch.undo()
    again, created = uploads.store_recording(cast.task_a, section, received(), user=cast.contractor_a)
    assert (again.pk, created) == (take.pk, False)  # the browser's retry gets the same take back


def test_upload_failing_before_commit_leaves_nothing(cast, transactional_db, monkeypatch, tmp_path):
    from django.db import OperationalError

    from voicemanager.files import uploads as file_uploads
    from voicemanager.models import AudioFile

    src = tmp_path / "a.wav"
    src.write_bytes(tone_wav())

    def broken(*args, **kwargs):
        raise OperationalError("connection lost before COMMIT")

    monkeypatch.setattr(file_uploads.audit, "record", broken)
    media = Path(AudioFile._meta.get_field("file").storage.location)
    before = {p for p in media.rglob("*") if p.is_file()}
    with pytest.raises(OperationalError):
        file_uploads.store_uploaded_file(cast.org_x, cast.admin_x, "faults", "before-commit.wav", src)
    assert not AudioFile.objects.exists()
    assert {p for p in media.rglob("*") if p.is_file()} == before, "the stored object is removed"
