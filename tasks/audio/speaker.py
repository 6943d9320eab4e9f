"""Whose voice is it: GE2E speaker embeddings on onnxruntime, and a same / unsure / different verdict.

The encoder is Resemblyzer's (Apache-2.0; 3-layer LSTM trained with the GE2E loss on
LibriSpeech, VoxCeleb 1 and 2), converted once to ONNX by
``tasks/audio/models/convert_speaker_encoder.py``; no torch at run time. The frontend
reproduces Resemblyzer's ``preprocess_wav`` + ``embed_utterance`` in numpy: mono, 16 kHz
(soxr HQ, as librosa does), volume raised to -30 dBFS RMS (never lowered), silences longer
than ~200 ms cut with webrtcvad (mode 3, 30 ms windows, 8-window moving average,
dilation of 7), a 40-band Slaney mel power spectrogram of 25 ms Hann windows every 10 ms,
partial utterances of 160 frames (1.6 s) at 1.3 per second, the last one kept when it is
at least 75 % covered; the utterance embedding is the L2-normed mean of the partial ones.
The conversion script checks this pipeline against Resemblyzer's (cosine >= 0.999 per file).

Similarity is the cosine of two embeddings (GE2E embeddings are non-negative, so it lies
in [0, 1]). The thresholds were calibrated on real speech (bench/speaker/calibrate.py;
numbers in bench/README.md): at or above ``THRESHOLDS.same`` the verdict is "same", below
``THRESHOLDS.different`` it is "different", and "unsure" in between, which a person should
listen to. A take with less than ``MIN_SPEECH_S`` of speech, on either side, is "unsure"
whatever its score: a second of speech does not say whose voice it is.
"""
from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .decode import AudioError

RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s
PARTIALS_PER_S = 1.3
MIN_COVERAGE = 0.75
NORM_DBFS = -30.0
VAD_WINDOW = 480  # 30 ms at 16 kHz
VAD_AVERAGE = 8
VAD_MAX_SILENCE = 6
EMBEDDING_SIZE = 256
MIN_SPEECH_S = 2.0

DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "speaker_encoder.onnx"


@dataclass(frozen=True)
class Thresholds:
    """Cosine similarity bounds, from bench/speaker/calibrate.py on ../shared/speech/speakers."""

    same: float = 0.80
    different: float = 0.73


THRESHOLDS = Thresholds()


class SpeakerError(AudioError):
    """Audio that cannot be embedded."""


# --- model -----------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def _session(model_path: str):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(model_path, opts, providers=["CPUExecutionProvider"])


@functools.lru_cache(maxsize=4)
def model_id(model_path: str | os.PathLike = DEFAULT_MODEL) -> str:
    """A short name for the model file (stored with every verdict, so a new model is visible)."""
    digest = hashlib.sha256(Path(model_path).read_bytes()).hexdigest()
    return f"{Path(model_path).stem}@{digest[:12]}"


# --- frontend ----------------------------------------------------------------

def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default): linear below 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


@functools.lru_cache(maxsize=1)
def mel_filterbank() -> np.ndarray:
    """(40, 201) triangular Slaney-normalised filters from 0 to 8 kHz, as ``librosa.filters.mel``."""
    fft_freqs = np.linspace(0, RATE / 2, 1 + N_FFT // 2)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(RATE / 2), N_MELS + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    return weights.astype(np.float32)


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power spectrogram of 16 kHz audio, centred frames (zero padding)."""
    x = np.pad(np.asarray(wav, dtype=np.float32), N_FFT // 2)
    n = 1 + (len(x) - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(x, (n, N_FFT), (x.strides[0] * HOP, x.strides[0]), writeable=False)
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic Hann
    power = np.abs(np.fft.rfft(frames * window, axis=1)).astype(np.float32) ** 2
    return (power @ mel_filterbank().T).astype(np.float32)


def load_16k(path: str | os.PathLike) -> np.ndarray:
    """Decode any readable audio to mono float32 at 16 kHz (soxr HQ, the length librosa gives)."""
    import soxr

    from .decode import read_all

    x, rate = read_all(path, mono=True)
    if rate != RATE and len(x):
        n = int(np.ceil(len(x) * RATE / rate))
        x = soxr.resample(x, rate, RATE, quality="HQ").astype(np.float32)
        x = np.pad(x, (0, max(0, n - len(x))))[:n]
    return np.ascontiguousarray(x, dtype=np.float32)


def normalize_volume(wav: np.ndarray, target_dbfs: float = NORM_DBFS) -> np.ndarray:
    """Raise the RMS level to ``target_dbfs``; a louder take is left as it is."""
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64)))) if len(wav) else 0.0
    if rms <= 0:
        return wav
    change = target_dbfs - 20 * np.log10(rms)
    return wav if change < 0 else (wav * 10 ** (change / 20)).astype(np.float32)


def speech_mask(wav: np.ndarray) -> np.ndarray:
    """One flag per 30 ms window: speech, smoothed and dilated as Resemblyzer does."""
    import webrtcvad
    from scipy.ndimage import binary_dilation

    n = len(wav) // VAD_WINDOW
    pcm = np.clip(np.round(wav[: n * VAD_WINDOW] * 32767), -32768, 32767).astype("<i2").tobytes()
    vad = webrtcvad.Vad(3)
    step = VAD_WINDOW * 2
    flags = np.array([vad.is_speech(pcm[i * step:(i + 1) * step], RATE) for i in range(n)], dtype=np.float64)
    if not n:
        return np.zeros(0, bool)
    padded = np.concatenate([np.zeros((VAD_AVERAGE - 1) // 2), flags, np.zeros(VAD_AVERAGE // 2)])
    ret = np.cumsum(padded)
    ret[VAD_AVERAGE:] = ret[VAD_AVERAGE:] - ret[:-VAD_AVERAGE]
    mask = np.round(ret[VAD_AVERAGE - 1:] / VAD_AVERAGE).astype(bool)
    return binary_dilation(mask, np.ones(VAD_MAX_SILENCE + 1))


def preprocess(wav: np.ndarray) -> np.ndarray:
    """16 kHz audio -> level-normalised speech with the long silences cut out."""
    wav = normalize_volume(np.asarray(wav, dtype=np.float32))
    mask = speech_mask(wav)
    return wav[: len(mask) * VAD_WINDOW][np.repeat(mask, VAD_WINDOW)]


def partial_slices(n_samples: int) -> list[slice]:
    """Mel-frame ranges of the 1.6 s partial utterances (Resemblyzer's ``compute_partial_slices``)."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = int(np.round((RATE / PARTIALS_PER_S) / HOP))
    starts = range(0, max(1, n_frames - PARTIAL_FRAMES + step + 1), step)
    slices = [slice(i, i + PARTIAL_FRAMES) for i in starts]
    last = slices[-1]
    coverage = (n_samples - last.start * HOP) / (PARTIAL_FRAMES * HOP)
    if coverage < MIN_COVERAGE and len(slices) > 1:
        slices.pop()
    return slices


# --- entry points ------------------------------------------------------------

def embed_speech(speech: np.ndarray, model_path: str | os.PathLike = DEFAULT_MODEL) -> np.ndarray:
    """Embedding (256 float32, L2-normed) of preprocessed 16 kHz speech."""
    if not len(speech):
        raise SpeakerError("no_speech", "No speech was found in the recording.")
    slices = partial_slices(len(speech))
    need = slices[-1].stop * HOP
    wav = np.pad(speech, (0, max(0, need - len(speech))))
    mel = mel_spectrogram(wav)
    mels = np.stack([mel[s] for s in slices])
    partials = _session(str(model_path)).run(None, {"mels": mels})[0]
    raw = partials.mean(axis=0)
    return (raw / np.linalg.norm(raw)).astype(np.float32)


def embed_details(path: str | os.PathLike, model_path: str | os.PathLike = DEFAULT_MODEL) -> tuple[np.ndarray, float]:
    """The embedding of a file and the seconds of speech it was computed from."""
    speech = preprocess(load_16k(path))
    return embed_speech(speech, model_path), len(speech) / RATE


def embed(path: str | os.PathLike, model_path: str | os.PathLike = DEFAULT_MODEL) -> np.ndarray:
    """The speaker embedding of an audio file (256 float32, L2-normed); store it to compare later."""
    return embed_details(path, model_path)[0]


def similarity(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Cosine similarity of two embeddings."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != (EMBEDDING_SIZE,) or b.shape != (EMBEDDING_SIZE,):
        raise SpeakerError("bad_embedding", f"A speaker embedding has {EMBEDDING_SIZE} values.")
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def verdict(score: float, thresholds: Thresholds = THRESHOLDS) -> str:
    if score >= thresholds.same:
        return "same"
    if score < thresholds.different:
        return "different"
    return "unsure"


def _side(x, model_path) -> tuple[np.ndarray, float | None]:
    if isinstance(x, (str, os.PathLike)):
        return embed_details(x, model_path)
    if isinstance(x, dict):  # a stored {"embedding": [...], "speech_s": ..., "model": ...}
        if x.get("model") not in (None, model_id(model_path)):
            raise SpeakerError("stale_reference", "The stored voice reference was made by another speaker model: "
                                                  "it has to be computed again from its recording.")
        return np.asarray(x["embedding"], dtype=np.float32), x.get("speech_s")
    return np.asarray(x, dtype=np.float32), None


def compare(reference_path, take_path, *, model_path: str | os.PathLike = DEFAULT_MODEL,
            thresholds: Thresholds = THRESHOLDS) -> dict:
    """Is the take spoken by the reference's speaker? JSON-serialisable.

    Each side is a path, or a stored embedding (a list, an array, or ``{"embedding",
    "speech_s"}`` as ``reference`` returns). Returns ``{"similarity", "verdict",
    "reason", "speech_s": {"reference", "take"}, "thresholds", "model"}``.
    Raises ``SpeakerError`` (no speech) or ``decode.AudioRejected`` (not audio).
    """
    ref, ref_s = _side(reference_path, model_path)
    take, take_s = _side(take_path, model_path)
    score = similarity(ref, take)
    result = verdict(score, thresholds)
    reason = {"same": "The voice matches the reference recording.",
              "unsure": "The voice is close to the reference recording but not close enough to be sure.",
              "different": "The voice does not match the reference recording."}[result]
    short = [name for name, s in (("reference", ref_s), ("take", take_s)) if s is not None and s < MIN_SPEECH_S]
    if short and result != "unsure":
        result = "unsure"
        reason = f"Too little speech in the {' and the '.join(short)} to tell whose voice it is."
    return {
        "similarity": round(score, 4),
        "verdict": result,
        "reason": reason,
        "speech_s": {"reference": None if ref_s is None else round(ref_s, 2),
                     "take": None if take_s is None else round(take_s, 2)},
        "thresholds": asdict(thresholds),
        "model": model_id(model_path),
    }


def reference(path: str | os.PathLike, model_path: str | os.PathLike = DEFAULT_MODEL) -> dict:
    """A storable reference (JSON): the embedding, the seconds of speech, the model that made it."""
    emb, speech_s = embed_details(path, model_path)
    return {"embedding": [round(float(v), 7) for v in emb], "speech_s": round(speech_s, 2),
            "model": model_id(model_path)}
