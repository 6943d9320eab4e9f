"""Real-speech takes for the speaker-verification and quality-report tests (LibriSpeech clips, see
tasks/tests/fixtures/speaker/NOTICE): a consent recording, takes, and level/pitch-shifted takes made with sox."""
from __future__ import annotations

import hashlib
import subprocess
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

from django.core.files.base import ContentFile
from django.utils import timezone

from voicemanager.models import AudioFile, ConsentRecording
from voicemanager.quality import checks as voice_checks

FIX = Path(__file__).resolve().parents[2] / "tasks" / "tests" / "fixtures" / "speaker"
CONSENT = FIX / "367-130732-0004.flac"
SAME = [FIX / "367-130732-0001.flac", FIX / "367-130732-0004.flac"]
OTHER = [FIX / "1688-142285-0004.flac", FIX / "1688-142285-0005.flac"]


def wav_of(clip: Path, *effects: str) -> bytes:
    """The clip as a 48 kHz 24-bit booth WAV, through sox ``effects`` (e.g. "gain", "-12", "pitch", "600")."""
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "take.wav"
        subprocess.run(["sox", str(clip), "-r", "48000", "-b", "24", str(out), *effects], check=True, timeout=60)
        return out.read_bytes()


def consent_recording(task, clip: Path = CONSENT) -> ConsentRecording:
    data = wav_of(clip)
    audio = AudioFile(organisation=task.organisation, path=task.file_path, name="000_consent.wav",
                      source=AudioFile.Source.CONSENT, task=task, speaker=task.speaker, size=len(data),
                      sha256=hashlib.sha256(data).hexdigest(), analysis_state=AudioFile.Analysis.DONE)
    audio.file.save("consent.wav", ContentFile(data), save=False)
    audio.save()
    return ConsentRecording.objects.create(speaker=task.speaker, organisation=task.organisation, task=task,
                                           audio=audio, statement="I consent.")


def checked_take(task, section, clip: Path, *effects: str, minutes_ago: float = 0.0):
    """A stored booth take of ``clip`` (through sox ``effects``), its voice check run as the worker runs it."""
    from voicemanager.models import Take

    data = wav_of(clip, *effects)
    created = timezone.now() - timedelta(minutes=minutes_ago)
    take = Take(task=task, section=section, kind=Take.Kind.TAKE, client_id=uuid.uuid4(), size=len(data),
                sha256=hashlib.sha256(data).hexdigest(), duration=len(data) / (48000 * 3), sample_rate=48000,
                bit_depth=24, qc={"summary": "ok", "verdicts": []}, qc_state="done", created_at=created)
    take.file.save(f"{take.public_id}.wav", ContentFile(data), save=False)
    take.save()
    check = voice_checks.queue_for_take(take)
    voice_checks.run_check(check.pk)
    check.refresh_from_db()
    return take, check
