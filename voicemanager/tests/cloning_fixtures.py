"""Helpers for the file-manager and cloning tests: real audio files in storage, consent, credits."""
from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from django.core.files.base import ContentFile

from voicemanager.models import (
    AudioFile,
    ConsentDocument,
    ConsentRecording,
    ConsentSignature,
    CreditEntry,
    Speaker,
)


def wav_bytes(seconds: float, rate: int = 16000, freq: float = 220.0, subtype: str = "PCM_16") -> bytes:
    """A quiet tone with a little noise: real, valid audio of an exact length."""
    n = int(round(seconds * rate))
    t = np.arange(n, dtype=np.float32) / rate
    rng = np.random.default_rng(int(freq))
    x = 0.1 * np.sin(2 * np.pi * freq * t) + 0.005 * rng.standard_normal(n).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, x, rate, subtype=subtype, format="WAV")
    return buf.getvalue()


def write_wav(path: str | Path, seconds: float, rate: int = 16000, freq: float = 220.0) -> Path:
    path = Path(path)
    path.write_bytes(wav_bytes(seconds, rate, freq))
    return path


def make_audio_file(org, seconds: float, *, rate: int = 16000, name: str | None = None, path: str = "",
                    source: str = AudioFile.Source.UPLOAD, task=None, speaker=None, transcript: str = "",
                    derived_from=None, qc: dict | None = None, freq: float = 220.0) -> AudioFile:
    """Store a real WAV of ``seconds`` in the organisation's files, with its measured facts."""
    data = wav_bytes(seconds, rate, freq)
    audio = AudioFile(
        organisation=org, path=path, name=name or f"tone-{seconds:g}s.wav", source=source, task=task,
        speaker=speaker, transcript=transcript, derived_from=derived_from, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), duration=seconds, sample_rate=rate, channels=1, bit_depth=16,
        qc=qc or {}, analysis_state=AudioFile.Analysis.DONE,
    )
    audio.file.save("audio.wav", ContentFile(data), save=False)
    audio.save()
    return audio


def sign_documents(speaker: Speaker) -> None:
    for doc in ConsentDocument.objects.current():
        ConsentSignature.objects.get_or_create(
            speaker=speaker, document=doc,
            defaults={"typed_name": speaker.full_name or "Speaker", "document_version": doc.version,
                      "text_hash": doc.text_hash, "ip_address": "127.0.0.1"},
        )


def record_consent(speaker: Speaker, org, task=None) -> ConsentRecording:
    audio = make_audio_file(org, 3.0, source=AudioFile.Source.CONSENT, name="consent.wav", speaker=speaker,
                            task=task, path=task.file_path if task else "consent")
    return ConsentRecording.objects.create(speaker=speaker, organisation=org, task=task, audio=audio,
                                           statement=f"I, {speaker}, consent.")


def give_full_consent(speaker: Speaker, org, task=None) -> ConsentRecording:
    sign_documents(speaker)
    return record_consent(speaker, org, task)


def voice_owner(org, name: str = "Olivia Owner", consent: bool = True) -> Speaker:
    speaker = Speaker.objects.create(kind=Speaker.Kind.VOICE_OWNER, organisation=org, full_name=name,
                                     email=f"{name.split()[0].lower()}@example.com")
    if consent:
        give_full_consent(speaker, org)
    return speaker


def add_credits(org, amount: int = 10_000) -> None:
    CreditEntry.objects.create(organisation=org, amount=amount, reason="test top-up")


def temp_wav(seconds: float, rate: int = 16000) -> Path:
    fd = tempfile.NamedTemporaryFile(suffix=".wav", delete=False)
    fd.write(wav_bytes(seconds, rate))
    fd.close()
    return Path(fd.name)


def booth_takes(task, seconds_each: float, *, rate: int = 16000, denoised: bool = False) -> list[AudioFile]:
    """One submitted take per section (originals returned; denoised versions beside them if asked)."""
    import uuid

    from voicemanager.models import Take

    files = []
    for section in task.script.sections.order_by("position"):
        audio = make_audio_file(task.organisation, seconds_each, rate=rate, path=task.file_path,
                                name=f"{section.position:03d}.wav", source=AudioFile.Source.BOOTH, task=task,
                                speaker=task.speaker, transcript=section.text, freq=200 + section.position * 20,
                                qc={"summary": "ok", "verdicts": []})
        Take.objects.create(task=task, section=section, client_id=uuid.uuid4(), file=audio.file.name,
                            size=audio.size, sha256=audio.sha256, duration=seconds_each, sample_rate=rate,
                            status=Take.Status.SUBMITTED, audio_file=audio)
        if denoised:
            make_audio_file(task.organisation, seconds_each, rate=rate, path=task.file_path,
                                    name=f"{section.position:03d}.denoised.wav", source=AudioFile.Source.DENOISED,
                                    task=task, speaker=task.speaker, transcript=section.text, derived_from=audio,
                                    freq=200 + section.position * 20)
        files.append(audio)
    return files


def run_chain(job, *args) -> None:
    """Run ``job`` as a worker would, then the jobs it enqueues through the outbox: they are sent when
    its transaction commits, which a test's own transaction never does, so the callbacks run here."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        job(*args)
