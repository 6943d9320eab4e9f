"""API: the organisation's files. Upload (multipart), list, read, delete.

Ids are public (``file_…``); a file of another organisation answers 404 ``file_not_found``
exactly like one that does not exist, so ids of other organisations are not revealed.
"""
from __future__ import annotations

import errno
import os
import re
import tempfile

from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from voicemanager.api.errors import ApiError
from voicemanager.files.uploads import AudioRejected, FileInUse, delete_file, store_uploaded_file
from voicemanager.models import AudioFile, Speaker

router = Router(tags=["files"])

FILE_ID_RE = re.compile(r"^file_[0-9a-z]{1,40}$")


class FileOut(Schema):
    fileId: str
    name: str
    path: str
    label: str
    source: str
    durationSeconds: float | None
    size: int
    sampleRate: int | None
    channels: int | None
    sha256: str
    analysisState: str
    qcSummary: str | None
    derivedFrom: str | None
    createdAt: str


class FileList(Schema):
    count: int
    files: list[FileOut]


class ErrorBody(Schema):
    error: dict


def file_out(f: AudioFile) -> dict:
    return {
        "fileId": f.public_id, "name": f.name, "path": f.path, "label": f.label, "source": f.source,
        "durationSeconds": f.duration, "size": f.size, "sampleRate": f.sample_rate, "channels": f.channels,
        "sha256": f.sha256, "analysisState": f.analysis_state, "qcSummary": (f.qc or {}).get("summary"),
        "derivedFrom": f.derived_from.public_id if f.derived_from_id else None,
        "createdAt": f.created_at.isoformat(),
    }


def clean_query(value: str | None, limit: int = 500) -> str:
    return (value or "").replace("\x00", "")[:limit]


def get_org_file(org, file_id: str) -> AudioFile:
    f = None
    if isinstance(file_id, str) and FILE_ID_RE.match(file_id):
        f = AudioFile.objects.select_related("derived_from").filter(organisation=org, public_id=file_id).first()
    if f is None:
        raise ApiError(404, "file_not_found", f"No file {file_id[:60]!r} in this organisation.")
    return f


@router.post("", response={201: FileOut, 404: ErrorBody, 422: ErrorBody}, summary="Upload a WAV or MP3 file")
def upload_file(request: HttpRequest, file: UploadedFile = File(...), path: str = Form(""), name: str = Form(""),
                label: str = Form(""), speakerId: str = Form("")):  # noqa: N803 - the API's field name
    """Multipart upload (field ``file``); optional ``path`` (folder), ``name``, ``label`` and ``speakerId``
    (the voice owner whose recording this is; the consent gate needs it for cloning)."""
    org = request.auth
    speaker = None
    if speakerId:
        speaker = (Speaker.objects.filter(public_id=clean_query(speakerId, 40))
                   .filter(_speaker_of(org)).distinct().first())
        if speaker is None:
            raise ApiError(404, "speaker_not_found", "No such speaker in this organisation.")
    display = clean_query(name, 1000) or clean_query(file.name, 1000) or "audio"
    local = getattr(file, "temporary_file_path", None)
    tmp_path = None
    try:
        if local is None:
            fd, tmp_path = tempfile.mkstemp(suffix=".upload")
            with os.fdopen(fd, "wb") as out:
                for chunk in file.chunks():
                    out.write(chunk)
            local_path = tmp_path
        else:
            local_path = local()
        try:
            audio = store_uploaded_file(org, None, clean_query(path), display, local_path, speaker=speaker,
                                        label=clean_query(label, 100))
        except AudioRejected as exc:
            raise ApiError(422, "invalid_audio", exc.message, reason=exc.code) from None
        except OSError as exc:  # storage full or failing: nothing stored (store_uploaded_file cleans up); retryable
            full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
            raise ApiError(507 if full else 503, "storage_full" if full else "storage_unavailable",
                           "The file storage is full; try again later." if full else
                           "The file storage is unavailable; try again later.") from None
    finally:
        if tmp_path:
            os.unlink(tmp_path)
    return 201, file_out(audio)


def _speaker_of(org):
    from django.db.models import Q

    return Q(organisation=org) | Q(recording_tasks__organisation=org)


@router.get("", response=FileList, summary="List files")
def list_files(request: HttpRequest, path: str | None = None, q: str | None = None, limit: int = 100,
               offset: int = 0):
    """Files of the organisation, newest first; ``path`` filters one folder, ``q`` searches names and labels."""
    qs = AudioFile.objects.for_org(request.auth).select_related("derived_from").order_by("-created_at", "-pk")
    if path is not None:
        qs = qs.in_folder(clean_query(path))
    if q:
        from django.db.models import Q

        term = clean_query(q, 200)
        qs = qs.filter(Q(name__icontains=term) | Q(label__icontains=term))
    limit = max(1, min(int(limit), 500))
    offset = max(0, min(int(offset), 10**9))
    return {"count": qs.count(), "files": [file_out(f) for f in qs[offset:offset + limit]]}


@router.get("/{file_id}", response={200: FileOut, 404: ErrorBody}, summary="Get one file")
def get_file(request: HttpRequest, file_id: str):
    return 200, file_out(get_org_file(request.auth, file_id))


@router.delete("/{file_id}", response={204: None, 404: ErrorBody, 409: ErrorBody}, summary="Delete a file")
def remove_file(request: HttpRequest, file_id: str):
    """Delete the file, its derived versions and their stored bytes (audited)."""
    audio = get_org_file(request.auth, file_id)
    try:
        delete_file(audio, None, via="api")
    except FileInUse as exc:
        raise ApiError(409, "file_in_use", str(exc)) from None
    return 204, None
