"""The run command's pieces: a generated SECRET_KEY on first run, and a process set that survives a dead worker.

The supervision test starts the Procfile with honcho exactly as config/scripts/run.sh does (database,
media and beat schedule in a temp dir, Redis db of the test run), SIGKILLs the Celery worker's main
process and then beat, and checks that each comes back as a new process while the web keeps
answering. Before restart.sh, honcho stopped web and beat as soon as the worker died.
"""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from e2e.services import free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def _ensure_key(env_file: Path, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    return subprocess.run(["bash", "-c", 'source config/scripts/common.sh && secret_key_ensure "$1"', "_", str(env_file)],
                          cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60)


def test_first_run_generates_a_secret_key_and_never_replaces_it(tmp_path):
    env_file = tmp_path / ".env"
    assert _ensure_key(env_file).returncode == 0
    first = env_file.read_text()
    key = first.strip().removeprefix("SECRET_KEY=")
    assert first.startswith("SECRET_KEY=") and len(key) >= 50 and len(set(key)) > 20
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600, "the key file is readable by its owner only"
    assert _ensure_key(env_file).returncode == 0
    assert env_file.read_text() == first, "a second run keeps the key (signed links stay valid)"

    other = tmp_path / "other.env"
    other.write_text("DEBUG=1\nPORT=8001")  # no final newline, no key
    _ensure_key(other)
    lines = other.read_text().splitlines()
    assert lines[:2] == ["DEBUG=1", "PORT=8001"] and lines[2].startswith("SECRET_KEY=") and len(lines) == 3
    assert lines[2] != first.strip(), "every install gets its own key"

    given = tmp_path / "given.env"
    _ensure_key(given, SECRET_KEY="from-the-environment-" + "x" * 40)
    assert not given.exists(), "a key from the environment is not written anywhere"


# --- supervision ---------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(c) for t in tasks for c in (t / "children").read_text().split()]
    except OSError:
        return []


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            out.append(child)
            todo.append(child)
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _supervised(root_pid: int, name: str, marker: str) -> int | None:
    """The main process of a Procfile line's command (``celery ... worker``), not its pool children."""
    words = (marker, f" {name} ")
    for pid in _descendants(root_pid):
        cmd = _cmdline(pid)
        if all(w in cmd for w in words) and "restart.sh" not in cmd and not all(
                w in _cmdline(_parent(pid)) and "restart.sh" not in _cmdline(_parent(pid)) for w in words):
            return pid
    return None


@pytest.fixture
def procfile_set(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS", "DATABASE_URL"))}
    port = free_port()
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", MEDIA_ROOT=str(tmp_path / "media"), DEBUG="1",
               TESTING="0", PORT=str(port), CELERY_BEAT_SCHEDULE=str(tmp_path / "beat-schedule"),
               PATH=f"{VENV_BIN}:{env['PATH']}")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True,
                   timeout=300)
    (tmp_path / "empty.env").write_text("")
    log = (tmp_path / "honcho.log").open("w")
    honcho = subprocess.Popen([str(VENV_BIN / "honcho"), "-f", "Procfile", "-e", str(tmp_path / "empty.env"), "start"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    seen: set[int] = set()
    try:
        yield honcho, f"http://127.0.0.1:{port}", seen, tmp_path / "honcho.log"
    finally:
        seen.update(_descendants(honcho.pid))
        if honcho.poll() is None:
            honcho.send_signal(signal.SIGINT)
            try:
                honcho.wait(timeout=40)
            except subprocess.TimeoutExpired:
                honcho.kill()
        for pid in seen:  # anything of ours that outlived the stop
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()


def _web_answers(url: str) -> bool:
    try:
        return requests.get(url + "/accounts/login/", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def test_a_killed_worker_and_beat_come_back_and_the_web_keeps_serving(procfile_set):
    honcho, url, seen, log = procfile_set
    wait_until(lambda: _web_answers(url), timeout=120, interval=0.5, message="the web process")
    worker = wait_until(lambda: _supervised(honcho.pid, "worker", "celery"), timeout=60, message="the worker")
    beat = wait_until(lambda: _supervised(honcho.pid, "beat", "celery"), timeout=60, message="beat")
    seen.update(_descendants(honcho.pid))
    web_host = next(_cmdline(p) for p in _descendants(honcho.pid) if "runserver" in _cmdline(p))
    assert "runserver 127.0.0.1:" in web_host, "the run command serves the loopback address only"
    time.sleep(12)  # past restart.sh's quick-exit window: this is a crash, not a bad configuration

    os.kill(worker, signal.SIGKILL)
    new_worker = wait_until(lambda: (p := _supervised(honcho.pid, "worker", "celery")) not in (None, worker) and p,
                            timeout=60, message="a new worker process")
    assert honcho.poll() is None, "honcho did not stop the set: " + log.read_text()[-2000:]
    assert _web_answers(url), "the web kept serving while the worker was restarted"

    os.kill(beat, signal.SIGKILL)
    wait_until(lambda: (p := _supervised(honcho.pid, "beat", "celery")) not in (None, beat) and p,
               timeout=60, message="a new beat process")
    seen.update(_descendants(honcho.pid))
    time.sleep(3)
    assert _supervised(honcho.pid, "worker", "celery") == new_worker, "the new worker stays up"
    assert honcho.poll() is None and _web_answers(url)
    assert "worker exited with status 137" in log.read_text()

    everything = _descendants(honcho.pid)
    honcho.send_signal(signal.SIGINT)  # Ctrl-C
    honcho.wait(timeout=40)
    wait_until(lambda: not [p for p in everything if Path(f"/proc/{p}").exists()
                            and "zombie" not in Path(f"/proc/{p}/status").read_text(errors="replace")],
               timeout=30, message="every process stopped after Ctrl-C")
