"""SQLite, the run command's database, under two tabs submitting one section at the same moment.

The server is a subprocess (``manage.py runserver``, threaded, as the run command starts it) on a
SQLite file, because pytest's own database is PostgreSQL. Before ``"transaction_mode": "IMMEDIATE"``
the losing request's write lock upgrade failed at once with "database is locked" (a 500, and a WAV
in storage that no row points to); now the second writer waits on the busy timeout and both takes
are stored.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import requests

from booth.tests.helpers import sha, tone_wav
from e2e.services import free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 6

SETUP = r"""
import io, django
django.setup()
from django.core.files import File
from voicemanager.core.demo import create_demo
from voicemanager.models import AudioFile, ConsentDocument, ConsentRecording, ConsentSignature
demo = create_demo()
task, speaker = demo.task, demo.task.speaker
for doc in ConsentDocument.objects.current():
    ConsentSignature.objects.get_or_create(speaker=speaker, document=doc, defaults={
        "typed_name": "Tara Talent", "document_version": doc.version, "text_hash": doc.text_hash})
audio = AudioFile(organisation=task.organisation, path="consent", name="consent.wav",
                  source=AudioFile.Source.CONSENT, speaker=speaker)
audio.file.save("consent.wav", File(io.BytesIO(b"RIFF"), name="consent.wav"), save=False)
audio.size = 4
audio.save()
ConsentRecording.objects.create(speaker=speaker, organisation=task.organisation, task=task, audio=audio,
                                statement="I agree.")
print(task.public_id, task.script.sections.order_by("position").first().pk)
"""


@pytest.fixture
def sqlite_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", MEDIA_ROOT=str(tmp_path / "media"),
               DEBUG="1", TESTING="0", AXES_ENABLED="0", SECURE="0")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True,
                   timeout=300)
    out = subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    task_id, section_id = out.stdout.split()[-2:]
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def answers():
        try:
            return requests.get(base + "/accounts/login/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_until(answers, timeout=60, interval=0.3, message="runserver on SQLite")
        yield base, task_id, int(section_id), tmp_path
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _signed_in(base: str) -> requests.Session:
    session = requests.Session()
    session.get(base + "/accounts/login/", timeout=10)
    r = session.post(base + "/accounts/login/", data={"username": "talent@demo.local", "password": "demo-talent-pass",
                                                       "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                     headers={"Referer": base + "/accounts/login/"}, timeout=20, allow_redirects=False)
    assert r.status_code == 302, r.text[:500]
    return session


def _upload(base: str, tab: requests.Session, task_id: str, section_id: int, audio: bytes) -> requests.Response:
    client_id = str(uuid.uuid4())
    return tab.post(f"{base}/booth/tasks/{task_id}/sections/{section_id}/takes/",
                    files={"audio": (f"{client_id}.wav", audio, "audio/wav")},
                    data={"client_id": client_id, "sha256": sha(audio), "kind": "take"},
                    headers={"X-CSRFToken": tab.cookies["csrftoken"], "Referer": base + "/booth/"}, timeout=60)


def _at_once(calls) -> list[requests.Response]:
    barrier, answers = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i, call):
        barrier.wait(timeout=30)
        answers[i] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    return answers


STORED = r"""
import json, django
django.setup()
from voicemanager.models import AudioFile
print(json.dumps(sorted(AudioFile.objects.values_list("file", flat=True))))
"""


def test_two_tabs_submitting_one_section_at_once_never_get_a_500(sqlite_server):
    base, task_id, section_id, tmp_path = sqlite_server
    tabs = [_signed_in(base), _signed_in(base)]
    audio = tone_wav(1.5)
    answers = []
    for _ in range(ROUNDS):
        uploads = _at_once([lambda tab=tab: _upload(base, tab, task_id, section_id, audio) for tab in tabs])
        answers += [(r.status_code, r.text[:300]) for r in uploads]
        takes = [r.json()["take_id"] for r in uploads if r.status_code == 201]
        submits = _at_once([
            lambda tab=tab, take=take: tab.post(f"{base}/booth/tasks/{task_id}/takes/{take}/submit/",
                                                headers={"X-CSRFToken": tab.cookies["csrftoken"], "HX-Request": "true",
                                                         "Referer": base + "/booth/"}, timeout=60)
            for tab, take in zip(tabs, takes, strict=False)])
        answers += [(r.status_code, r.text[:300]) for r in submits]
    server_errors = [a for a in answers if a[0] >= 500]
    assert not server_errors, f"{len(server_errors)} of {len(answers)} answers were 5xx: {server_errors[:2]}"
    assert [status for status, _ in answers] == [201, 201, 200, 200] * ROUNDS, answers
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", MEDIA_ROOT=str(tmp_path / "media"), DEBUG="1",
               DJANGO_SETTINGS_MODULE="config.settings")
    out = subprocess.run([sys.executable, "-c", STORED], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-1500:]
    rows = {Path(name).name for name in json.loads(out.stdout.strip().splitlines()[-1])}
    on_disk = {p.name for p in (tmp_path / "media").rglob("file_*.wav")}
    assert on_disk <= rows, f"WAVs in storage that no row points to: {sorted(on_disk - rows)}"
