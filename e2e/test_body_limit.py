"""Oversized bodies are refused from their Content-Length, before the server reads or spools them.

A raw socket against the live server declares a 300 MB body and sends it slowly: the answer must
come while only a few megabytes have gone out, and no temp file (Django's upload spool, the tus
``.part`` folder) may appear meanwhile. Before config/middleware.py the CSRF check parsed the
multipart body of an anonymous POST and wrote it to a temp file before answering 403.
"""
from __future__ import annotations

import json
import select
import socket
import time
from urllib.parse import urlparse

import pytest

DECLARED = 300 * 1024 * 1024
SEND_AT_MOST = 16 * 1024 * 1024  # the test gives up (fails) once this much went unanswered
CHUNK = 256 * 1024
BOUNDARY = "----limit-test-boundary"


def _multipart_head(field: str = "audio") -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"big.wav\"\r\n"
            "Content-Type: audio/wav\r\n\r\n").encode()


def _spooled(folders) -> list[str]:
    return [str(p) for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()]


def send_declared(url: str, path: str, *, method: str = "POST", declared: int = DECLARED,
                  content_type: str = f"multipart/form-data; boundary={BOUNDARY}", head: bytes = b"",
                  headers: dict | None = None, watch=()) -> tuple[int, dict, bytes, int, list[str]]:
    """Send the request line and headers, then the body in chunks until the server answers.

    Returns (status, headers, body, bytes of body sent before the answer, temp files seen while sending).
    """
    target = urlparse(url)
    sock = socket.create_connection((target.hostname, target.port), timeout=30)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {target.hostname}", f"Content-Type: {content_type}",
             f"Content-Length: {declared}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + head)
    sent, seen, zeros = len(head), set(), b"\0" * CHUNK
    deadline = None
    try:
        while True:
            readable, _, _ = select.select([sock], [], [], 0.02)
            seen.update(_spooled(watch))
            if readable:
                break
            if sent >= declared:  # all sent: wait for the answer
                deadline = deadline or time.monotonic() + 60
                if time.monotonic() > deadline:
                    pytest.fail(f"{path}: no answer after the whole body")
                continue
            if sent >= SEND_AT_MOST:
                pytest.fail(f"{path}: no answer after {sent} bytes of a {declared}-byte body; the server is reading it"
                            f" (temp files: {sorted(seen)})")
            try:
                sock.sendall(zeros[:min(CHUNK, declared - sent)])
            except OSError:
                break  # the server answered and closed; read the answer
            sent += min(CHUNK, declared - sent)
        sock.settimeout(10)
        data = b""
        while not _complete(data):  # the server keeps the connection to drain the body: go by Content-Length
            more = sock.recv(65536)
            if not more:
                break
            data += more
    finally:
        sock.close()
    head_raw, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head_raw.decode("latin-1").split("\r\n")
    got_headers = {k.lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines if ":" in h)}
    seen.update(_spooled(watch))
    return int(status_line.split()[1]), got_headers, body, sent, sorted(seen)


def _complete(data: bytes) -> bool:
    head, found, body = data.partition(b"\r\n\r\n")
    if not found:
        return False
    lengths = [line.split(b":", 1)[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
    assert lengths, "a refusal carries Content-Length"
    return len(body) >= int(lengths[0])


@pytest.fixture
def spool(settings, tmp_path):
    """Where Django would spool an uploaded file, and the tus folder."""
    folder = tmp_path / "spool"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return [folder, settings.UPLOAD_TEMP_DIR]


def test_anonymous_300_mb_multipart_to_a_page_is_refused_unread(live_server, transactional_db, spool):
    # A csrftoken cookie is what makes the CSRF check parse the body (without one it refuses first).
    status, headers, body, sent, spooled = send_declared(
        live_server.url, "/accounts/login/", head=_multipart_head(), watch=spool,
        headers={"Cookie": "csrftoken=" + "a" * 32})
    assert status == 413, body[:300]
    assert headers["content-type"].startswith("text/html") and b"Request too large" in body
    assert sent < SEND_AT_MOST and spooled == []


def test_oversized_api_body_answers_413_json(live_server, transactional_db, spool):
    status, headers, body, sent, spooled = send_declared(
        live_server.url, "/api/v2/scripts", content_type="application/json", head=b'{"title": "',
        headers={"x-api-key": "not-a-key"}, watch=spool)
    assert status == 413
    error = json.loads(body)["error"]
    assert error["code"] == "too_large" and error["limit"] == 10 * 1024 * 1024
    assert spooled == []


def test_booth_take_over_its_limit_answers_the_json_contract(live_server, transactional_db, spool, settings):
    settings.TAKE_MAX_BYTES = 8 * 1024 * 1024
    status, _, body, _, spooled = send_declared(
        live_server.url, "/booth/tasks/tsk_x/sections/1/takes/", declared=40 * 1024 * 1024,
        head=_multipart_head(), watch=spool)
    assert status == 413 and json.loads(body)["error"]["code"] == "too_large"
    assert spooled == []


def test_anonymous_take_within_its_limit_is_asked_to_sign_in_without_spooling(live_server, transactional_db, spool):
    """Within the take limit but over the default one: a forged session cookie still gets 401, unread."""
    status, _, body, _, spooled = send_declared(
        live_server.url, "/booth/tasks/tsk_x/sections/1/takes/", declared=30 * 1024 * 1024,
        head=_multipart_head(), watch=spool,
        headers={"Cookie": "csrftoken=" + "a" * 32 + "; sessionid=forged0000000000000000000000000000"})
    assert status == 401 and json.loads(body)["error"]["code"] == "login_required"
    assert spooled == []


def test_anonymous_api_upload_and_tus_patch_are_refused_unread(live_server, transactional_db, spool):
    """The large-body endpoints check the caller before reading: API key first, tus session first."""
    status, _, body, sent, spooled = send_declared(live_server.url, "/api/v2/files", head=_multipart_head("file"),
                                                   watch=spool)
    assert status == 401 and json.loads(body)["error"]["code"] == "unauthorized"
    assert sent < SEND_AT_MOST and spooled == []
    status, _, _, sent, spooled = send_declared(
        live_server.url, "/uploads/6f1c1f0e-0000-4000-8000-000000000000", method="PATCH",
        content_type="application/offset+octet-stream", headers={"Tus-Resumable": "1.0.0", "Upload-Offset": "0"},
        watch=spool)
    assert status == 403 and sent < SEND_AT_MOST and spooled == []


def test_signed_in_contractor_may_send_a_take_over_the_default_limit(live_server, cast, spool, client):
    """The booth's own limit (64 MB), not the default 10 MB, applies to a signed-in contractor."""
    client.force_login(cast.contractor_a)
    session = client.cookies["sessionid"].value
    size = 12 * 1024 * 1024
    started = time.monotonic()
    status, _, body, sent, _ = send_declared(
        live_server.url, f"/booth/tasks/{cast.task_a.public_id}/sections/999999/takes/", declared=size,
        head=_multipart_head(), watch=(),
        headers={"Cookie": f"sessionid={session}; csrftoken={'c' * 32}", "X-CSRFToken": "c" * 32})
    assert sent >= size - CHUNK, f"the body was read to its end ({sent} of {size} bytes)"
    assert status == 404 and json.loads(body)["error"]["code"] == "section_not_found", body[:300]
    assert time.monotonic() - started < 60


def test_malformed_content_length_is_a_400(live_server, transactional_db):
    target = urlparse(live_server.url)
    with socket.create_connection((target.hostname, target.port), timeout=10) as sock:
        sock.sendall(b"POST /accounts/login/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: -5\r\n"
                     b"Connection: close\r\n\r\n")
        answer = sock.recv(4096)
    assert answer.split()[1] == b"400"
