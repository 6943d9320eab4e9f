"""Store one uploaded recording (take, consent statement or room tone) by the booth contract.

The bytes are checked by content (``tasks.audio.decode.validate``), converted to WAV
when the browser had to fall back to MediaRecorder, hashed, QC'd and written to
storage under a generated name before the row is created, all or nothing: a
rejected upload leaves no file and no row behind.

QC runs here, synchronously, because it is fast: ``analyse(align=False)`` measures
about 9 ms per second of audio (65 ms for a 7.5 s take on the dev box, ~270 ms at
the 30 s hard limit), so the verdicts are in the upload's answer, well inside the
~2 s the booth promises, with no worker round trip. The word-level script check
(Whisper, about 0.4 s of CPU for a 10 s take) runs on the adherence queue (``recording/adherence.py``);
the take panel shows it when it arrives. The consent statement is checked here,
before anything is stored: one that does not say the text is refused.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from tasks.audio.decode import AudioInfo, AudioRejected, to_wav, validate
from tasks.audio.hashing import sha256_file
from tasks.audio.qc import analyse, room_tone_report
from voicemanager.files.committed import stored_after_failure
from voicemanager.models import AudioFile, ConsentRecording, RecordingTask, Section, Take
from voicemanager.quality import checks as voice_checks
from voicemanager.recording.takes import copy_to_file_manager

log = logging.getLogger(__name__)

KINDS = {"take": Take.Kind.TAKE, "consent": Take.Kind.CONSENT, "roomtone": Take.Kind.ROOM_TONE,
         "room_tone": Take.Kind.ROOM_TONE}
MIN_CONSENT_SPEECH_S = 0.5


class UploadError(Exception):
    """A refused upload: ``status``/``code``/``message`` go to the browser as JSON."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Received:
    path: Path  # the bytes as the browser sent them
    sha256: str  # client's checksum
    client_id: uuid.UUID
    kind: str
    owned: bool  # True when ``path`` is our temp copy (may be moved into storage)


class _MovableFile(File):
    """A local temp file FileSystemStorage may rename into place (atomic on one filesystem)."""

    def temporary_file_path(self) -> str:
        return self.name


def temp_dir() -> Path:
    path = Path(settings.UPLOAD_TEMP_DIR) / "booth"
    path.mkdir(parents=True, exist_ok=True)
    return path


def spool(uploaded) -> Path:
    """Copy a Django UploadedFile to our temp dir (same filesystem as MEDIA_ROOT by default)."""
    fd, name = tempfile.mkstemp(dir=temp_dir(), suffix=".upload")
    with os.fdopen(fd, "wb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return Path(name)


def parse_client_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError):
        raise UploadError(400, "bad_client_id", "The upload has no valid client_id.") from None


def existing_take(task: RecordingTask, client_id: uuid.UUID) -> Take | None:
    return Take.objects.filter(task=task, client_id=client_id).first()


def _check_audio(path: Path) -> AudioInfo:
    try:
        return validate(path, max_bytes=settings.TAKE_MAX_BYTES, min_s=settings.TAKE_MIN_SECONDS,
                        max_s=settings.TAKE_MAX_SECONDS, min_rate=settings.TAKE_MIN_SAMPLE_RATE)
    except AudioRejected as exc:
        raise UploadError(413 if exc.code == "too_large" else 400, exc.code, exc.message) from exc


def store_recording(task: RecordingTask, section: Section | None, received: Received, *, user,
                    captured_with: str = "worklet") -> tuple[Take, bool]:
    """Validate, convert, hash, QC and store one recording; return ``(take, created)``.

    Idempotent on ``client_id``: the same take sent twice is stored once (the second
    call returns the first take, ``created=False``). Raises ``UploadError`` for bad input.
    """
    kind = KINDS.get(received.kind)
    if kind is None:
        raise UploadError(400, "bad_kind", "Unknown recording kind.")
    if (kind == Take.Kind.TAKE) != (section is not None):
        raise UploadError(400, "bad_section", "Script takes belong to a section; consent and room tone do not.")
    previous = existing_take(task, received.client_id)
    if previous is not None:
        return previous, False

    size = received.path.stat().st_size
    if size > settings.TAKE_MAX_BYTES:
        raise UploadError(413, "too_large", f"The recording is {size / 1e6:.0f} MB; the limit is "
                          f"{settings.TAKE_MAX_BYTES / 1e6:.0f} MB.")
    info = _check_audio(received.path)
    got_sha = sha256_file(received.path)
    if got_sha != received.sha256.lower():
        raise UploadError(400, "checksum_mismatch", "The recording arrived damaged (checksum mismatch); "
                          "it will be sent again.")
    work: list[Path] = []
    try:
        if info.format_name == "wav" and info.codec.startswith("pcm_s"):
            wav, wav_info, wav_sha, movable = received.path, info, got_sha, received.owned
        else:  # MediaRecorder fallback (webm/ogg/mp4) or float WAV: store as PCM WAV
            fd, name = tempfile.mkstemp(dir=temp_dir(), suffix=".wav")
            os.close(fd)
            wav = Path(name)
            work.append(wav)
            try:
                wav_info = to_wav(received.path, wav, subtype="PCM_24", mono=True)  # the booth records mono
            except AudioRejected as exc:
                raise UploadError(400, exc.code, exc.message) from exc
            wav_sha, movable = sha256_file(wav), True
            captured_with = "mediarecorder" if info.codec in ("opus", "vorbis", "aac") else captured_with
        qc = _qc(kind, wav, section)
        if kind == Take.Kind.CONSENT and (qc.get("metrics", {}).get("speech_s") or 0) < MIN_CONSENT_SPEECH_S:
            raise UploadError(400, "no_speech", "We could not hear you read the statement. Check the microphone "
                              "and read it aloud again.")
        if kind == Take.Kind.CONSENT and settings.CONSENT_STATEMENT_CHECK:
            qc["statement"] = check_statement(task, wav, qc.get("metrics"))
        take = Take(task=task, section=section, kind=kind, client_id=received.client_id, size=wav.stat().st_size,
                    sha256=wav_sha, received_sha256=got_sha, received_format=f"{info.format_name}/{info.codec}"[:40],
                    duration=wav_info.duration_s or info.duration_s, sample_rate=wav_info.sample_rate,
                    channels=wav_info.channels, bit_depth=wav_info.bit_depth, captured_with=captured_with,
                    qc=qc, qc_state="done")
        # The file goes into storage first (renamed into place, or one S3 PUT); the row
        # only exists once the bytes do. If the row then fails, the file is removed.
        content = _MovableFile(open(wav, "rb"), name=str(wav)) if movable else File(open(wav, "rb"))
        with content:
            take.file.save(f"{take.public_id}.wav", content, save=False)
        try:
            with transaction.atomic():
                take.save()
                _after_store(task, take, user)
        except IntegrityError:
            take.file.storage.delete(take.file.name)
            previous = existing_take(task, received.client_id)  # a concurrent duplicate won the race
            if previous is None:
                raise
            return previous, False
        except BaseException as exc:
            if stored_after_failure(exc, Take, take.pk, take.file):
                return take, True
            raise
        return take, True
    finally:
        for p in work:
            p.unlink(missing_ok=True)


def check_statement(task: RecordingTask, wav: Path, metrics: dict | None) -> dict:
    """Check the spoken consent statement says its text; refuse it (nothing stored) when it does not.

    Runs in the upload request (about 0.3 s of CPU for a 7 s statement, once per task) so that a refused
    statement is never stored. The statement is in English (``consent.signing.STATEMENT``).
    """
    from tasks.audio.adherence import ModelUnavailable
    from tasks.audio.qc import adherence
    from voicemanager.consent.signing import signed_name, statement_for

    try:
        result = adherence(wav, statement_for(task), "en", metrics, model=settings.ADHERENCE_MODEL,
                           device=settings.ADHERENCE_DEVICE, statement=True,
                           names=(signed_name(task.speaker), task.organisation.name))
    except ModelUnavailable as exc:
        log.error("consent statement not checked: %s", exc)
        raise UploadError(503, "check_unavailable", "The statement cannot be checked right now; please try again "
                          "in a few minutes.") from exc
    if not result.get("accepted"):
        raise UploadError(400, "statement_mismatch", result.get("message") or "The recording does not say the statement.")
    return {k: result.get(k) for k in ("verdict", "score", "words", "heard", "message")}


def _qc(kind: str, wav: Path, section: Section | None) -> dict:
    if kind == Take.Kind.ROOM_TONE:
        return room_tone_report(wav)
    result = analyse(wav, text=section.text if section else None, align=False)
    result.pop("alignment", None)
    return result


def _after_store(task: RecordingTask, take: Take, user) -> None:
    """Inside the take's transaction: the task's side of a consent or room-tone recording."""
    now = timezone.now()
    task.start_recording()
    updates: dict = {}
    if take.kind in (Take.Kind.CONSENT, Take.Kind.ROOM_TONE):
        consent = take.kind == Take.Kind.CONSENT
        audio = copy_to_file_manager(
            take, AudioFile(organisation=task.organisation, path=task.file_path.strip("/"), task=task,
                            speaker=task.speaker, created_by=user,
                            source=AudioFile.Source.CONSENT if consent else AudioFile.Source.ROOM_TONE,
                            name=f"000_{'consent' if consent else 'room_tone'}_{take.public_id[-6:]}.wav",
                            label="Consent statement" if consent else "Room tone"))
        take.audio_file = audio
        take.save(update_fields=["audio_file"])
        if consent:
            from voicemanager.consent.signing import statement_for

            ConsentRecording.objects.update_or_create(
                task=task, defaults={"speaker": task.speaker, "organisation": task.organisation, "audio": audio,
                                     "statement": statement_for(task), "created_at": now, "voice_reference": {}})
        else:
            updates.update(room_tone=audio, room_tone_report=take.qc)
    else:
        voice_checks.queue_for_take(take)  # compared with the consent recording by a worker
    if updates:
        RecordingTask.objects.filter(pk=task.pk).update(**updates)
    if take.kind == Take.Kind.TAKE:
        from voicemanager.recording import adherence

        if adherence.needs_check(take):
            adherence.enqueue(take)  # the worker's answer reaches the take panel a few seconds later


def remove_temp(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:  # pragma: no cover - best effort
        log.warning("could not remove %s", path)


def copy_claimed(path: Path) -> Path:
    """Copy a finished tus upload to our temp dir (the tus temp file is released on commit)."""
    fd, name = tempfile.mkstemp(dir=temp_dir(), suffix=".upload")
    os.close(fd)
    shutil.copyfile(path, name)
    return Path(name)
