"""Make test audio with known answers: espeak-ng speech, sines, noise, hum, hostile files.

Speech comes from espeak-ng (22.05 kHz) resampled with sox to 48 kHz. Noise is
generated with a fixed seed so every run gets the same signal. Used by the tests
and by bench/.
"""
from __future__ import annotations

import functools
import os
import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 48000
SENTENCE = "The quick brown fox jumps over the lazy dog. Please call Stella and ask her to bring these things."
SHORT_SENTENCE = "Please call Stella and ask her to bring these things with her from the store."


@functools.lru_cache(maxsize=16)
def _speech_cached(text: str, rate: int, voice: str, speed: int) -> np.ndarray:
    with tempfile.TemporaryDirectory() as d:
        raw, out = os.path.join(d, "raw.wav"), os.path.join(d, "out.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", raw, text], check=True, timeout=60,
                       capture_output=True)
        subprocess.run(["sox", raw, "-r", str(rate), "-b", "24", out, "rate", "-v"], check=True, timeout=60,
                       capture_output=True)
        x, _ = sf.read(out, dtype="float32")
    # espeak pads with a little silence; trim it so padding below is exact
    thr = 10 ** (-50 / 20)
    idx = np.flatnonzero(np.abs(x) > thr)
    x = x[idx[0]: idx[-1] + 1] if len(idx) else x
    return x / np.max(np.abs(x)) * 10 ** (-4 / 20)  # peak at -4 dBFS


def speech(text: str = SENTENCE, rate: int = RATE, voice: str = "en-us", speed: int = 160) -> np.ndarray:
    """Clean espeak-ng speech at ``rate``, trimmed, peak -4 dBFS (a copy)."""
    return _speech_cached(text, rate, voice, speed).copy()


def pad(x: np.ndarray, lead_s: float, trail_s: float, rate: int = RATE) -> np.ndarray:
    return np.concatenate([np.zeros(int(lead_s * rate), np.float32), x, np.zeros(int(trail_s * rate), np.float32)])


def white(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32)


def pink(n: int, seed: int = 0) -> np.ndarray:
    """Pink (1/f) noise with unit RMS, shaped in the frequency domain."""
    spec = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    f = np.arange(len(spec), dtype=np.float64)
    f[0] = 1.0
    y = np.fft.irfft(spec / np.sqrt(f), n)
    return (y / np.sqrt(np.mean(y**2))).astype(np.float32)


def hum(n: int, rate: int = RATE, freq: float = 50.0) -> np.ndarray:
    """Mains hum with two harmonics, unit RMS."""
    t = np.arange(n) / rate
    y = np.sin(2 * np.pi * freq * t) + 0.5 * np.sin(2 * np.pi * 2 * freq * t + 0.3) + 0.25 * np.sin(2 * np.pi * 3 * freq * t + 1.1)
    return (y / np.sqrt(np.mean(y**2))).astype(np.float32)


def noise_mix(n: int, kind: str = "pink", rate: int = RATE, hum_db: float = -6.0, seed: int = 0) -> np.ndarray:
    """Broadband noise plus 50 Hz hum ``hum_db`` below it; unit RMS."""
    base = pink(n, seed) if kind == "pink" else white(n, seed)
    y = base + 10 ** (hum_db / 20) * hum(n, rate)
    return (y / np.sqrt(np.mean(y**2))).astype(np.float32)


def noisy_take(snr_db: float, *, text: str = SENTENCE, kind: str = "pink", room_tone_s: float = 0.5,
               trail_s: float = 0.3, rate: int = RATE, seed: int = 0, clean: np.ndarray | None = None):
    """Return (noisy, clean, noise) at ``rate``: room tone first, then speech, then a pause.

    SNR is speech power (over the speech itself) to noise power, as in most
    denoising papers. ``clean`` may be passed to reuse (e.g. looped) speech.
    """
    s = speech(text, rate) if clean is None else clean
    c = pad(s, room_tone_s, trail_s, rate)
    p_speech = float(np.mean(s.astype(np.float64) ** 2))
    nz = noise_mix(len(c), kind, rate, seed=seed) * np.sqrt(p_speech / 10 ** (snr_db / 10))
    return (c + nz).astype(np.float32), c.astype(np.float32), nz.astype(np.float32)


def sine(freq: float = 1000.0, peak_dbfs: float = -6.0, seconds: float = 2.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (10 ** (peak_dbfs / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write(path: str | os.PathLike, x: np.ndarray, rate: int = RATE, subtype: str = "PCM_24") -> Path:
    sf.write(str(path), x, rate, subtype=subtype)
    return Path(path)


def encode(src: str | os.PathLike, dst: str | os.PathLike, *args: str) -> Path:
    """Encode with ffmpeg (e.g. ``"-c:a", "libopus"`` for WebM/Opus)."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), *args, str(dst)], check=True, timeout=60)
    return Path(dst)


# --- hostile inputs ----------------------------------------------------------

def wav_with_data_size(path: str | os.PathLike, declared: int, x: np.ndarray | None = None, rate: int = RATE) -> Path:
    """A 16-bit WAV whose data chunk header claims ``declared`` bytes."""
    x = sine(seconds=1.0) if x is None else x
    pcm = (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    riff_size = min(0xFFFFFFFF, 4 + 8 + len(fmt) + 8 + declared)
    data = b"RIFF" + struct.pack("<I", riff_size) + b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    data += b"data" + struct.pack("<I", declared) + pcm
    Path(path).write_bytes(data)
    return Path(path)


def truncated_copy(src: str | os.PathLike, dst: str | os.PathLike, keep: float = 0.5) -> Path:
    b = Path(src).read_bytes()
    Path(dst).write_bytes(b[: int(len(b) * keep)])
    return Path(dst)
