"""The QC entry points the workers call: ``analyse`` for a take, ``room_tone_report`` for a mic check."""
from __future__ import annotations

import os
import time

import numpy as np

from .decode import iter_blocks, probe
from .metrics import FLOOR_DB, db, measure
from .verdicts import THRESHOLDS, room_tone_verdict, verdicts, worst

QC_VERSION = 1


def analyse(path: str | os.PathLike, *, text: str | None = None, language: str | None = None,
            align: bool = True) -> dict:
    """Measure a take and judge it; the result is JSON-serialisable.

    Returns ``{"version", "metrics", "alignment", "verdicts", "summary", "timings_ms"}``.
    When ``text`` is given and ``language`` is English, the take is force-aligned
    (pocketsphinx) and word timings refine the silence figures; other languages
    get ``alignment = {"status": "not_checked"}``.
    """
    t0 = time.perf_counter()
    info = probe(path)
    metrics = measure(path, info)
    t1 = time.perf_counter()
    alignment: dict = {"status": "not_checked", "reason": "no text given" if not text else "language not supported"}
    if text and align:
        from .align import align_take, is_supported

        if is_supported(language):
            alignment = align_take(path, text, duration_s=metrics["duration_s"])
            if alignment.get("status") == "aligned" and alignment.get("words"):
                words = alignment["words"]
                metrics["vad_leading_silence_ms"] = metrics["leading_silence_ms"]
                metrics["vad_trailing_silence_ms"] = metrics["trailing_silence_ms"]
                metrics["leading_silence_ms"] = round(words[0]["start_s"] * 1000, 1)
                metrics["trailing_silence_ms"] = round(max(0.0, metrics["duration_s"] - words[-1]["end_s"]) * 1000, 1)
    t2 = time.perf_counter()
    v = verdicts({**metrics, "alignment": alignment})
    return {
        "version": QC_VERSION,
        "metrics": metrics,
        "alignment": alignment,
        "verdicts": v,
        "summary": worst(v),
        "timings_ms": {"metrics": round((t1 - t0) * 1000, 2), "alignment": round((t2 - t1) * 1000, 2)},
    }


def room_tone_report(path: str | os.PathLike) -> dict:
    """Noise floor of a short silent mic-check recording, with a verdict and advice."""
    info = probe(path)
    m = measure(path, info)
    # The room tone's level is its average power, ignoring the first 100 ms
    # (a click from starting the recorder is common).
    skip = int(0.1 * info.sample_rate)
    total, n, seen = 0.0, 0, 0
    for block in iter_blocks(path, mono=True):
        start = max(0, skip - seen)
        seen += len(block)
        b = block[start:].astype(np.float64)
        total += float(np.dot(b, b))
        n += len(b)
    floor = db(total / n) if n else FLOOR_DB
    verdict = room_tone_verdict(floor, m["speech_s"])
    return {
        "noise_floor_dbfs": round(floor, 2),
        "noise_floor_p10_dbfs": m["noise_floor_dbfs"],
        "peak_dbfs": m["peak_dbfs"],
        "duration_s": m["duration_s"],
        "speech_s": m["speech_s"],
        "quiet_enough": verdict["level"] == "ok" or (verdict["level"] == "warn" and floor <= THRESHOLDS.room_tone_max_dbfs and floor > THRESHOLDS.room_tone_dead_dbfs and m["speech_s"] < 0.5),
        "verdict": verdict,
        "summary": verdict["level"],
    }
