"""Store an uploaded audio file in an organisation's file manager (browser and API share this).

The file is checked by its content (``tasks.audio.decode.validate``), not its name; a bad
file raises ``AudioRejected`` and nothing is stored. The storage key is generated
(``orgs/<org>/files/<file id>.<ext>``); the user's name is only a display name, cleaned
of control characters, folders, ``..``, extra extensions and anything past 255 bytes.
"""
from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction

from tasks.audio.decode import AudioRejected, validate
from tasks.audio.hashing import sha256_file
from voicemanager.core import audit, outbox
from voicemanager.core.text import BIDI_CONTROLS
from voicemanager.files.committed import stored_after_failure
from voicemanager.models import AudioFile
from voicemanager.quality import checks as voice_checks

ACCEPTED_FORMATS = {"wav": "wav", "mp3": "mp3"}
MAX_NAME_BYTES = 255
MAX_SEGMENT = 100
MAX_PATH = 500
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f<>:\"|?*\\" + BIDI_CONTROLS + "\ufeff]")  # core/text.py

__all__ = ["AudioRejected", "FileInUse", "clean_name", "clean_path", "delete_file", "store_uploaded_file"]


def _truncate_bytes(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def clean_name(name: str, extension: str) -> str:
    """A display name that is safe anywhere: one extension (the real format's), ≤255 bytes."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # no folders
    name = _UNSAFE.sub("", name).strip().strip(".")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = re.sub(r"\.+", "_", stem).strip(" _") or "audio"  # "voice.php.wav" -> "voice_php.wav"
    suffix = f".{extension}"
    stem = _truncate_bytes(stem, MAX_NAME_BYTES - len(suffix.encode())).rstrip() or "audio"
    return stem + suffix


def clean_path(path: str) -> str:
    """A folder path without leading slash, empty segments, ``.`` or ``..``."""
    parts = []
    for part in (path or "").replace("\\", "/").split("/"):
        part = _UNSAFE.sub("", unicodedata.normalize("NFC", part)).strip()
        if part in ("", ".", "..") or set(part) == {"."}:
            continue
        parts.append(_truncate_bytes(part, MAX_SEGMENT))
    return _truncate_bytes("/".join(parts), MAX_PATH).strip("/")


def store_uploaded_file(org, user, path: str, name: str, local_path: str | os.PathLike, *,
                        speaker=None, label: str = "") -> AudioFile:
    """Check, hash and store one WAV/MP3 file; queue its analysis when the transaction commits.

    Raises ``AudioRejected`` (with a message for a person) for anything that is not whole,
    sane WAV or MP3 audio. Storage is written first; if the database row then fails, the
    stored object is removed again, so a failure leaves nothing behind.
    """
    local_path = Path(local_path)
    try:
        info = validate(local_path, max_bytes=int(getattr(settings, "UPLOAD_MAX_BYTES", 1536 * 1024 * 1024)))
    except AudioRejected as exc:
        if exc.code == "not_audio":  # the shared message lists the booth's formats; say what this page takes
            raise AudioRejected(exc.code, exc.message.split(" Please send")[0] + " Please send WAV or MP3 files.") from None
        raise
    extension = ACCEPTED_FORMATS.get(info.format_name)
    if extension is None:
        raise AudioRejected("unsupported_format", f"This is {info.format_name.upper()} audio; the file manager "
                            "takes WAV and MP3 files.")
    digest = sha256_file(local_path)
    audio = AudioFile(
        organisation=org, path=clean_path(path), name=clean_name(name, extension), label=label[:100],
        source=AudioFile.Source.UPLOAD, size=local_path.stat().st_size, sha256=digest,
        duration=info.duration_s, sample_rate=info.sample_rate, channels=info.channels,
        bit_depth=info.bit_depth, speaker=speaker,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    with open(local_path, "rb") as fh:
        audio.file.save(f"upload.{extension}", File(fh), save=False)
    try:
        with transaction.atomic():
            audio.save()
            audit.record("file.uploaded", actor=user, organisation=org, target=audio,
                         storage_locations=[audio.file.name], sha256=digest, size=audio.size)
            # In the outbox, in this transaction: the analysis survives a Redis outage (voicemanager/core/outbox.py).
            outbox.enqueue("tasks.files.process_new_file", audio.pk)
            voice_checks.queue_for_file(audio)  # a named speaker's file: compared with their consent recording
    except BaseException as exc:
        if stored_after_failure(exc, AudioFile, audio.pk, audio.file):
            return audio  # flush_outbox sends its job
        raise
    return audio


class FileInUse(Exception):
    """The file cannot be deleted now; the message says why."""


def delete_file(audio: AudioFile, user, *, via: str = "file_manager") -> list[str]:
    """Delete a file and its derived versions, then their stored bytes once the rows are gone.

    Refused while the file is a consent recording or part of a voice still being made.
    Returns the storage keys removed (also written to the audit event).
    """
    from django.db.models import ProtectedError

    from voicemanager.models import Voice

    family = [audio, *AudioFile.objects.filter(derived_from=audio)]
    ids = {f.public_id for f in family}
    busy = Voice.objects.for_org(audio.organisation).filter(
        status__in=[Voice.Status.PENDING, Voice.Status.PROCESSING]).only("alias", "files_used")
    for voice in busy:
        if ids & set(voice.files_used):
            raise FileInUse(f"The file is part of voice {voice.alias!r}, which is still being made.")
    keys = [f.file.name for f in family if f.file]
    storage = audio.file.storage
    try:
        with transaction.atomic():
            audit.record("file.deleted", actor=user, organisation=audio.organisation, target=audio,
                         storage_locations=keys, name=audio.full_path, via=via,
                         derived=[f.public_id for f in family[1:]])
            audio.delete()
    except ProtectedError:
        raise FileInUse("The file is a spoken consent recording and is kept as evidence.") from None
    transaction.on_commit(lambda: [storage.delete(key) for key in keys])
    return keys
