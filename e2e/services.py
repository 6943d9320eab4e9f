"""Real services for tests: an SMTP sink, an S3 server, Celery worker processes, Chromium.

Everything binds to 127.0.0.1 and every wait loop is bounded.
"""
from __future__ import annotations

import email
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {message}")


# --- SMTP sink -------------------------------------------------------------------------------


@dataclass
class SmtpSink:
    """aiosmtpd in a thread; messages are parsed and kept in memory."""

    port: int
    messages: list[Message] = field(default_factory=list)
    controller: object = None

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
                msg = email.message_from_bytes(envelope.content)
                msg["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
                sink.messages.append(msg)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()

    def clear(self) -> None:
        self.messages.clear()

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address.lower() in (m["X-Envelope-To"] or "").lower()]

    def wait_for(self, address: str, count: int = 1, timeout: float = 20.0) -> list[Message]:
        return wait_until(lambda: len(self.to(address)) >= count and self.to(address), timeout,
                          message=f"{count} email(s) to {address}")


def message_text(msg: Message) -> str:
    """The text/plain body of an email."""
    if msg.is_multipart():
        for part in msg.walk():
            if part.get_content_type() == "text/plain":
                return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        return ""
    return msg.get_payload(decode=True).decode(msg.get_content_charset() or "utf-8")


def message_html(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""


# --- S3 (SeaweedFS) --------------------------------------------------------------------------


@dataclass
class S3Server:
    port: int = 8333
    process: subprocess.Popen | None = None
    data_dir: str | None = None
    started_here: bool = False

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> S3Server:
        if port_open(self.port):
            return self  # already running (e.g. started by the test command)
        weed = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
        self.data_dir = tempfile.mkdtemp(prefix="weed-")
        base = self.port
        self.process = subprocess.Popen(
            [weed, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={self.data_dir}", "-s3",
             f"-s3.port={base}", f"-master.port={base + 1000}", f"-volume.port={base + 2000}",
             f"-filer.port={base + 3000}",
             "-s3.port.iceberg=0", "-s3.port.lance=0",  # their fixed ports (8181, 9101) clash between runs
             "-master.volumeSizeLimitMB=16", "-volume.max=0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        self.started_here = True
        wait_until(lambda: self._answers(), timeout=60, interval=0.3, message="SeaweedFS S3")
        return self

    def _answers(self) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(self.endpoint + "/", timeout=1):  # noqa: S310 - loopback only
                return True
        except Exception:  # noqa: BLE001
            return False

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id="test", aws_secret_access_key="test",
            region_name="us-east-1", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )

    def create_bucket(self, name: str) -> str:
        client = self.client()
        existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        if name not in existing:
            client.create_bucket(Bucket=name)
        return name

    def drop_bucket(self, name: str) -> None:
        """Delete a test bucket and its objects (frees SeaweedFS volumes)."""
        client = self.client()
        try:
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
                keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
                if keys:
                    client.delete_objects(Bucket=name, Delete={"Objects": keys})
            client.delete_bucket(Bucket=name)
        except Exception:  # noqa: BLE001 - best effort cleanup
            pass

    def stop(self) -> None:
        if self.process and self.started_here:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


# --- Celery worker processes ------------------------------------------------------------------


@dataclass
class WorkerProcess:
    """A real ``celery worker`` subprocess against the test database and broker."""

    env: dict
    name: str = "w1"
    concurrency: int = 1
    queues: str = ""  # e.g. "adherence"; empty: the default queue
    process: subprocess.Popen | None = None
    log_path: str = ""

    def start(self) -> WorkerProcess:
        fd, self.log_path = tempfile.mkstemp(prefix=f"celery-{self.name}-", suffix=".log")
        os.close(fd)
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "INFO", "-P", "prefork",
             "-c", str(self.concurrency), "-n", f"{self.name}@%h", "--without-gossip", "--without-mingle",
             *(["-Q", self.queues] if self.queues else [])],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_until(lambda: b"ready." in Path(self.log_path).read_bytes() or self.process.poll() is not None,
                   timeout=60, message=f"celery worker {self.name}")
        if self.process.poll() is not None:
            raise RuntimeError(f"worker died: {self.log()}")
        return self

    def log(self) -> str:
        return Path(self.log_path).read_text(errors="replace")[-5000:]

    def kill(self) -> None:
        """SIGKILL the whole worker (parent and children), as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


# --- Chromium ---------------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def fake_microphone_args(wav_path: str | Path) -> list[str]:
    return [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav_path}%noloop", "--autoplay-policy=no-user-gesture-required",
    ]


def speech_wav(path: Path, text: str, rate: int = 48000, pad_s: float = 0.3) -> Path:
    """Speech made here with espeak-ng, resampled by sox, with silence before and after."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "en", "-s", "150", "-w", str(raw), text], check=True, timeout=60)
    subprocess.run(["sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(path),
                    "pad", str(pad_s), str(pad_s), "gain", "-n", "-6"], check=True, timeout=60)
    raw.unlink(missing_ok=True)
    return path
