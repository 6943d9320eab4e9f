"""Packaging flow: build a voice's package (streaming), then forward it exactly once.

The Celery tasks in ``tasks/cloning.py`` load nothing themselves: they call ``package``
and ``forward`` with the voice's id. ``package`` writes the zip member by member into a temp file (audio copied from
storage in 1 MB chunks, sha256 computed on the way, short booth takes of professional
sets joined by streaming decode), then saves it to storage as the ``VoicePackage``.
``forward`` claims the package with a conditional update on
``forward_claimed_at``; a redelivered or repeated job finds it claimed or forwarded and
does nothing. A claim older than ``STALE_CLAIM`` (its worker died mid-POST) may be
taken again, and so may the claim of our own attempt that a database error ended (the
retry); the webhook's ``Idempotency-Key`` lets a receiver drop that rare repeat.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import shutil
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path

import soundfile as sf
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from tasks.audio.decode import AudioRejected, iter_blocks
from voicemanager.cloning import credits, engines
from voicemanager.cloning import gate as quality_gate
from voicemanager.cloning.providers import PermanentForwardError, TransientForwardError, get_provider
from voicemanager.cloning.voices import file_facts, qc_decisions
from voicemanager.consent.gate import check_consent, consent_evidence
from voicemanager.core import audit, outbox
from voicemanager.models import AudioFile, Voice, VoicePackage
from voicemanager.quality import checks as voice_checks

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
STALE_CLAIM = timedelta(minutes=15)
MAX_FORWARD_RETRIES = 8


class PackagingError(Exception):
    """Bad input (a file gone or changed): the voice fails with this reason; retrying will not help."""


def fail_voice(voice_pk: int, reason: str) -> None:
    with transaction.atomic():
        voice = Voice.objects.filter(pk=voice_pk).first()
        if voice is None or not voice.fail(reason):
            return
        audit.record("voice.failed", organisation=voice.organisation, target=voice, reason=reason[:500])


# --- building the archive ------------------------------------------------------------------------


def _copy_member(zf: zipfile.ZipFile, arcname: str, src) -> tuple[str, int]:
    """Copy a readable binary stream into the zip; return (sha256, bytes)."""
    digest, size = hashlib.sha256(), 0
    with zf.open(arcname, "w", force_zip64=True) as dst:
        while block := src.read(CHUNK):
            digest.update(block)
            dst.write(block)
            size += len(block)
    return digest.hexdigest(), size


def _local_copy(audio: AudioFile, directory: Path) -> Path:
    """A local path for decoding: the file itself on disk storage, else a streamed temp copy."""
    try:
        return Path(audio.file.path)
    except NotImplementedError:
        target = directory / f"{audio.public_id}{Path(audio.file.name).suffix}"
        with audio.file.open("rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
        return target


def _join(files: list[AudioFile], dst: Path, scratch: Path) -> tuple[int, float]:
    """Concatenate takes (in the given order) into one mono WAV at the first take's rate."""
    rate = files[0].sample_rate or 48000
    subtype = "PCM_16" if all(f.bit_depth == 16 for f in files) else "PCM_24"
    frames = 0
    with sf.SoundFile(str(dst), "w", samplerate=rate, channels=1, subtype=subtype, format="WAV") as out:
        for audio in files:
            local = _local_copy(audio, scratch)
            same_rate = audio.sample_rate == rate
            for block in iter_blocks(local, mono=True, sample_rate=None if same_rate else rate):
                out.write(block.clip(-1.0, 1.0))
                frames += len(block)
            if local.parent == scratch:
                local.unlink()
    return rate, frames / rate


def _clean_text(text: str) -> str:
    return " ".join((text or "").replace("|", " ").split())


def _qc_summary(audio: AudioFile) -> dict:
    qc = audio.qc or {}
    return {"summary": qc.get("summary", "not_analysed" if not qc else "ok"),
            "issues": [v.get("code") for v in qc.get("verdicts", []) if isinstance(v, dict)
                       and v.get("level") in ("warn", "fail")]}


def build_package(voice: Voice) -> tuple[Path, dict, tempfile.TemporaryDirectory]:
    """Write the zip for ``voice`` to a temp file; return (path, manifest, the temp dir to clean up)."""
    by_id = {f.public_id: f for f in AudioFile.objects.filter(
        organisation=voice.organisation, public_id__in=voice.files_used).select_related("task")}
    missing = [fid for fid in voice.files_used if fid not in by_id]
    if missing:
        raise PackagingError(f"Files were deleted before packaging: {', '.join(missing)}.")
    files = [by_id[fid] for fid in voice.files_used]
    gate = quality_gate.apply(files, qc_decisions(files, voice.qc_included))
    if gate.flagged:  # failed QC after the request (analysis finished late), and nobody decided to keep it
        raise PackagingError("These files failed QC and were not included on purpose: " + "; ".join(
            f"{f['name']} ({', '.join(f['codes'])})" for f in gate.flagged) + ".")
    ev = engines.evaluate(file_facts(files), voice.engine, voice.type)
    if not ev.ok:
        raise PackagingError(ev.set_errors[0]["message"])

    def manifest(entries: list[dict]) -> dict:
        out = _manifest(voice, entries, ev, files)
        out["qcIncluded"] = [{"fileId": i["fileId"], "codes": i["codes"], "decision": i["decision"]}
                             for i in gate.included]
        return out

    return write_archive(ev.members, by_id, manifest)


def write_archive(members: list[engines.Member], by_id: dict[str, AudioFile], manifest_for,
                  progress=None) -> tuple[Path, dict, tempfile.TemporaryDirectory]:
    """Write audio (joined members decoded and joined), ``metadata.csv`` and ``manifest.json`` to a temp zip.

    ``manifest_for(entries)`` returns the manifest; ``progress(done, total)`` is called after each member.
    The same writer builds the provider's package and the admin's download, so they are the same set.
    """
    tmp = tempfile.TemporaryDirectory(prefix="package-", dir=getattr(settings, "PACKAGE_TEMP_DIR", None))
    scratch = Path(tmp.name)
    zip_path = scratch / "package.zip"
    entries, rows = [], []
    try:
        with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for n, member in enumerate(members, start=1):
                sources = [by_id[fid] for fid in member.file_ids]
                if member.joined:
                    stem = f"{n:04d}_joined"
                    wav = scratch / f"{stem}.wav"
                    rate, duration = _join(sources, wav, scratch)
                    with open(wav, "rb") as src:
                        sha, size = _copy_member(zf, f"wavs/{stem}.wav", src)
                    wav.unlink()
                    arcname = f"wavs/{stem}.wav"
                else:
                    audio = sources[0]
                    stem = f"{n:04d}_{audio.public_id}"
                    arcname = f"wavs/{stem}{Path(audio.file.name).suffix.lower() or '.wav'}"
                    with audio.file.open("rb") as src:
                        sha, size = _copy_member(zf, arcname, src)
                    if audio.sha256 and sha != audio.sha256:
                        raise PackagingError(f"{audio.name} changed in storage (checksum mismatch).")
                    rate, duration = audio.sample_rate, audio.duration
                rows.append((stem, _clean_text(" ".join(a.transcript for a in sources))))
                entries.append({
                    "name": arcname, "id": stem, "sha256": sha, "size": size, "sampleRate": rate,
                    "durationSeconds": round(duration or 0.0, 3), "joined": member.joined,
                    "sources": [{"fileId": a.public_id, "name": a.full_path, "sha256": a.sha256,
                                 "source": a.source, "durationSeconds": a.duration, "sampleRate": a.sample_rate,
                                 "derivedFrom": a.derived_from.public_id if a.derived_from_id else None,
                                 "text": a.transcript, "qc": _qc_summary(a)} for a in sources],
                })
                if progress is not None:
                    progress(n, len(members))
            csv_buf = io.StringIO()
            writer = csv.writer(csv_buf, delimiter="|", quoting=csv.QUOTE_NONE, escapechar="\\", lineterminator="\n")
            writer.writerows(rows)
            zf.writestr("metadata.csv", csv_buf.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
            manifest = manifest_for(entries)
            zf.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True),
                        compress_type=zipfile.ZIP_DEFLATED)
    except BaseException:
        tmp.cleanup()
        raise
    return zip_path, manifest, tmp


def store_archive(zip_path: Path, tmp: tempfile.TemporaryDirectory, field, name: str) -> tuple[int, str]:
    """Save the temp zip into ``field`` (a FileField, not saved to its row) and clean up; return (size, sha256)."""
    try:
        sha = hashlib.sha256()
        with open(zip_path, "rb") as fh:
            while block := fh.read(CHUNK):
                sha.update(block)
        size = zip_path.stat().st_size
        with open(zip_path, "rb") as fh:
            field.save(name, File(fh), save=False)
    finally:
        tmp.cleanup()
    return size, sha.hexdigest()


def _manifest(voice: Voice, entries: list[dict], ev: engines.Evaluation, files: list[AudioFile]) -> dict:
    task, speaker = voice.task, voice.speaker
    levels = [(_qc_summary(f)["summary"]) for f in files]
    return {
        "format": "voicemanager-package/1",
        "createdAt": timezone.now().isoformat(),
        "voice": {"id": voice.public_id, "alias": voice.alias, "engine": voice.engine, "type": voice.type,
                  "metadata": voice.metadata},
        "organisation": voice.organisation.public_id,
        "language": voice.language,
        "script": ({"id": task.script.public_id, "title": task.script.title, "language": task.script.language,
                    "version": task.script.version} if task else None),
        "task": task.public_id if task else None,
        "speaker": ({"id": speaker.public_id, "name": speaker.full_name, "kind": speaker.kind,
                     "nativeLanguages": speaker.native_languages} if speaker else None),
        "files": entries,
        "sampleRates": sorted({e["sampleRate"] for e in entries if e["sampleRate"]}),
        "totals": {"files": len(entries), "durationSeconds": round(ev.total_s, 3), "bytes": ev.total_bytes},
        "discardedFiles": ev.discarded,
        "qcSummary": {level: levels.count(level) for level in sorted(set(levels))},
        "consent": consent_evidence(speaker, task=task, organisation=voice.organisation) if speaker else None,
        "metadataCsv": "metadata.csv (LJSpeech: id|text)",
    }


# --- jobs ------------------------------------------------------------------------------------------


class RetryLater(Exception):  # noqa: N818 - a signal to the task, not an error
    """The provider had a transient problem: the job should run again after ``countdown`` seconds."""

    def __init__(self, cause: Exception, countdown: float):
        super().__init__(str(cause))
        self.cause, self.countdown = cause, countdown


def package(voice_pk: int) -> None:
    """Build the voice's package once (a rebuilt package replaces nothing already built), then forward."""
    voice = Voice.objects.select_related("organisation", "task__script", "speaker").filter(pk=voice_pk).first()
    if voice is None or voice.status in (Voice.Status.FAILED, Voice.Status.SUCCEEDED):
        return
    package, _ = VoicePackage.objects.get_or_create(voice=voice)
    if package.built_at is None:
        reasons = check_consent(voice.speaker, task=voice.task, organisation=voice.organisation)
        if reasons:
            fail_voice(voice.pk, "Consent is missing: " + " ".join(reasons))
            return
        if voice.speaker_mismatch_overridden_by_id is None:  # checks still waiting run here first
            files = list(AudioFile.objects.filter(organisation=voice.organisation, public_id__in=voice.files_used))
            mismatches = voice_checks.speaker_mismatches(files, run_waiting=True)
            if mismatches:
                fail_voice(voice.pk, voice_checks.mismatch_message(mismatches))
                return
        try:
            zip_path, manifest, tmp = build_package(voice)
        except (PackagingError, AudioRejected) as exc:
            fail_voice(voice.pk, f"The package could not be built: {exc}")
            return
        size, sha = store_archive(zip_path, tmp, package.file, f"{voice.public_id}.zip")
        updated = VoicePackage.objects.filter(pk=package.pk, built_at=None).update(
            file=package.file.name, size=size, sha256=sha, manifest=manifest, built_at=timezone.now())
        if not updated:  # another delivery finished first; keep its archive
            package.file.storage.delete(package.file.name)
        Voice.objects.filter(pk=voice.pk).mark_packaged()
        audit.record("voice.packaged", organisation=voice.organisation, target=voice,
                     storage_locations=[package.file.name], size=size)
    outbox.enqueue("tasks.cloning.forward_voice", voice.pk)


def _backoff(retries: int) -> float:
    base = float(getattr(settings, "CLONING_RETRY_BASE_S", 30))
    return min(base * (2 ** retries), float(getattr(settings, "CLONING_RETRY_MAX_S", 3600)))


def forward(voice_pk: int, *, retries: int = 0, max_retries: int = MAX_FORWARD_RETRIES,
            takeover: bool = False) -> None:
    """Hand the package to the configured provider, exactly once. A transient failure raises RetryLater
    (with its backoff) until ``retries`` reaches ``max_retries``; then the voice fails."""
    voice = Voice.objects.select_related("organisation", "task", "speaker").filter(pk=voice_pk).first()
    package = VoicePackage.objects.filter(voice_id=voice_pk).first()
    if voice is None or package is None or package.built_at is None or package.forwarded_at is not None:
        return
    if voice.status in (Voice.Status.FAILED, Voice.Status.SUCCEEDED):
        return
    reasons = check_consent(voice.speaker, task=voice.task, organisation=voice.organisation)
    if reasons:
        fail_voice(voice.pk, "Consent is missing: " + " ".join(reasons))
        return
    if voice.type == Voice.Type.PROFESSIONAL and not credits.professional_quote_accepted(voice):
        return  # waits for the admin to accept staff's quote; credits.accept_quote enqueues this job again
    now = timezone.now()
    unclaimed = Q(forward_claimed_at=None) | Q(forward_claimed_at__lt=now - STALE_CLAIM)
    if retries or takeover:
        # our own earlier attempt raised (a database error), or the worker of the one that claimed it died
        # (the outbox re-sent the job when its heartbeat stopped), and may have left its claim: take it back.
        # Should its POST have gone through, the Idempotency-Key (the voice id) lets the receiver drop this one.
        unclaimed = Q()
    claimed = VoicePackage.objects.filter(pk=package.pk, forwarded_at=None).filter(unclaimed).update(
        forward_claimed_at=now, forward_attempts=F("forward_attempts") + 1)
    if not claimed:
        return
    package.refresh_from_db()
    try:
        ref = get_provider(voice.provider or settings.CLONING_PROVIDER).forward(voice, package)
    except TransientForwardError as exc:
        VoicePackage.objects.filter(pk=package.pk).update(forward_claimed_at=None, forward_error=str(exc)[:2000])
        if retries >= max_retries:
            fail_voice(voice.pk, f"The package could not be delivered after {package.forward_attempts} attempts: {exc}")
            return
        raise RetryLater(exc, _backoff(retries)) from exc
    except PermanentForwardError as exc:
        VoicePackage.objects.filter(pk=package.pk).update(forward_error=str(exc)[:2000])
        fail_voice(voice.pk, f"The package could not be forwarded: {exc}")
        return
    with transaction.atomic():
        VoicePackage.objects.filter(pk=package.pk).update(forwarded_at=timezone.now(), forward_error="")
        Voice.objects.filter(pk=voice.pk).mark_forwarded(ref)
        audit.record("voice.forwarded", organisation=voice.organisation, target=voice, provider=voice.provider,
                     attempts=package.forward_attempts)
