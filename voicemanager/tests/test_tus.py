"""The tus 1.0.0 endpoint at /uploads/ and the claim helpers the booth and file manager use."""
from __future__ import annotations

import base64
import hashlib
import os
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from voicemanager.files import tus
from voicemanager.models import ResumableUpload
from voicemanager.tests.factories import UserFactory

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
def owner(db):
    return UserFactory()


@pytest.fixture
def other(db):
    return UserFactory()


@pytest.fixture
def owner_client(owner):
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def other_client(other):
    client = Client()
    client.force_login(other)
    return client


def create(client, length: int, metadata: str | None = None) -> str:
    headers = {**TUS, "Upload-Length": str(length)}
    if metadata is not None:
        headers["Upload-Metadata"] = metadata
    response = client.post("/uploads/", headers=headers)
    assert response.status_code == 201, response.content
    return urlsplit(response["Location"]).path


def patch(client, path: str, offset: int, data: bytes, **headers):
    return client.patch(path, data=data, content_type=OCTETS, headers={**TUS, "Upload-Offset": str(offset), **headers})


def upload_of(path: str) -> ResumableUpload:
    return ResumableUpload.objects.get(pk=path.rstrip("/").rsplit("/", 1)[-1])


# --- discovery and creation --------------------------------------------------------------------


def test_options_advertises_version_extensions_and_max_size(client, settings):
    settings.UPLOAD_MAX_BYTES = 12345
    response = client.options("/uploads/")
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {"creation", "termination"}
    assert response["Tus-Max-Size"] == "12345"


@pytest.mark.django_db
def test_create_stores_length_metadata_purpose_and_an_empty_temp_file(owner_client, owner, settings):
    path = create(owner_client, 10, f"filename {b64('take.wav')},purpose {b64('take')},is_confidential")
    upload = upload_of(path)
    assert upload.owner == owner
    assert (upload.length, upload.offset, upload.purpose) == (10, 0, "take")
    assert upload.metadata == {"filename": "take.wav", "purpose": "take", "is_confidential": ""}
    temp = Path(upload.temp_path)
    assert temp.parent == Path(settings.UPLOAD_TEMP_DIR) and temp.stat().st_size == 0


@pytest.mark.django_db
def test_anonymous_cannot_create(client):
    response = client.post("/uploads/", headers={**TUS, "Upload-Length": "10"})
    assert response.status_code == 403
    assert not ResumableUpload.objects.exists()


@pytest.mark.django_db
def test_create_without_tus_resumable_is_412(owner_client):
    response = owner_client.post("/uploads/", headers={"Upload-Length": "10"})
    assert response.status_code == 412
    assert response["Tus-Version"] == "1.0.0"


@pytest.mark.django_db
def test_over_the_size_cap_is_413_and_creates_nothing(owner_client, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    response = owner_client.post("/uploads/", headers={**TUS, "Upload-Length": "1001"})
    assert response.status_code == 413
    assert not ResumableUpload.objects.exists()
    assert create(owner_client, 1000)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [
        {"Upload-Length": "-1"},
        {"Upload-Length": "ten"},
        {},
        {"Upload-Length": "10", "Upload-Metadata": "filename not*base64"},
        {"Upload-Length": "10", "Upload-Metadata": f"purpose {b64('voice')}"},
        {"Upload-Defer-Length": "1"},
    ],
)
def test_bad_creation_headers_are_400(owner_client, headers):
    response = owner_client.post("/uploads/", headers={**TUS, **headers})
    assert response.status_code == 400
    assert not ResumableUpload.objects.exists()


# --- PATCH, HEAD, offsets ------------------------------------------------------------------------


@pytest.mark.django_db
def test_patches_complete_the_upload_and_head_reports_the_offset(owner_client):
    data = os.urandom(3000)
    path = create(owner_client, len(data))
    response = patch(owner_client, path, 0, data[:1000])
    assert response.status_code == 204
    assert response["Upload-Offset"] == "1000"

    head = owner_client.head(path, headers=TUS)
    assert head.status_code == 200
    assert (head["Upload-Offset"], head["Upload-Length"]) == ("1000", "3000")
    assert head["Cache-Control"] == "no-store"
    assert upload_of(path).completed_at is None

    assert patch(owner_client, path, 1000, data[1000:]).status_code == 204
    upload = upload_of(path)
    assert upload.offset == 3000 and upload.completed_at is not None
    assert Path(upload.temp_path).read_bytes() == data


@pytest.mark.django_db
def test_wrong_offset_is_409_and_writes_nothing(owner_client):
    path = create(owner_client, 100)
    assert patch(owner_client, path, 0, b"a" * 40).status_code == 204
    for wrong in (0, 39, 41):
        response = patch(owner_client, path, wrong, b"b" * 10)
        assert response.status_code == 409
        assert response["Upload-Offset"] == "40"
    upload = upload_of(path)
    assert upload.offset == 40
    assert Path(upload.temp_path).read_bytes() == b"a" * 40


@pytest.mark.django_db
def test_patch_needs_the_tus_content_type(owner_client):
    path = create(owner_client, 10)
    response = owner_client.patch(path, data=b"x" * 10, content_type="application/octet-stream",
                                  headers={**TUS, "Upload-Offset": "0"})
    assert response.status_code == 415
    assert upload_of(path).offset == 0


@pytest.mark.django_db
def test_a_body_past_upload_length_is_refused(owner_client):
    path = create(owner_client, 10)
    response = patch(owner_client, path, 0, b"x" * 11)
    assert response.status_code == 413
    upload = upload_of(path)
    assert upload.offset == 0 and Path(upload.temp_path).read_bytes() == b""


@pytest.mark.django_db
def test_stale_bytes_from_a_failed_request_are_overwritten(owner_client):
    """Bytes past the saved offset (a request that died before saving) never survive."""
    path = create(owner_client, 6)
    assert patch(owner_client, path, 0, b"abc").status_code == 204
    temp = Path(upload_of(path).temp_path)
    temp.write_bytes(b"abcZZZZZ")
    assert patch(owner_client, path, 3, b"def").status_code == 204
    assert temp.read_bytes() == b"abcdef"


@pytest.mark.django_db
def test_zero_length_upload_is_complete_at_once(owner_client, owner):
    path = create(owner_client, 0)
    assert tus.claim_completed_upload(owner, upload_of(path).pk, "file").read_bytes() == b""


# --- ownership and termination -------------------------------------------------------------------


@pytest.mark.django_db
def test_another_users_upload_is_404_for_head_patch_and_delete(owner_client, other_client, other):
    path = create(owner_client, 10)
    assert other_client.head(path, headers=TUS).status_code == 404
    assert patch(other_client, path, 0, b"x" * 10).status_code == 404
    assert other_client.delete(path, headers=TUS).status_code == 404
    upload = upload_of(path)
    assert upload.offset == 0 and Path(upload.temp_path).exists()
    assert Client().head(path, headers=TUS).status_code == 403


@pytest.mark.django_db
def test_unknown_upload_is_404(owner_client):
    path = "/uploads/00000000-0000-4000-8000-000000000000"
    assert owner_client.head(path, headers=TUS).status_code == 404
    assert patch(owner_client, path, 0, b"x").status_code == 404


@pytest.mark.django_db
def test_delete_removes_the_row_and_the_file(owner_client):
    path = create(owner_client, 10)
    temp = Path(upload_of(path).temp_path)
    patch(owner_client, path, 0, b"12345")
    response = owner_client.delete(path, headers=TUS)
    assert response.status_code == 204
    assert not ResumableUpload.objects.exists() and not temp.exists()
    assert owner_client.head(path, headers=TUS).status_code == 404


@pytest.mark.django_db
def test_csrf_is_enforced_on_patch_and_a_header_token_passes(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    assert client.post("/uploads/", headers={**TUS, "Upload-Length": "3"}).status_code == 403
    response = client.post("/uploads/", headers={**TUS, "Upload-Length": "3", "X-CSRFToken": token})
    assert response.status_code == 201
    path = urlsplit(response["Location"]).path
    assert patch(client, path, 0, b"abc").status_code == 403
    assert client.head(path, headers=TUS)["Upload-Offset"] == "0"  # safe method, no token needed
    assert patch(client, path, 0, b"abc", **{"X-CSRFToken": token}).status_code == 204


@pytest.mark.django_db(transaction=True)
def test_a_patch_while_another_is_writing_gets_423(owner_client):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks (SELECT ... FOR UPDATE NOWAIT) need PostgreSQL")
    path = create(owner_client, 10)
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        from django.db import connection

        with transaction.atomic():
            ResumableUpload.objects.select_for_update().get(pk=upload_of(path).pk)
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        response = patch(owner_client, path, 0, b"x" * 10)
        assert response.status_code == 423
    finally:
        release.set()
        holder.join(10)
    assert patch(owner_client, path, 0, b"x" * 10).status_code == 204


# --- claiming ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_claim_returns_the_finished_file_only_to_its_owner_and_purpose(owner_client, owner, other):
    data = b"RIFF" + os.urandom(100)
    path = create(owner_client, len(data), f"purpose {b64('take')}")
    upload_id = upload_of(path).pk

    with pytest.raises(tus.UploadIncomplete) as incomplete:
        tus.claim_completed_upload(owner, upload_id, "take")
    assert incomplete.value.code == "upload_incomplete"

    patch(owner_client, path, 0, data)
    with pytest.raises(tus.UploadNotAvailable) as foreign:
        tus.claim_completed_upload(other, upload_id, "take")
    assert foreign.value.code == "upload_not_found"
    with pytest.raises(tus.UploadNotAvailable):
        tus.claim_completed_upload(owner, upload_id, "file")
    with pytest.raises(tus.UploadNotAvailable):
        tus.claim_completed_upload(owner, "not-a-uuid", "take")

    claimed = tus.claim_completed_upload(owner, str(upload_id), "take")
    assert claimed.read_bytes() == data
    assert upload_of(path).claimed_at is not None
    assert tus.claim_completed_upload(owner, upload_id, "take") == claimed  # a retry is harmless

    tus.release_upload(upload_id)
    assert not claimed.exists() and not ResumableUpload.objects.exists()
    with pytest.raises(tus.UploadNotAvailable):
        tus.claim_completed_upload(owner, upload_id, "take")


@pytest.mark.django_db
def test_purge_removes_old_uploads_and_their_files(owner_client):
    from datetime import timedelta

    from django.utils import timezone

    old, new = create(owner_client, 5), create(owner_client, 5)
    old_file = Path(upload_of(old).temp_path)
    ResumableUpload.objects.filter(pk=upload_of(old).pk).update(created_at=timezone.now() - timedelta(days=4))
    assert tus.purge_stale_uploads(timedelta(days=3)) == 1
    assert not old_file.exists()
    assert list(ResumableUpload.objects.values_list("pk", flat=True)) == [upload_of(new).pk]


# --- over real HTTP ------------------------------------------------------------------------------


def _auth_headers(user, live_server) -> dict[str, str]:
    """Session and CSRF cookies for a real HTTP client, as a browser behind the TLS proxy holds them.

    The request says it came through the HTTPS proxy (X-Forwarded-Proto, as in production),
    so it is checked like a browser's: CSRF token plus a same-origin Origin header.
    """
    client = Client()
    client.force_login(user)
    token = _get_new_csrf_string()
    session = client.cookies["sessionid"].value
    origin = "https://" + urlsplit(live_server.url).netloc
    return {
        "Cookie": f"sessionid={session}; csrftoken={token}",
        "X-CSRFToken": token,
        "X-Forwarded-Proto": "https",
        "Origin": origin,
    }


@pytest.mark.django_db(transaction=True)
def test_resume_after_a_patch_cut_off_mid_body(live_server, owner):
    """The connection drops mid-PATCH: the server keeps what arrived and the client resumes."""
    data = os.urandom(600_000)
    auth = _auth_headers(owner, live_server)
    client = Client()
    client.force_login(owner)
    path = create(client, len(data))

    host, port = urlsplit(live_server.url).hostname, urlsplit(live_server.url).port
    sent = 250_000
    request = (
        f"PATCH {path} HTTP/1.1\r\nHost: {host}:{port}\r\nTus-Resumable: 1.0.0\r\n"
        f"Upload-Offset: 0\r\nContent-Type: {OCTETS}\r\nContent-Length: {len(data)}\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in auth.items())
        + "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(request + data[:sent])
        time.sleep(0.3)
        sock.shutdown(socket.SHUT_RDWR)

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and upload_of(path).offset != sent:
        time.sleep(0.05)
    offset = int(client.head(path, headers=TUS)["Upload-Offset"])
    assert offset == sent  # every byte that arrived was kept, nothing more
    assert patch(client, path, 0, data).status_code == 409  # a client restarting at 0 is told the offset
    assert patch(client, path, offset, data[offset:]).status_code == 204
    upload = upload_of(path)
    assert upload.completed_at is not None
    assert Path(upload.temp_path).read_bytes() == data


@pytest.mark.django_db(transaction=True)
def test_tuspy_client_uploads_in_chunks_and_the_owner_claims_it(live_server, owner, tmp_path):
    from tusclient import client as tus_client

    data = os.urandom(2_500_000)
    source = tmp_path / "take.wav"
    source.write_bytes(data)
    client = tus_client.TusClient(f"{live_server.url}/uploads/", headers=_auth_headers(owner, live_server))
    uploader = client.uploader(
        str(source), chunk_size=1024 * 1024,
        metadata={"filename": "take.wav", "purpose": "take", "sha256": hashlib.sha256(data).hexdigest()},
    )
    uploader.upload()

    upload_id = uploader.url.rstrip("/").rsplit("/", 1)[-1]
    upload = ResumableUpload.objects.get(pk=upload_id)
    assert upload.metadata["sha256"] == hashlib.sha256(data).hexdigest()
    claimed = tus.claim_completed_upload(owner, upload_id, "take")
    assert hashlib.sha256(claimed.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()


@pytest.mark.django_db(transaction=True)
def test_tuspy_client_without_csrf_token_is_refused(live_server, owner, tmp_path):
    from tusclient import client as tus_client
    from tusclient.exceptions import TusCommunicationError

    source = tmp_path / "a.bin"
    source.write_bytes(b"x" * 100)
    headers = _auth_headers(owner, live_server)
    del headers["X-CSRFToken"]
    uploader = tus_client.TusClient(f"{live_server.url}/uploads/", headers=headers).uploader(str(source))
    with pytest.raises(TusCommunicationError):
        uploader.upload()
    assert not ResumableUpload.objects.exists()
