"""QC metrics for a take, measured in one streaming pass.

Levels: peak and clipped samples over all channels; everything else on the mono
mix. Frames are 30 ms (webrtcvad's frame). Loudness is ITU-R BS.1770-4 integrated
loudness with pyloudnorm's K-weighting filters, computed from 100 ms sub-blocks so
a long file never has to be in memory. A frame counts as speech when webrtcvad
(16 kHz, mode 3) says so AND it is at least ``SPEECH_MARGIN_DB`` above the noise
floor, which keeps steady noise (hum, hiss, fans) from passing as speech.
"""
from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterable

import numpy as np
import pyloudnorm
import webrtcvad
from scipy.signal import lfilter, resample_poly

from .decode import AudioInfo, iter_blocks, probe

FRAME_S = 0.030
VAD_RATE = 16000
VAD_MODE = 3
SPEECH_MARGIN_DB = 6.0
MIN_SPEECH_RUN = 3  # frames (90 ms): shorter blips (clicks, breaths) do not start speech
CLIP_LEVEL = 0.999  # |x| at or above this counts as clipped (-0.009 dBFS)
FLOOR_DB = -120.0
NOISE_PERCENTILE = 10


def db(power: float) -> float:
    """Power (mean square) to dBFS, floored at -120 so the result is always a number."""
    return float(max(FLOOR_DB, 10.0 * math.log10(power))) if power > 0 else FLOOR_DB


@functools.lru_cache(maxsize=8)
def _k_weighting(rate: int) -> list[tuple[np.ndarray, np.ndarray]]:
    meter = pyloudnorm.Meter(rate)
    return [(f.b * f.passband_gain, f.a) for f in meter._filters.values()]


def _integrated_loudness(sub_ms: list[float]) -> float | None:
    """BS.1770-4 gating over 400 ms blocks with 75 % overlap (from 100 ms sub-blocks)."""
    s = np.asarray(sub_ms)
    if len(s) < 4:
        return None
    blocks = np.convolve(s, np.ones(4) / 4, mode="valid")
    loud = -0.691 + 10 * np.log10(np.maximum(blocks, 1e-20))
    gated = blocks[loud >= -70.0]
    if not len(gated):
        return None
    rel = -0.691 + 10 * np.log10(gated.mean()) - 10.0
    gated = blocks[(loud >= -70.0) & (loud >= rel)]
    if not len(gated):
        return None
    return float(-0.691 + 10 * np.log10(gated.mean()))


class _Accumulator:
    """Consume mono blocks at ``rate`` and keep per-frame statistics."""

    def __init__(self, rate: int):
        self.rate = rate
        self.frame = int(round(FRAME_S * rate))
        self.sub = int(round(0.1 * rate))
        self.filters = _k_weighting(rate)
        self.zi = [np.zeros(max(len(a), len(b)) - 1) for b, a in self.filters]
        self.vad = webrtcvad.Vad(VAD_MODE)
        g = math.gcd(rate, VAD_RATE)
        self.up, self.down = VAD_RATE // g, rate // g
        self.vad_frame = int(FRAME_S * VAD_RATE)
        self.carry = np.zeros(0, np.float32)
        self.kcarry = np.zeros(0)
        self.frame_ms: list[np.ndarray] = []
        self.frame_vad: list[bool] = []
        self.sub_ms: list[float] = []
        self.sum_sq = 0.0
        self.n = 0

    def feed(self, x: np.ndarray, last: bool = False) -> None:
        self.sum_sq += float(np.dot(x.astype(np.float64), x))
        self.n += len(x)
        # K-weighted 100 ms sub-blocks for loudness
        k = x.astype(np.float64)
        for i, (b, a) in enumerate(self.filters):
            k, self.zi[i] = lfilter(b, a, k, zi=self.zi[i])
        k = np.concatenate([self.kcarry, k])
        m = len(k) // self.sub
        if m:
            self.sub_ms.extend(np.mean(k[: m * self.sub].reshape(m, self.sub) ** 2, axis=1).tolist())
        self.kcarry = k[m * self.sub:]
        # 30 ms frames: energy and VAD
        y = np.concatenate([self.carry, x])
        m = len(y) // self.frame
        if last and len(y) - m * self.frame > self.frame // 2:
            y = np.concatenate([y, np.zeros(self.frame - (len(y) - m * self.frame), np.float32)])
            m += 1
        if m:
            frames = y[: m * self.frame].reshape(m, self.frame)
            self.frame_ms.append(np.mean(frames.astype(np.float64) ** 2, axis=1))
            v = frames.reshape(-1)
            if self.rate != VAD_RATE:
                v = resample_poly(v, self.up, self.down)
            pcm = (np.clip(v, -1, 1) * 32767).astype("<i2")
            n = min(m, len(pcm) // self.vad_frame)
            for j in range(n):
                self.frame_vad.append(self.vad.is_speech(pcm[j * self.vad_frame:(j + 1) * self.vad_frame].tobytes(), VAD_RATE))
            self.frame_vad.extend([False] * (m - n))
        self.carry = y[m * self.frame:]


def _runs(mask: np.ndarray, min_len: int) -> np.ndarray:
    """Keep only runs of True at least ``min_len`` long."""
    out = np.zeros_like(mask)
    i, n = 0, len(mask)
    while i < n:
        if mask[i]:
            j = i
            while j < n and mask[j]:
                j += 1
            if j - i >= min_len:
                out[i:j] = True
            i = j
        else:
            i += 1
    return out


def measure_blocks(blocks: Iterable[np.ndarray], rate: int) -> dict:
    """Compute level, noise and speech metrics from (frames, channels) float blocks."""
    acc = _Accumulator(rate)
    peak = 0.0
    clipped = 0
    it = iter(blocks)
    cur = next(it, None)
    while cur is not None:
        nxt = next(it, None)
        block = cur if cur.ndim == 2 else cur[:, None]
        if len(block):
            a = np.abs(block)
            peak = max(peak, float(a.max()))
            clipped += int(np.count_nonzero(a >= CLIP_LEVEL))
            acc.feed(block.mean(axis=1, dtype=np.float32) if block.shape[1] > 1 else block[:, 0], last=nxt is None)
        cur = nxt
    frames = acc.n
    frame_ms = np.concatenate(acc.frame_ms) if acc.frame_ms else np.zeros(0)
    frame_db = 10 * np.log10(np.maximum(frame_ms, 1e-12))
    noise_floor = float(np.percentile(frame_db, NOISE_PERCENTILE)) if len(frame_db) else FLOOR_DB
    noise_floor = max(FLOOR_DB, noise_floor)
    vad = np.asarray(acc.frame_vad[: len(frame_db)], bool)
    speech = _runs(vad & (frame_db >= noise_floor + SPEECH_MARGIN_DB), MIN_SPEECH_RUN)
    speech_frames = int(speech.sum())
    duration = frames / rate if rate else 0.0
    if speech_frames:
        first = int(np.argmax(speech))
        last = len(speech) - int(np.argmax(speech[::-1]))
        lead_ms = first * FRAME_S * 1000
        trail_ms = max(0.0, duration * 1000 - last * FRAME_S * 1000)
        speech_db = db(float(frame_ms[speech].mean()))
    else:
        lead_ms = trail_ms = duration * 1000
        speech_db = None
    rms_db = db(acc.sum_sq / frames) if frames else FLOOR_DB
    return {
        "duration_s": round(duration, 4),
        "frames": frames,
        "peak_dbfs": round(20 * math.log10(peak), 2) if peak > 0 else FLOOR_DB,
        "clipped_samples": clipped,
        "rms_dbfs": round(rms_db, 2),
        "speech_rms_dbfs": None if speech_db is None else round(speech_db, 2),
        "loudness_lufs": (lambda v: None if v is None else round(v, 2))(_integrated_loudness(acc.sub_ms)),
        "noise_floor_dbfs": round(noise_floor, 2),
        "snr_db": None if speech_db is None else round(speech_db - noise_floor, 2),
        "leading_silence_ms": round(lead_ms, 1),
        "trailing_silence_ms": round(trail_ms, 1),
        "speech_s": round(speech_frames * FRAME_S, 3),
        "speech_ratio": round(speech_frames / len(speech), 4) if len(speech) else 0.0,
    }


def measure(path: str | os.PathLike, info: AudioInfo | None = None) -> dict:
    """All QC metrics for one file (streaming), including format figures."""
    info = info or probe(path)
    m = measure_blocks(iter_blocks(path, mono=False), info.sample_rate)
    return {
        "format": info.format_name,
        "codec": info.codec,
        "sample_rate": info.sample_rate,
        "channels": info.channels,
        "bit_depth": info.bit_depth,
        "size_bytes": info.size_bytes,
        **m,
    }
