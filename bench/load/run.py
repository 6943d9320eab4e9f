"""Load test (not in CI): N contractors upload 10-second 48 kHz takes while admins poll the Tasks tab.

    .venv/bin/python bench/load/run.py [--contractors 50] [--takes 10] [--admins 5] [--tasks 10000]

Starts the stack the way docker-compose does (gunicorn ``--workers 3 --threads 2``, persistent
database connections, one BLAS thread per process, celery worker ``-c 2`` at low CPU priority) against PostgreSQL database
``vm_load`` (dropped and recreated) and Redis db 11 on 127.0.0.1, seeds it
(bench/load/seed.py), then runs bounded loops: every contractor uploads ``--takes`` takes one
after another, as the booth does (upload, then submit the take, then the next section), and every
admin polls the Tasks tab's htmx partial once a second until the contractors finish. With the
script-check worker (the default), each contractor's take panel also asks for its take's script
check as the booth does (every 400 ms for 4 s, then every second) until it is there or the next
take is due (after the last take: at most 30 s more). A contractor
sends at most one take per ``--record-seconds`` (10: a 10 s take cannot be uploaded before it is
recorded); ``--record-seconds 0`` sends back to back (a stress test beyond what the booth allows). Prints a
table and writes bench/load/results.json. Everything listens on 127.0.0.1 only.

After the uploads stop it waits (at most ``--drain-max`` seconds) until the worker has analysed and
denoised every submitted take and reports that as ``worker_drain_s``: the worker runs behind the
uploads on purpose (lower priority) but must catch up. The script check (Whisper) runs on its own
``adherence`` queue and worker (``--adherence-workers``, 1 as in the Procfile, at the same low priority):
its backlog at the end and its drain time are reported apart, because one core checks about 12
continuously recording contractors and 50 are more than that by design of this test.

Worker priority: ``--worker-nice 10`` (default) starts the worker as the Procfile does, in its own
session with ``nice -n 10`` *and* its session's autogroup nice set to 10. With the kernel's
autogroup scheduling (on here and on most desktop/server distributions) nice values only rank
processes of the same session, so ``nice`` alone changes nothing for a worker started in its own
session (as honcho and this bench do). ``--worker-nice 0`` measures the worker at equal priority.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import json
import os
import secrets
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
DB = "vm_load"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def take_wav(seed: int, seconds: float = 10.0, rate: int = 48000) -> bytes:
    """A 10 s 48 kHz mono 16-bit take (960 kB): a voiced tone with pauses, different per contractor."""
    t = np.arange(int(seconds * rate)) / rate
    x = 0.25 * np.sin(2 * np.pi * (140 + seed) * t) * (np.sin(2 * np.pi * 0.7 * t) > -0.3)
    x += np.random.default_rng(seed).normal(0, 0.001, len(t))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def multipart(fields: dict, file_field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "----load" + secrets.token_hex(8)
    out = io.BytesIO()
    for k, v in fields.items():
        out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode())
    out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{filename}\"\r\n"
              "Content-Type: audio/wav\r\n\r\n".encode())
    out.write(data)
    out.write(f"\r\n--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], check=True,
                   capture_output=True)


def low_priority(cmd: list[str], nice: int) -> list[str]:
    """``cmd`` at ``nice`` for its session's autogroup and itself (see the module docstring); as in the Procfile."""
    if not nice:
        return cmd
    return ["sh", "-c", f"(echo {nice} > /proc/self/autogroup) 2>/dev/null; exec nice -n {nice} \"$@\"", "sh", *cmd]


class Stack:
    def __init__(self, env: dict, port: int):
        self.env, self.port, self.procs = env, port, []
        self.logdir = Path(tempfile.mkdtemp(prefix="load-logs-"))

    def start(self, name: str, cmd: list[str]) -> None:
        log = open(self.logdir / f"{name}.log", "wb")  # noqa: SIM115 - closed at exit
        self.procs.append(subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                           start_new_session=True))

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def wait_port(port: int, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing on port {port}")


def drop_if_closed(conn: http.client.HTTPConnection) -> None:
    """Like a browser's socket pool: never send on a kept-alive connection the server has closed.

    gunicorn's threaded workers keep a connection open for 2 s (``--keep-alive``); a contractor
    sends one take per 10 s, so by then the server has closed it (EOF waiting on the socket).
    """
    if conn.sock is not None and select.select([conn.sock], [], [], 0)[0]:
        conn.close()  # http.client connects again on the next request


def contractor(port: int, info: dict, n: int, seed: int, out: dict, record_s: float = 0.0,
               poll_script: bool = False) -> None:
    """Upload ``n`` takes; with ``record_s`` a take cannot start before it was recorded (the booth's pace).

    With ``poll_script`` the contractor's take panel then asks for the take's script check until
    it is there or the next take is due, as the booth does."""
    csrf = secrets.token_hex(16)
    headers = {"Cookie": f"sessionid={info['session']}; csrftoken={csrf}", "X-CSRFToken": csrf,
               "Accept": "application/json"}
    data = take_wav(seed)
    sha = hashlib.sha256(data).hexdigest()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    next_start = time.monotonic() + (seed % 10) * record_s / 10  # contractors did not all start at once
    for i in range(n):  # bounded: n takes, one section after another
        time.sleep(max(0.0, next_start - time.monotonic()))
        next_start = time.monotonic() + record_s
        section = info["sections"][i % len(info["sections"])]
        client_id = str(uuid.uuid4())
        body, ctype = multipart({"client_id": client_id, "sha256": sha, "kind": "take"}, "audio",
                                f"{client_id}.wav", data)
        out["sent"].append(client_id)
        drop_if_closed(conn)
        started = time.perf_counter()
        try:
            conn.request("POST", f"/booth/tasks/{info['task']}/sections/{section}/takes/", body,
                         {**headers, "Content-Type": ctype})
            resp = conn.getresponse()
            payload = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            out["errors"].append(f"upload: {exc}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            continue
        out["upload_ms"].append((time.perf_counter() - started) * 1000)
        out["last_upload_at"] = max(out.get("last_upload_at", 0.0), time.monotonic())
        if resp.status not in (200, 201):
            out["errors"].append(f"upload {resp.status}: {payload[:200]!r}")
            continue
        answer = json.loads(payload)
        if answer.get("sha256") != sha:
            out["errors"].append("checksum differs")
        out["stored_ok"].append(client_id)
        started = time.perf_counter()
        conn.request("POST", f"/booth/tasks/{info['task']}/takes/{answer['take_id']}/submit/", b"",
                     {**headers, "Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"})
        resp = conn.getresponse()
        resp.read()
        out["submit_ms"].append((time.perf_counter() - started) * 1000)
        if resp.status >= 400:
            out["errors"].append(f"submit {resp.status}")
        if poll_script:
            until = next_start if i < n - 1 else time.monotonic() + LAST_TAKE_POLL_S
            conn = poll_script_check(conn, port, headers, f"/booth/tasks/{info['task']}/takes/{answer['take_id']}/script/",
                                     until, out)
    conn.close()


LAST_TAKE_POLL_S = 30.0  # after the last take, the panel asks this long at most (bounded)


def poll_script_check(conn, port: int, headers: dict, url: str, until: float, out: dict):
    """Ask for the take's script check as the booth's take panel does (every 400 ms for 4 s, then every second)
    until it has answered or the contractor records the next section (its panel then leaves the page)."""
    polls = 0
    while time.monotonic() < until:  # bounded by the next take's time
        time.sleep(0.4 if polls < 10 else 1.0)
        polls += 1
        drop_if_closed(conn)
        started = time.perf_counter()
        try:
            conn.request("GET", f"{url}?n={polls}", headers={**headers, "HX-Request": "true"})
            resp = conn.getresponse()
            page = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            out["errors"].append(f"script poll: {exc}")
            conn.close()
            return http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        out["poll_ms"].append((time.perf_counter() - started) * 1000)
        if resp.status != 200:
            out["errors"].append(f"script poll {resp.status}")
            return conn
        if b"hx-get" not in page:
            out["script_verdicts"].append(polls)
            return conn
    return conn


def admin(port: int, session: str, stop: threading.Event, out: list, deadline: float) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": f"sessionid={session}", "HX-Request": "true"}
    while not stop.is_set() and time.monotonic() < deadline:  # bounded by the contractors and a deadline
        drop_if_closed(conn)
        started = time.perf_counter()
        conn.request("GET", "/vm/tasks/", headers=headers)
        resp = conn.getresponse()
        resp.read()
        out.append(((time.perf_counter() - started) * 1000, resp.status))
        stop.wait(1.0)
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contractors", type=int, default=50)
    parser.add_argument("--takes", type=int, default=10)
    parser.add_argument("--admins", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument("--record-seconds", type=float, default=10.0,
                        help="a take is uploaded at most once per recording time (0: back to back, a stress test)")
    parser.add_argument("--gunicorn-workers", type=int, default=3)
    parser.add_argument("--gunicorn-threads", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2, help="celery worker processes")
    parser.add_argument("--worker-nice", type=int, default=10, help="0: the worker at the web's priority")
    parser.add_argument("--adherence-workers", type=int, default=1,
                        help="processes of the script-check worker (its own queue, as the Procfile; 0: not started)")
    parser.add_argument("--blas-threads", type=int, default=1, help="OMP/OpenBLAS threads per process (as compose)")
    parser.add_argument("--drain-max", type=float, default=900, help="longest wait for the worker's backlog")
    args = parser.parse_args()
    load_before = os.getloadavg()

    media = Path(tempfile.mkdtemp(prefix="load-media-"))
    port = 18000 + os.getpid() % 1000
    env = {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
           "REDIS_URL": "redis://127.0.0.1:6379/11", "MEDIA_ROOT": str(media),
           "UPLOAD_TEMP_DIR": str(media / "uploads-tmp"), "DEBUG": "0", "TESTING": "0", "SECURE": "0",
           "ALLOWED_HOSTS": "127.0.0.1", "AXES_ENABLED": "0", "SECRET_KEY": "load-" + "x" * 60,
           "CONN_MAX_AGE": "60", "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "config.settings",
           "OMP_NUM_THREADS": str(args.blas_threads), "OPENBLAS_NUM_THREADS": str(args.blas_threads)}
    for key in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "S3_BUCKET", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(key, None)
    print(f"preparing database {DB}, static files and {args.tasks} tasks ...", flush=True)
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB}")
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    seeded = json.loads(subprocess.run(
        [PY, "bench/load/seed.py", "--contractors", str(args.contractors + 1), "--admins", str(args.admins),
         "--tasks", str(args.tasks)], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout)
    subprocess.run(["redis-cli", "-n", "11", "FLUSHDB"], check=False, capture_output=True)

    stack = Stack(env, port)
    try:
        stack.start("web", [PY, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
                            "--workers", str(args.gunicorn_workers), "--threads", str(args.gunicorn_threads),
                            "--timeout", "120"])
        stack.start("worker", low_priority([PY, "-m", "celery", "-A", "config", "worker", "-l", "WARNING",
                                            "-c", str(args.concurrency)], args.worker_nice))
        if args.adherence_workers:
            stack.start("adherence", low_priority([PY, "-m", "celery", "-A", "config", "worker", "-l", "WARNING",
                                                   "-c", str(args.adherence_workers), "-Q", "adherence",
                                                   "-n", "adherence@%h"], args.worker_nice))
        wait_port(port)
        warm = {"sent": [], "stored_ok": [], "errors": [], "upload_ms": [], "submit_ms": [], "poll_ms": [],
                "script_verdicts": []}
        warmup = seeded["contractors"].pop()  # one extra contractor warms every gunicorn worker (lazy imports)
        for _ in range(3):
            threads = [threading.Thread(target=contractor, args=(port, warmup, 2, 99, warm)) for _ in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
        result = {"sent": [], "stored_ok": [], "errors": [], "upload_ms": [], "submit_ms": [], "poll_ms": [],
                  "script_verdicts": []}
        polls: list[tuple[float, int]] = []
        stop = threading.Event()
        deadline = time.monotonic() + args.max_seconds
        threads = [threading.Thread(target=contractor, args=(port, info, args.takes, i, result, args.record_seconds,
                                                             bool(args.adherence_workers)), daemon=True)
                   for i, info in enumerate(seeded["contractors"])]
        admins = [threading.Thread(target=admin, args=(port, s, stop, polls, deadline), daemon=True)
                  for s in seeded["admins"]]
        print(f"load: {len(threads)} contractors x {args.takes} takes, {len(admins)} admins polling ...", flush=True)
        started = time.monotonic()
        for t in admins + threads:
            t.start()
        for t in threads:
            t.join(max(1, deadline - time.monotonic()))
        elapsed = time.monotonic() - started
        stop.set()
        for t in admins:
            t.join(10)
        idle = []
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(50):  # the Tasks tab again with the uploads done (workers may still be busy)
            t0 = time.perf_counter()
            conn.request("GET", "/vm/tasks/", headers={"Cookie": f"sessionid={seeded['admins'][0]}"})
            conn.getresponse().read()
            idle.append((time.perf_counter() - t0) * 1000)
        conn.close()
        load_during = os.getloadavg()
        backlog_at_end = backlog()
        script_backlog_at_end = script_checks_waiting()
        drain_s = drain(time.monotonic() - started - elapsed, args.drain_max)
        script_backlog = script_checks_waiting()
        script_drain_s = (drain(time.monotonic() - started - elapsed, args.drain_max, script_checks_waiting)
                          if args.adherence_workers else None)
        stored = count_stored(env, result["sent"])
    finally:
        stack.stop()
    poll_ms = [ms for ms, status in polls if status == 200]
    poll_errors = [status for _, status in polls if status != 200]
    rows = {
        "contractors": args.contractors, "record_seconds": args.record_seconds, "takes_sent": len(result["sent"]), "takes_stored": stored,
        "upload_errors": len(result["errors"]), "duration_s": round(elapsed, 1),
        "uploads_per_s": round(len(result["upload_ms"]) / max(1e-9, result.get("last_upload_at", started + elapsed) - started), 2),
        "upload_p50_ms": round(pct(result["upload_ms"], 50)), "upload_p95_ms": round(pct(result["upload_ms"], 95)),
        "upload_p99_ms": round(pct(result["upload_ms"], 99)), "submit_p95_ms": round(pct(result["submit_ms"], 95)),
        "script_polls": len(result["poll_ms"]), "script_poll_p95_ms": round(pct(result["poll_ms"], 95)) if result["poll_ms"] else None,
        "script_verdicts_seen_in_the_booth": len(result["script_verdicts"]),
        "tasks_in_db": seeded["tasks"], "tasks_tab_polls": len(polls), "tasks_tab_errors": len(poll_errors),
        "tasks_tab_p50_ms_under_load": round(pct(poll_ms, 50)), "tasks_tab_p95_ms_under_load": round(pct(poll_ms, 95)),
        "tasks_tab_p95_ms_after_load": round(pct(idle, 95)), "cpu_count": os.cpu_count(),
        "worker_backlog_at_end": backlog_at_end, "worker_drain_s": drain_s,
        "script_checks_waiting_at_end": script_backlog_at_end, "script_checks_waiting_after_drain": script_backlog,
        "script_checks_drain_s": script_drain_s,
        "settings": f"gunicorn --workers {args.gunicorn_workers} --threads {args.gunicorn_threads}, "
                    f"celery -c {args.concurrency} nice {args.worker_nice}, "
                    f"adherence worker -c {args.adherence_workers}, "
                    f"{args.blas_threads} BLAS thread(s)",
        "loadavg_before": [round(x, 2) for x in load_before], "loadavg_1m_at_end_of_load": round(load_during[0], 2),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "first_errors": result["errors"][:5],
    }
    (Path(__file__).parent / "results.json").write_text(json.dumps(rows, indent=2))
    print("\n| metric | value |\n| --- | --- |")
    for key, value in rows.items():
        print(f"| {key} | {value} |")
    print(f"\nlogs: {stack.logdir}")
    if rows["takes_stored"] != rows["takes_sent"] or rows["upload_errors"]:
        sys.exit(1)


def sql_value(sql: str) -> str:
    out = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DB, "-tAc", sql], check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def backlog() -> dict:
    """Worker jobs not finished yet: files waiting for analysis, denoise jobs queued or running."""
    return {"analysis": int(sql_value("SELECT count(*) FROM voicemanager_audiofile "
                                      "WHERE source = 'booth' AND analysis_state IN ('pending', 'running')")),
            "denoise": int(sql_value("SELECT count(*) FROM voicemanager_denoisejob "
                                     "WHERE state IN ('queued', 'running')"))}


def script_checks_waiting() -> dict:
    """Takes whose script check (the adherence queue) has not finished (the table kept its first name)."""
    return {"script": int(sql_value("SELECT count(*) FROM booth_take WHERE adherence_state IN ('pending', 'running')"))}


def drain(already_s: float, max_s: float, waiting=None) -> float | None:
    """Seconds from the end of the uploads until ``waiting()`` (default: ``backlog``) is empty (None: not within ``max_s``)."""
    waiting = waiting or backlog
    started = time.monotonic()
    while time.monotonic() - started < max_s:  # bounded
        if not any(waiting().values()):
            return round(already_s + time.monotonic() - started, 1)
        time.sleep(2)
    return None


def count_stored(env: dict, client_ids: list[str]) -> int:
    code = ("import json,sys,django;django.setup();from voicemanager.models import Take;"
            "ids=json.load(sys.stdin);print(Take.objects.filter(client_id__in=ids).count())")
    out = subprocess.run([PY, "-c", code], cwd=ROOT, env=env, input=json.dumps(client_ids), text=True,
                         capture_output=True, check=True)
    return int(out.stdout.strip())


if __name__ == "__main__":
    main()
