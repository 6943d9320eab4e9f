"""Session drift: how a take differs from the talent's reference takes, in plain words.

Over hours of recording a voice drifts: the talent leans back from the mic, gets louder
or quieter, pitches up or down, tires (lower, flatter, slower). ``measure`` gives one
take's figures; ``reference_bands`` turns a few reference takes (the first approved ones,
or takes an admin picks) into a band per measure; ``compare`` names what left its band,
with advice a talent can act on. ``break_due`` suggests a break every 30 minutes.

Measures (all cheap: ~10-20 ms for a 10 s take, bench/speaker/run.py):

- ``loudness_lufs``: integrated loudness, ITU-R BS.1770-4 (pyloudnorm) at the file's rate.
- ``f0_median_hz``, ``f0_p10_hz``, ``f0_p90_hz``, ``f0_range_st`` (p10 to p90, semitones):
  YIN (de Cheveigné and Kawahara 2002) on 8 kHz audio, 25 ms integration window every
  10 ms, 60-500 Hz, the first dip of the cumulative-mean-normalised difference below 0.2,
  parabolic interpolation; written here in numpy with FFT correlation (~5 ms per 10 s).
  Why not a library: pyworld and pysptk publish only source here (a C++ build on every
  install), praat-parselmouth is GPL-3.0, librosa.pyin costs about a second per 10 s take
  and pulls numba.
- ``rate_wps``: words per second between the first word's start and the last word's end,
  when word timings are given (the adherence check's ``alignment.words``); else the number of
  words of the text read over the speech the level checks found (a booth take: its section
  text, whose script check runs beside this one).
- ``centroid_hz`` and ``tilt_db_oct``: spectral centroid (100 Hz - 8 kHz) and slope of the
  third-octave band levels (100 Hz - 6.3 kHz, dB per octave) over the speech frames.
  Close to a directional mic the bass rises (proximity effect) and the tilt steepens;
  further away the room and less bass make the centroid rise and the tilt flatten.
- ``embedding_distance``: 1 - cosine to the reference speaker embedding, when the caller
  passes both embeddings (computed by ``tasks.audio.speaker``; its cost is not counted here).
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

RATE = 16000  # spectral measures
F0_RATE = 8000  # pitch: enough for 60-500 Hz, a quarter of the work of 16 kHz
YIN_WINDOW = 200  # 25 ms integration window
YIN_HOP = 80  # 10 ms
F0_MIN, F0_MAX = 60.0, 500.0
YIN_THRESHOLD = 0.2
MIN_VOICED_FRAMES = 20  # 0.2 s of voiced speech before pitch figures are given
SPEECH_GATE_DB = 35.0  # frames within this many dB of the loudest 10 ms count as speech
BREAK_EVERY_S = 30 * 60
BREAK_GAP_S = 5 * 60  # a pause this long between takes counts as a break

MEASURES = ("loudness_lufs", "f0_median_hz", "f0_range_st", "rate_wps", "centroid_hz", "tilt_db_oct",
            "embedding_distance")
LABELS = {
    "loudness_lufs": "Loudness (LUFS)",
    "f0_median_hz": "Median pitch (Hz)",
    "f0_range_st": "Pitch range (semitones)",
    "rate_wps": "Speaking rate (words/s)",
    "centroid_hz": "Spectral centroid (Hz)",
    "tilt_db_oct": "Spectral tilt (dB/octave)",
    "embedding_distance": "Distance to the reference voice",
}


# --- per-take measures --------------------------------------------------------

def _frames(x: np.ndarray, length: int, hop: int) -> np.ndarray:
    if len(x) < length:
        x = np.pad(x, (0, length - len(x)))
    n = 1 + (len(x) - length) // hop
    return np.lib.stride_tricks.as_strided(x, (n, length), (x.strides[0] * hop, x.strides[0]), writeable=False)


def _speech_flags(energy_db: np.ndarray) -> np.ndarray:
    """Speech frames: energy within SPEECH_GATE_DB of the loudest (99th percentile), above -60 dBFS."""
    top = np.percentile(energy_db, 99) if len(energy_db) else -120.0
    return (energy_db > top - SPEECH_GATE_DB) & (energy_db > -60.0)


def f0_track(x: np.ndarray) -> np.ndarray:
    """YIN F0 (Hz) per 10 ms frame of ``F0_RATE`` audio; 0 where unvoiced or silent."""
    x = np.asarray(x, dtype=np.float32)
    tau_min, tau_max = int(F0_RATE / F0_MAX), int(np.ceil(F0_RATE / F0_MIN))
    length = YIN_WINDOW + tau_max + 2
    frames = _frames(x, length, YIN_HOP)
    starts = np.arange(len(frames)) * YIN_HOP
    csum = np.concatenate([[0.0], np.cumsum(np.pad(x, (0, max(0, length - len(x)))).astype(np.float64) ** 2)])
    energy = (csum[starts + YIN_WINDOW] - csum[starts]) / YIN_WINDOW
    f0 = np.zeros(len(frames))
    idx = np.flatnonzero(_speech_flags(10 * np.log10(energy + 1e-12)))
    if not len(idx):
        return f0
    fr = frames[idx]
    nfft = 1 << int(np.ceil(np.log2(length)))  # lags <= tau_max never wrap: the window is YIN_WINDOW long
    corr = np.fft.irfft(np.conj(np.fft.rfft(fr[:, :YIN_WINDOW], nfft)) * np.fft.rfft(fr, nfft), nfft)[:, : tau_max + 2]
    taus = np.arange(tau_max + 2)
    at = starts[idx][:, None] + taus[None, :]
    energy_tau = csum[at + YIN_WINDOW] - csum[at]
    diff = np.maximum(energy_tau[:, :1] + energy_tau - 2 * corr, 0.0)
    cum = np.cumsum(diff[:, 1:], axis=1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] * taus[1:] / np.maximum(cum, 1e-12)
    # first local minimum below the threshold, within [tau_min, tau_max]
    mid = cmnd[:, tau_min:tau_max + 1]
    left, right = cmnd[:, tau_min - 1:tau_max], cmnd[:, tau_min + 1:tau_max + 2]
    dips = (mid < YIN_THRESHOLD) & (mid <= left) & (mid <= right)
    has = dips.any(axis=1)
    t = np.argmax(dips, axis=1) + tau_min
    rows = np.arange(len(fr))
    a, b, c = cmnd[rows, t - 1], cmnd[rows, t], cmnd[rows, t + 1]
    denom = a - 2 * b + c
    shift = np.where(np.abs(denom) > 1e-12, 0.5 * (a - c) / np.where(denom == 0, 1, denom), 0.0)
    period = t + np.clip(shift, -1, 1)
    f0[idx[has]] = F0_RATE / period[has]
    return f0


def pitch(x8: np.ndarray) -> dict:
    """Median, 10th and 90th percentile F0 and the p10-p90 range of ``F0_RATE`` audio."""
    f0 = f0_track(x8)
    voiced = f0[f0 > 0]
    if len(voiced) < MIN_VOICED_FRAMES:
        return {"f0_median_hz": None, "f0_p10_hz": None, "f0_p90_hz": None, "f0_range_st": None, "voiced_s": 0.0}
    p10, p50, p90 = np.percentile(voiced, [10, 50, 90])
    return {"f0_median_hz": round(float(p50), 1), "f0_p10_hz": round(float(p10), 1), "f0_p90_hz": round(float(p90), 1),
            "f0_range_st": round(float(12 * np.log2(p90 / p10)), 2), "voiced_s": round(len(voiced) * YIN_HOP / F0_RATE, 2)}


def spectrum(x16: np.ndarray) -> dict:
    """Spectral centroid and third-octave tilt of the speech frames of 16 kHz audio."""
    frames = _frames(np.asarray(x16, dtype=np.float32), 512, 256)
    speech = _speech_flags(10 * np.log10(np.einsum("ij,ij->i", frames, frames) / 512 + 1e-12))
    if speech.sum() < 10:
        return {"centroid_hz": None, "tilt_db_oct": None, "speech_s": round(float(speech.sum()) * 256 / RATE, 2)}
    win = np.hanning(512)
    power = np.mean(np.abs(np.fft.rfft(frames[speech] * win, axis=1)) ** 2, axis=0)
    freqs = np.fft.rfftfreq(512, 1 / RATE)
    band = (freqs >= 100) & (freqs <= 8000)
    centroid = float(np.sum(freqs[band] * power[band]) / np.sum(power[band]))
    centres = 1000 * 2.0 ** (np.arange(-10, 9) / 3)  # 100 Hz .. 6.3 kHz
    levels = []
    for fc in centres:
        sel = (freqs >= fc / 2 ** (1 / 6)) & (freqs < fc * 2 ** (1 / 6))
        levels.append(10 * np.log10(np.sum(power[sel]) + 1e-20))
    slope = float(np.polyfit(np.log2(centres), levels, 1)[0])
    return {"centroid_hz": round(centroid, 1), "tilt_db_oct": round(slope, 2),
            "speech_s": round(float(speech.sum()) * 256 / RATE, 2)}


def speaking_rate(words: Sequence[dict] | None = None, *, word_count: int | None = None,
                  speech_s: tuple[float, float] | None = None) -> float | None:
    """Words per second from word timings ``[{"start_s", "end_s", ...}]``, or from ``word_count``
    words over the speech span ``speech_s`` (start, end in seconds); None without at least 3 words."""
    if words:
        word_count, speech_s = len(words), (float(words[0]["start_s"]), float(words[-1]["end_s"]))
    if not word_count or word_count < 3 or not speech_s:
        return None
    span = speech_s[1] - speech_s[0]
    return round(word_count / span, 3) if span > 0.5 else None


def loudness(x: np.ndarray, rate: int) -> float | None:
    import pyloudnorm

    if len(x) < int(0.4 * rate) + 1:
        return None
    value = pyloudnorm.Meter(rate).integrated_loudness(np.asarray(x, dtype=np.float64))
    return round(float(value), 2) if np.isfinite(value) else None


def measure(path: str | os.PathLike, *, words: Sequence[dict] | None = None, word_count: int | None = None,
            speech_s: tuple[float, float] | None = None,
            embedding: Sequence[float] | None = None, reference_embedding: Sequence[float] | None = None,
            loudness_lufs: float | None = None) -> dict:
    """A take's drift measures (JSON-serialisable; a measure that cannot be taken is None).

    ``loudness_lufs`` from QC (the same BS.1770 measure) saves measuring it twice; ``word_count``
    and ``speech_s`` give the speaking rate when there are no word timings.
    """
    import soxr

    from .decode import read_all

    x, rate = read_all(path, mono=True)
    x16 = x if rate == RATE else soxr.resample(x, rate, RATE, quality="HQ").astype(np.float32)
    x8 = soxr.resample(x16, RATE, F0_RATE, quality="HQ").astype(np.float32)
    out: dict = {"duration_s": round(len(x) / rate, 3) if rate else 0.0,
                 "loudness_lufs": loudness(x, rate) if loudness_lufs is None else loudness_lufs}
    out.update(pitch(x8))
    out.update(spectrum(x16))
    out["rate_wps"] = speaking_rate(words, word_count=word_count, speech_s=speech_s)
    out["embedding_distance"] = None
    if embedding is not None and reference_embedding is not None:
        a, b = np.asarray(embedding, dtype=np.float64), np.asarray(reference_embedding, dtype=np.float64)
        out["embedding_distance"] = round(float(1 - np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))), 4)
    return out


# --- bands and warnings --------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """How far a measure may move from the reference median before a take is out of its band.

    ``floor`` is the least half-width (a few reference takes say little about spread), in the
    measure's own unit, or in semitones for pitch and in percent for centroid and rate.
    """

    floor: float
    k: float = 3.0  # half-width in robust standard deviations (1.4826 * MAD)
    scale: str = "linear"  # "semitones" | "percent" | "linear"


RULES = {
    "loudness_lufs": Rule(floor=3.0),
    "f0_median_hz": Rule(floor=2.5, scale="semitones"),
    "f0_range_st": Rule(floor=2.5),
    "rate_wps": Rule(floor=15.0, scale="percent"),
    "centroid_hz": Rule(floor=15.0, scale="percent"),
    "tilt_db_oct": Rule(floor=1.5),
    "embedding_distance": Rule(floor=0.08),
}
MIN_REFERENCE_TAKES = 2


def _to_scale(values: np.ndarray, centre: float, scale: str) -> np.ndarray:
    if scale == "semitones":
        return 12 * np.log2(values / centre)
    if scale == "percent":
        return 100 * (values / centre - 1)
    return values - centre


def _from_scale(offset: float, centre: float, scale: str) -> float:
    if scale == "semitones":
        return centre * 2 ** (offset / 12)
    if scale == "percent":
        return centre * (1 + offset / 100)
    return centre + offset


def reference_bands(takes: Iterable[dict]) -> dict:
    """Bands ``{measure: {"low", "median", "high", "n"}}`` from reference takes' ``measure`` results.

    A measure with fewer than ``MIN_REFERENCE_TAKES`` values has no band (nothing is warned
    about it). The embedding distance only has an upper bound: closer is never a warning.
    """
    takes = list(takes)
    bands: dict = {}
    for name in MEASURES:
        vals = np.array([t[name] for t in takes if t.get(name) is not None], dtype=np.float64)
        if len(vals) < MIN_REFERENCE_TAKES:
            continue
        rule = RULES[name]
        centre = float(np.median(vals))
        if rule.scale != "linear" and centre <= 0:
            continue
        offsets = _to_scale(vals, centre, rule.scale)
        half = max(rule.floor, rule.k * 1.4826 * float(np.median(np.abs(offsets - np.median(offsets)))))
        low = _from_scale(-half, centre, rule.scale)
        high = _from_scale(half, centre, rule.scale)
        if name == "embedding_distance":
            # only an upper bound: the farthest reference plus the floor, never past the speaker check's
            # own "different" line (the spread of a few distances, one of them often ~0, says little)
            from .speaker import THRESHOLDS

            low, high = None, min(float(np.max(vals)) + rule.floor, 1 - THRESHOLDS.different)
        bands[name] = {"low": None if low is None else round(low, 3), "median": round(centre, 3),
                       "high": round(high, 3), "n": int(len(vals))}
    return bands


def position(value: float | None, band: dict | None) -> str | None:
    """"low", "ok" or "high" for a value against its band; None when either is missing."""
    if value is None or band is None:
        return None
    if band.get("high") is not None and value > band["high"]:
        return "high"
    if band.get("low") is not None and value < band["low"]:
        return "low"
    return "ok"


MESSAGES = {
    "further": "You have moved further from the mic: come back to where you were for your first takes.",
    "closer": "You are closer to the mic than in your first takes: move back a little.",
    "tired": "Your voice sounds tired: take a break.",
    "louder": "You are speaking louder than in your first takes: go back to your usual level.",
    "quieter": "You are speaking more quietly than in your first takes: go back to your usual level.",
    "higher": "Your voice is higher than in your first takes: relax and speak at your usual pitch.",
    "lower": "Your voice is lower than in your first takes: speak at your usual pitch.",
    "faster": "You are speaking faster than in your first takes: slow down a little.",
    "slower": "You are speaking more slowly than in your first takes.",
    "voice": "Your voice sounds different from your first takes: check the mic and your position.",
}


def compare(take: dict, bands: dict) -> dict:
    """Which measures left their band, and what to tell the talent.

    Returns ``{"positions": {measure: "low"|"ok"|"high"|None}, "warnings": [{"code",
    "message", "measures"}]}``. Several measures that tell one story give one warning:
    quieter with a brighter spectrum is distance from the mic (louder and darker: closer); lower and flatter
    pitch, or quieter and slower, is tiredness. Pure: no state, no I/O.
    """
    pos = {name: position(take.get(name), bands.get(name)) for name in MEASURES}
    used: set[str] = set()
    warnings: list[dict] = []

    def warn(code: str, measures: list[str]) -> None:
        warnings.append({"code": code, "message": MESSAGES[code], "measures": measures})
        used.update(measures)

    brighter = pos["centroid_hz"] == "high" or pos["tilt_db_oct"] == "high"
    darker = pos["centroid_hz"] == "low" or pos["tilt_db_oct"] == "low"
    spectral = [m for m in ("centroid_hz", "tilt_db_oct") if pos[m] in ("high", "low")]
    # Distance changes the level (6 dB per doubling) and the spectrum together; a spectrum that
    # moved alone is more likely the voice (a higher pitch also brightens it), so it is not blamed on the mic.
    if brighter and pos["loudness_lufs"] == "low":
        warn("further", [*spectral, "loudness_lufs"])
    elif darker and pos["loudness_lufs"] == "high":
        warn("closer", [*spectral, "loudness_lufs"])
    tired_signs = [m for m, p in (("f0_range_st", "low"), ("f0_median_hz", "low"), ("rate_wps", "low"),
                                  ("loudness_lufs", "low")) if pos[m] == p and m not in used]
    if len(tired_signs) >= 2:
        warn("tired", tired_signs)
    simple = {("loudness_lufs", "high"): "louder", ("loudness_lufs", "low"): "quieter",
              ("f0_median_hz", "high"): "higher", ("f0_median_hz", "low"): "lower",
              ("rate_wps", "high"): "faster", ("rate_wps", "low"): "slower",
              ("embedding_distance", "high"): "voice"}
    for (name, side), code in simple.items():
        if pos[name] == side and name not in used:
            warn(code, [name])
    return {"positions": pos, "warnings": warnings}


def break_due(takes: Iterable[tuple[float, float]], now: float) -> dict:
    """Suggest a break after every 30 minutes of recording.

    ``takes`` are (start, duration) pairs in seconds (e.g. Unix times) of the session's
    takes; a pause of ``BREAK_GAP_S`` or more between takes counts as a break. Recording time
    is wall-clock time since the last break while takes keep coming (listening and
    retakes tire a voice too), not the summed length of the takes.
    Returns ``{"due", "recording_s", "message"}``.
    """
    spans = sorted((float(s), float(s) + float(d)) for s, d in takes)
    if not spans or now - spans[-1][1] >= BREAK_GAP_S:
        return {"due": False, "recording_s": 0.0, "message": ""}
    start = spans[0][0]
    prev_end = spans[0][1]
    for s, e in spans[1:]:
        if s - prev_end >= BREAK_GAP_S:
            start = s
        prev_end = max(prev_end, e)
    recording = now - start
    due = recording >= BREAK_EVERY_S
    minutes = int(recording // 60)
    return {"due": due, "recording_s": round(recording, 1),
            "message": f"You have been recording for {minutes} minutes: take a short break, drink some water."
            if due else ""}


def session(takes: Sequence[dict], bands: dict) -> dict:
    """Every measure of a session's takes (in recording order) against the bands, for the quality report.

    Returns ``{"series": {measure: [{"value", "position"}]}, "outliers": {measure: count}}``.
    """
    series = {name: [{"value": t.get(name), "position": position(t.get(name), bands.get(name))} for t in takes]
              for name in MEASURES}
    outliers = {name: sum(1 for p in pts if p["position"] in ("low", "high")) for name, pts in series.items()}
    return {"series": series, "outliers": outliers}
