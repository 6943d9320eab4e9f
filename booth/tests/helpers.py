"""Audio and consent helpers for the booth tests."""
from __future__ import annotations

import hashlib
import io
import subprocess
import uuid
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from voicemanager.models import ConsentDocument, ConsentSignature


def tone_wav(seconds: float = 2.0, rate: int = 48000, level: float = 0.2, subtype: str = "PCM_16",
             pad_s: float = 0.3) -> bytes:
    """A tone with silence around it: real, whole WAV bytes."""
    t = np.arange(int(seconds * rate)) / rate
    x = (level * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    pad = np.zeros(int(pad_s * rate), np.float32)
    buf = io.BytesIO()
    sf.write(buf, np.concatenate([pad, x, pad]), rate, subtype=subtype, format="WAV")
    return buf.getvalue()


@lru_cache(maxsize=4)
def _speech_bytes(text: str) -> bytes:
    import tempfile

    from e2e.services import speech_wav

    with tempfile.TemporaryDirectory() as d:
        return speech_wav(Path(d) / "s.wav", text).read_bytes()


def speech_wav_bytes(text: str = "I am aware that recordings of my voice will be used to create a synthetic voice.") -> bytes:
    return _speech_bytes(text)


def webm_from_wav(wav: bytes, tmp: Path) -> bytes:
    src, dst = tmp / "in.wav", tmp / "out.webm"
    src.write_bytes(wav)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-c:a", "libopus", "-b:a", "96k",
                    str(dst)], check=True, timeout=60)
    return dst.read_bytes()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def form(data: bytes, *, client_id: str | None = None, kind: str = "take", sha256: str | None = None,
         name: str | None = None) -> dict:
    client_id = client_id or str(uuid.uuid4())
    return {
        "audio": SimpleUploadedFile(name or f"{client_id}.wav", data, content_type="audio/wav"),
        "client_id": client_id, "sha256": sha256 or sha(data), "kind": kind,
    }


def sign_all(speaker, name: str = "Contractor A") -> None:
    for doc in ConsentDocument.objects.current():
        ConsentSignature.objects.get_or_create(
            speaker=speaker, document=doc,
            defaults={"typed_name": name, "document_version": doc.version, "text_hash": doc.text_hash})


def give_consent(client, task) -> dict:
    """Sign the documents and upload a spoken consent statement through the real endpoint."""
    from voicemanager.consent.signing import statement_for

    sign_all(task.speaker)
    r = client.post(f"/booth/tasks/{task.public_id}/consent/recording/",
                    form(speech_wav_bytes(statement_for(task)), kind="consent"))
    assert r.status_code == 201, r.content
    return r.json()


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
