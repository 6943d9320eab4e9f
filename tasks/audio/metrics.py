"""QC metrics for a take, measured in one streaming pass.

Levels: peak and clipped samples over all channels; everything else on the mono
mix. Frames are 30 ms (webrtcvad's frame). Loudness is ITU-R BS.1770-4 integrated
loudness with pyloudnorm's K-weighting filters, computed from 100 ms sub-blocks so
a long file never has to be in memory. A frame counts as speech when webrtcvad
(16 kHz, mode 3) says so AND it is at least ``SPEECH_MARGIN_DB`` above the noise
floor, which keeps steady noise (hum, hiss, fans) from passing as speech.

- Frame power is measured around each frame's mean, so a DC offset (a constant
  added by a faulty interface) does not read as loud noise and hide the speech;
  the offset itself is reported (``dc_offset``) and judged.
- The noise floor is the average power of the frames a VAD calls non-speech (away
  from speech), so noise that rises and falls counts at its real level; only when
  there are too few such frames does the quietest tenth of frames stand in. That
  VAD is Silero v6 (the ONNX file inside the faster-whisper wheel, run by
  onnxruntime, about 2 ms per second of audio): webrtcvad calls loud pink or
  babble noise "speech" at 8 dB SNR, which left only the quiet moments to measure
  the noise from.
- Clipping is counted at full scale and as flat tops: runs of ``FLAT_RUN`` or more
  equal samples at the take's own peak, which is how a clipped take looks after
  it was turned down.
- A speech run shorter than ``MIN_SPEECH_RUN`` is ignored (a click, a breath)
  unless it touches either end of the take: a word cut off by the end of the
  recording is often that short.
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
NOISE_MIN_FRAMES = 10  # non-speech frames (300 ms) needed to measure the noise from them
NOISE_MIN_RUN = 5  # ... in pauses of 150 ms or more
NOISE_GUARD_FRAMES = 3  # frames this close to speech are not noise (onsets start before the VAD says so)
FLAT_RUN = 3  # equal samples in a row at the peak that count as a flat (clipped) top
FLAT_PEAK_RATIO = 0.98  # a flat top sits within 0.2 dB of the take's peak
FLAT_MIN_LEVEL = 0.05  # ... and above -26 dBFS (quiet 16-bit audio has flat spots naturally)
FLAT_MIN_RUNS = 2  # one flat spot can be chance; two or more at the peak are clipping


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
        self.silero = _Silero()
        self.sub_ms: list[float] = []
        self.sum_sq = 0.0
        self.sum = 0.0
        self.n = 0

    def feed(self, x: np.ndarray, last: bool = False) -> None:
        self.sum_sq += float(np.dot(x.astype(np.float64), x))
        self.sum += float(np.sum(x, dtype=np.float64))
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
            y = np.concatenate([y, np.full(self.frame - (len(y) - m * self.frame), y[-1], np.float32)])  # hold the last value: no step
            m += 1
        if m:
            frames = y[: m * self.frame].reshape(m, self.frame)
            self.frame_ms.append(np.var(frames.astype(np.float64), axis=1))  # power around the frame's mean: no DC
            v = (frames - frames.mean(axis=1, keepdims=True)).reshape(-1)
            if self.rate != VAD_RATE:
                v = resample_poly(v, self.up, self.down)
            self.silero.feed(v, last)
            pcm = (np.clip(v, -1, 1) * 32767).astype("<i2")
            n = min(m, len(pcm) // self.vad_frame)
            for j in range(n):
                self.frame_vad.append(self.vad.is_speech(pcm[j * self.vad_frame:(j + 1) * self.vad_frame].tobytes(), VAD_RATE))
            self.frame_vad.extend([False] * (m - n))
        self.carry = y[m * self.frame:]


SILERO_WINDOW = 512  # samples at 16 kHz
SILERO_CONTEXT = 64
NOISE_PROB = 0.35  # Silero speech probability below which a frame is noise


@functools.lru_cache(maxsize=1)
def _silero_session():
    import importlib.util

    import onnxruntime

    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(next(iter(spec.submodule_search_locations)), "assets", "silero_vad_v6.onnx")
    if not os.path.exists(path):
        return None
    opts = onnxruntime.SessionOptions()
    opts.inter_op_num_threads = opts.intra_op_num_threads = 1
    opts.log_severity_level = 4
    return onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"], sess_options=opts)


class _Silero:
    """Silero VAD over a 16 kHz stream, state carried from block to block; one probability per 32 ms."""

    def __init__(self):
        self.session = _silero_session()
        self.h = np.zeros((1, 1, 128), np.float32)
        self.c = np.zeros((1, 1, 128), np.float32)
        self.context = np.zeros(SILERO_CONTEXT, np.float32)
        self.carry = np.zeros(0, np.float32)
        self.probs: list[np.ndarray] = []

    def feed(self, pcm: np.ndarray, last: bool) -> None:
        if self.session is None:
            return
        x = np.concatenate([self.carry, pcm.astype(np.float32)])
        if last and len(x) % SILERO_WINDOW:
            x = np.pad(x, (0, SILERO_WINDOW - len(x) % SILERO_WINDOW))
        m = len(x) // SILERO_WINDOW
        self.carry = x[m * SILERO_WINDOW:]
        if not m:
            return
        w = x[: m * SILERO_WINDOW].reshape(m, SILERO_WINDOW)
        ctx = np.vstack([self.context[None, :], w[:-1, -SILERO_CONTEXT:]])
        self.context = w[-1, -SILERO_CONTEXT:].copy()
        out, self.h, self.c = self.session.run(None, {"input": np.ascontiguousarray(np.hstack([ctx, w])), "h": self.h, "c": self.c})
        self.probs.append(np.asarray(out, np.float32).reshape(-1))

    def frame_probs(self, n_frames: int) -> np.ndarray | None:
        """The highest speech probability overlapping each 30 ms frame."""
        if self.session is None or not self.probs:
            return None
        p = np.concatenate(self.probs)
        step = FRAME_S * VAD_RATE
        out = np.zeros(n_frames, np.float32)
        for i in range(n_frames):
            a, b = int(i * step // SILERO_WINDOW), int(math.ceil((i + 1) * step / SILERO_WINDOW))
            seg = p[a: min(b, len(p))]
            out[i] = seg.max() if len(seg) else 0.0
        return out


def _runs(mask: np.ndarray, min_len: int, keep_edges: bool = True) -> np.ndarray:
    """Keep only runs of True at least ``min_len`` long (and, with ``keep_edges``, any run touching either end)."""
    out = np.zeros_like(mask)
    i, n = 0, len(mask)
    while i < n:
        if mask[i]:
            j = i
            while j < n and mask[j]:
                j += 1
            if j - i >= min_len or (keep_edges and (i == 0 or j == n)):
                out[i:j] = True
            i = j
        else:
            i += 1
    return out


class _FlatTops:
    """Runs of equal samples (per channel), kept by level so they can be judged against the final peak."""

    def __init__(self, channels: int):
        self.prev = [None] * channels  # (value, run length) carried from the previous block
        self.runs: list[tuple[float, int]] = []  # (|value|, length) of finished runs >= FLAT_RUN

    def feed(self, block: np.ndarray, last: bool) -> None:
        for c in range(block.shape[1]):
            x = block[:, c]
            if not len(x):
                continue
            edges = np.flatnonzero(np.diff(x) != 0) + 1
            starts = np.concatenate([[0], edges])
            lengths = np.diff(np.concatenate([starts, [len(x)]]))
            values = x[starts]
            prev = self.prev[c]
            if prev is not None and prev[0] == values[0]:
                lengths[0] += prev[1]
            elif prev is not None:
                self._keep(*prev)
            # only runs long and loud enough are kept: select them with numpy, not one Python call per run
            keep = np.flatnonzero((lengths[:-1] >= FLAT_RUN) & (np.abs(values[:-1]) >= FLAT_MIN_LEVEL))
            for k in keep:
                self._keep(values[k], int(lengths[k]))
            self.prev[c] = (float(values[-1]), int(lengths[-1]))
            if last:
                self._keep(*self.prev[c])
                self.prev[c] = None

    def _keep(self, value: float, n: int) -> None:
        if n >= FLAT_RUN and abs(value) >= FLAT_MIN_LEVEL:
            self.runs.append((abs(float(value)), n))
            if len(self.runs) > 100_000:  # bound memory on hostile input: keep the loudest
                self.runs = sorted(self.runs, reverse=True)[:50_000]

    def clipped(self, peak: float) -> int:
        """Samples in flat tops at the peak (0 unless there are at least FLAT_MIN_RUNS)."""
        at_peak = [n for v, n in self.runs if v >= FLAT_PEAK_RATIO * peak]
        return sum(at_peak) if len(at_peak) >= FLAT_MIN_RUNS else 0


def measure_blocks(blocks: Iterable[np.ndarray], rate: int) -> dict:
    """Compute level, noise and speech metrics from (frames, channels) float blocks."""
    acc = _Accumulator(rate)
    peak = 0.0
    full_scale = 0
    flats: _FlatTops | None = None
    it = iter(blocks)
    cur = next(it, None)
    while cur is not None:
        nxt = next(it, None)
        block = cur if cur.ndim == 2 else cur[:, None]
        if len(block):
            flats = flats or _FlatTops(block.shape[1])
            a = np.abs(block)
            peak = max(peak, float(a.max()))
            full_scale += int(np.count_nonzero(a >= CLIP_LEVEL))
            flats.feed(block, last=nxt is None)
            acc.feed(block.mean(axis=1, dtype=np.float32) if block.shape[1] > 1 else block[:, 0], last=nxt is None)
        cur = nxt
    flat = flats.clipped(peak) if flats and peak >= FLAT_MIN_LEVEL else 0
    clipped = max(full_scale, flat)
    frames = acc.n
    frame_ms = np.concatenate(acc.frame_ms) if acc.frame_ms else np.zeros(0)
    frame_db = 10 * np.log10(np.maximum(frame_ms, 1e-12))
    vad = np.asarray(acc.frame_vad[: len(frame_db)], bool)
    probs = acc.silero.frame_probs(len(frame_db))
    noise_floor = _noise_floor(frame_ms, frame_db, vad if probs is None else probs >= NOISE_PROB)
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
    dc = acc.sum / frames if frames else 0.0
    rms_db = db(max(0.0, acc.sum_sq / frames - dc * dc)) if frames else FLOOR_DB
    return {
        "duration_s": round(duration, 4),
        "frames": frames,
        "peak_dbfs": round(20 * math.log10(peak), 2) if peak > 0 else FLOOR_DB,
        "clipped_samples": clipped,
        "flat_top_samples": flat,
        "dc_offset": round(dc, 5),
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


def _noise_floor(frame_ms: np.ndarray, frame_db: np.ndarray, vad: np.ndarray) -> float:
    """Average power (dBFS) of non-speech frames away from speech (``vad`` marks speech); else the 10th percentile."""
    if not len(frame_db):
        return FLOOR_DB
    near = vad.copy()
    for k in range(1, NOISE_GUARD_FRAMES + 1):
        near[k:] |= vad[:-k]
        near[:-k] |= vad[k:]
    # pauses of at least NOISE_MIN_RUN frames: a dip inside a word is not room noise
    quiet = frame_ms[_runs(~near, NOISE_MIN_RUN, keep_edges=False)]
    if len(quiet) >= NOISE_MIN_FRAMES:
        return max(FLOOR_DB, db(float(np.mean(quiet))))
    return max(FLOOR_DB, float(np.percentile(frame_db, NOISE_PERCENTILE)))


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
