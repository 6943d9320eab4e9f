"""A minimal tus 1.0.0 server: core protocol plus the creation and termination extensions.

Large takes and file-manager uploads (up to ``UPLOAD_MAX_BYTES``, 1.5 GB by default)
arrive in ~1 MB PATCH requests that can resume after a broken connection. The bytes go
to ``UPLOAD_TEMP_DIR/<id>.part``; the offset is kept in ``ResumableUpload`` and only
moves after the bytes are fsynced, so a crash never claims more than is on disk. A
finished upload is handed to the booth or the file manager by
:func:`claim_completed_upload`, which checks the owner and the purpose.

Requests are authenticated by the session and keep Django's CSRF protection: the
browser client (tus-js-client) sends ``X-CSRFToken`` on every request, and tus's
safe methods (OPTIONS, HEAD) need none. Only the owner of an upload can see it;
everyone else gets 404, as if it did not exist.

Not implemented (not advertised in ``Tus-Extension``): creation-with-upload,
creation-defer-length, checksum, concatenation, expiration. Stale uploads are removed by
:func:`purge_stale_uploads`, which a periodic worker task should call.
"""
from __future__ import annotations

import base64
import binascii
import logging
import os
import shutil
import uuid
from datetime import timedelta
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.db.models import F, Sum
from django.http import Http404, HttpRequest, HttpResponse, UnreadablePostError
from django.urls import reverse
from django.utils import timezone

from voicemanager.models import ResumableUpload

log = logging.getLogger(__name__)

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination"
PURPOSES = ("take", "file")
READ_CHUNK = 256 * 1024
MAX_METADATA_HEADER = 4096
DEFAULT_MAX_BYTES = 1536 * 1024 * 1024


class UploadNotAvailable(Http404):
    """The upload does not exist, is someone else's, has another purpose, or lost its file."""

    code = "upload_not_found"


class UploadIncomplete(UploadNotAvailable):
    """The upload exists but not all of its bytes have arrived."""

    code = "upload_incomplete"


# --- helpers -------------------------------------------------------------------------------


def max_upload_bytes() -> int:
    return int(getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def temp_dir() -> Path:
    return Path(getattr(settings, "UPLOAD_TEMP_DIR", Path(settings.MEDIA_ROOT) / "uploads-tmp"))


def _response(status: int = 204, content: str = "", **headers: str) -> HttpResponse:
    response = HttpResponse(content, status=status, content_type="text/plain; charset=utf-8")
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _options() -> HttpResponse:
    return _response(
        204,
        Tus_Version=TUS_VERSION,
        Tus_Extension=TUS_EXTENSIONS,
        Tus_Max_Size=str(max_upload_bytes()),
    )


def _header_int(request: HttpRequest, name: str) -> int | None:
    raw = request.headers.get(name)
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw.strip())


def parse_metadata(header: str) -> dict[str, str]:
    """Parse ``Upload-Metadata``: comma-separated ``key base64value`` pairs (value optional)."""
    metadata: dict[str, str] = {}
    if not header.strip():
        return metadata
    for pair in header.split(","):
        parts = pair.strip().split(" ")
        if not parts[0] or len(parts) > 2 or parts[0] in metadata:
            raise ValueError(f"bad metadata pair {pair!r}")
        value = ""
        if len(parts) == 2:
            try:
                value = base64.b64decode(parts[1], validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise ValueError(f"metadata {parts[0]!r} is not base64 UTF-8") from exc
        metadata[parts[0]] = value
    return metadata


def encode_metadata(metadata: dict[str, str]) -> str:
    return ",".join(
        f"{key} {base64.b64encode(str(value).encode()).decode()}" if value != "" else key
        for key, value in metadata.items()
    )


def tus_endpoint(view):
    """Answer OPTIONS for anyone; otherwise require a session and a supported Tus-Resumable.

    Unauthenticated requests get 403 rather than a login redirect, which a tus client
    would follow and mistake for success.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        override = request.headers.get("X-HTTP-Method-Override", "").upper()
        if request.method == "POST" and override in {"PATCH", "DELETE", "HEAD"}:
            request.method = override
        if request.method == "OPTIONS":
            return _options()
        if not request.user.is_authenticated:
            return _response(403, "Sign in to upload.")
        if request.headers.get("Tus-Resumable") != TUS_VERSION:
            return _response(412, "Unsupported tus version.", Tus_Version=TUS_VERSION)
        try:
            return view(request, *args, **kwargs)
        except UploadNotAvailable:
            return _response(404, "No such upload.")

    return wrapper


def max_open_bytes_per_user() -> int:
    return int(getattr(settings, "UPLOAD_OPEN_BYTES_PER_USER", 2 * max_upload_bytes()))


OPEN_WINDOW = timedelta(hours=24)


def _reserve(user, length: int, directory: Path) -> str | None:
    """Why a new upload of ``length`` bytes cannot be promised now, or None.

    Every unfinished upload has its missing bytes reserved: free space must cover them and the new
    one, so fifty parallel 1.5 GB uploads are not all promised the same 72 GB. One user's unfinished
    uploads of the last 24 hours may hold at most ``UPLOAD_OPEN_BYTES_PER_USER`` (two full-size
    files by default); older ones are left to the purge. Both answers are 507, which the clients
    retry later. The caller holds a transaction: the user's row is locked so that parallel creations
    of one user count each other.
    """
    open_uploads = ResumableUpload.objects.filter(completed_at=None)
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    mine = open_uploads.filter(owner=user, created_at__gte=timezone.now() - OPEN_WINDOW).aggregate(
        total=Sum("length"))["total"] or 0
    if mine + length > max_open_bytes_per_user():
        return (f"You already have {mine / 1e6:.0f} MB of unfinished uploads; finish or cancel some "
                f"(at most {max_open_bytes_per_user() / 1e6:.0f} MB at a time).")
    reserved = open_uploads.aggregate(missing=Sum(F("length") - F("offset")))["missing"] or 0
    if shutil.disk_usage(directory).free < reserved + length:
        return "Not enough space on the server for this upload."
    return None


def _get_upload_for_owner(request: HttpRequest, upload_id: uuid.UUID) -> ResumableUpload:
    try:
        return ResumableUpload.objects.get(pk=upload_id, owner=request.user)
    except ResumableUpload.DoesNotExist:
        raise UploadNotAvailable("No such upload.") from None


# --- views ---------------------------------------------------------------------------------


@tus_endpoint
def tus_collection(request: HttpRequest) -> HttpResponse:
    """POST /uploads/: create an upload (tus creation extension)."""
    if request.method != "POST":
        return _response(405, "Method not allowed.", Allow="OPTIONS, POST")
    if "Upload-Defer-Length" in request.headers:
        return _response(400, "Upload-Defer-Length is not supported.")
    length = _header_int(request, "Upload-Length")
    if length is None:
        return _response(400, "Upload-Length must be a non-negative integer.")
    if length > max_upload_bytes():
        return _response(413, f"Uploads are limited to {max_upload_bytes()} bytes.")
    raw_metadata = request.headers.get("Upload-Metadata", "")
    if len(raw_metadata) > MAX_METADATA_HEADER:
        return _response(400, "Upload-Metadata is too long.")
    try:
        metadata = parse_metadata(raw_metadata)
    except ValueError as exc:
        return _response(400, f"Upload-Metadata: {exc}")
    purpose = metadata.get("purpose", "file")
    if purpose not in PURPOSES:
        return _response(400, f"Upload purpose must be one of {', '.join(PURPOSES)}.")

    directory = temp_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        refusal = _reserve(request.user, length, directory)
        if refusal:
            return _response(507, refusal)
        upload_id = uuid.uuid4()
        path = directory / f"{upload_id}.part"
        path.open("xb").close()
        upload = ResumableUpload.objects.create(
            id=upload_id,
            owner=request.user,
            purpose=purpose,
            length=length,
            metadata=metadata,
            temp_path=str(path),
            completed_at=timezone.now() if length == 0 else None,
        )
    # A path-absolute Location (RFC 9110 allows it; tus clients resolve it against the
    # endpoint) stays right behind a proxy that terminates TLS or rewrites the host.
    return _response(201, Location=reverse("tus_upload", args=[upload.pk]), Upload_Offset="0")


@tus_endpoint
def tus_upload(request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
    """HEAD / PATCH / DELETE /uploads/<id>: the owner's offset, more bytes, or termination."""
    if request.method == "HEAD":
        upload = _get_upload_for_owner(request, upload_id)
        headers = {"Upload_Offset": str(upload.offset), "Upload_Length": str(upload.length)}
        if upload.metadata:
            headers["Upload_Metadata"] = encode_metadata(upload.metadata)
        return _response(200, **headers)
    if request.method == "PATCH":
        return _patch(request, upload_id)
    if request.method == "DELETE":
        upload = _get_upload_for_owner(request, upload_id)
        _remove(upload)
        return _response(204)
    return _response(405, "Method not allowed.", Allow="OPTIONS, HEAD, PATCH, DELETE")


def _patch(request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
    """Append the request body at Upload-Offset, streaming; the row lock serialises writers."""
    if request.content_type != "application/offset+octet-stream":
        return _response(415, "Content-Type must be application/offset+octet-stream.")
    client_offset = _header_int(request, "Upload-Offset")
    if client_offset is None:
        return _response(400, "Upload-Offset must be a non-negative integer.")
    declared = _header_int(request, "Content-Length")

    with transaction.atomic():
        try:
            upload = (
                ResumableUpload.objects.select_for_update(nowait=True)
                .filter(pk=upload_id, owner=request.user)
                .first()
            )
        except DatabaseError:
            # Another PATCH to this upload is still streaming (e.g. a client retry after a
            # timeout). tus clients retry on 423.
            return _response(423, "This upload is busy; retry shortly.")
        if upload is None:
            raise UploadNotAvailable("No such upload.")
        if client_offset != upload.offset:
            return _response(409, "Upload-Offset does not match the server's offset.", Upload_Offset=str(upload.offset))
        remaining = upload.length - upload.offset
        if declared is not None and declared > remaining:
            return _response(413, "The body goes past Upload-Length.", Upload_Offset=str(upload.offset))

        written, overflow = _append(Path(upload.temp_path), upload.offset, request, remaining)
        if overflow:
            return _response(400, "The body goes past Upload-Length.", Upload_Offset=str(upload.offset))
        upload.offset += written
        fields = ["offset"]
        if upload.offset == upload.length and upload.completed_at is None:
            upload.completed_at = timezone.now()
            fields.append("completed_at")
        upload.save(update_fields=fields)
    return _response(204, Upload_Offset=str(upload.offset))


def _append(path: Path, offset: int, request: HttpRequest, remaining: int) -> tuple[int, bool]:
    """Write the body at ``offset``; return (bytes kept, body was too long).

    A client that disconnects mid-body keeps what arrived (tus asks servers to), so the
    next HEAD tells it where to resume. The file is truncated to the new offset, which
    also drops bytes from an earlier request that died before its offset was saved.
    """
    if not path.exists():
        raise UploadNotAvailable("The upload's file is gone.")
    written = 0
    with path.open("r+b") as out:
        out.seek(offset)
        while written < remaining:
            try:
                chunk = request.read(min(READ_CHUNK, remaining - written))
            except (UnreadablePostError, OSError) as exc:
                log.info("tus: body of %s ended early after %d bytes: %s", path.name, written, exc)
                break
            if not chunk:
                break
            out.write(chunk)
            written += len(chunk)
        overflow = False
        if written == remaining:
            try:
                overflow = bool(request.read(1))
            except (UnreadablePostError, OSError):
                overflow = False
        if overflow:
            written = 0
        out.truncate(offset + written)
        out.flush()
        os.fsync(out.fileno())
    return written, overflow


def _remove(upload: ResumableUpload) -> None:
    if upload.temp_path:
        Path(upload.temp_path).unlink(missing_ok=True)
    upload.delete()


# --- for the booth and the file manager -----------------------------------------------------


def get_completed_upload(user, upload_id, purpose: str) -> ResumableUpload:
    """Return ``user``'s finished upload of this purpose, or raise an ``UploadNotAvailable``."""
    try:
        pk = uuid.UUID(str(upload_id))
    except ValueError:
        raise UploadNotAvailable("No such upload.") from None
    upload = ResumableUpload.objects.filter(pk=pk, owner=user, purpose=purpose).first()
    if upload is None:
        raise UploadNotAvailable("No such upload.")
    if upload.completed_at is None or upload.offset != upload.length:
        raise UploadIncomplete("The upload has not finished.")
    path = Path(upload.temp_path)
    if not path.is_file() or path.stat().st_size != upload.length:
        raise UploadNotAvailable("The upload's file is missing.")
    return upload


def claim_completed_upload(user, upload_id, purpose: str) -> Path:
    """Mark ``user``'s finished upload as claimed and return the path of its bytes.

    Raises ``UploadNotAvailable`` (an ``Http404``; ``.code`` is ``upload_not_found`` or
    ``upload_incomplete`` for a JSON error) when it is not the user's, not of this purpose,
    or not complete. The caller copies or moves the file into storage and then calls
    :func:`release_upload` (in ``transaction.on_commit``) to drop the temp file and the row.
    Claiming twice is harmless and returns the same path while the file is there.
    """
    upload = get_completed_upload(user, upload_id, purpose)
    ResumableUpload.objects.filter(pk=upload.pk, claimed_at=None).update(claimed_at=timezone.now())
    return Path(upload.temp_path)


def release_upload(upload_id) -> None:
    """Delete an upload's temp file (if still there) and its row; unknown ids are ignored."""
    upload = ResumableUpload.objects.filter(pk=upload_id).first()
    if upload is not None:
        _remove(upload)


def purge_stale_uploads(max_age: timedelta = timedelta(days=3)) -> int:
    """Remove uploads (and their files) created more than ``max_age`` ago; return how many."""
    count = 0
    for upload in ResumableUpload.objects.filter(created_at__lt=timezone.now() - max_age).iterator():
        _remove(upload)
        count += 1
    return count
