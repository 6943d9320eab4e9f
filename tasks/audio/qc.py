"""The QC entry points the workers call: ``analyse`` for a take, ``room_tone_report`` for a mic check."""
from __future__ import annotations

import os
import time

import numpy as np

from .decode import iter_blocks, probe
from .metrics import FLOOR_DB, db, measure
from .verdicts import THRESHOLDS, room_tone_verdict, verdicts, worst

QC_VERSION = 2  # 2: word-level script adherence (Whisper) in every language


def analyse(path: str | os.PathLike, *, text: str | None = None, language: str | None = None,
            align: bool = True, model: str | os.PathLike | None = None, device: str = "cpu") -> dict:
    """Measure a take and judge it; the result is JSON-serialisable.

    Returns ``{"version", "metrics", "alignment", "verdicts", "summary", "timings_ms"}``.
    With ``text`` and ``align``, the take is checked word by word against the text
    in its ``language`` (``tasks.audio.adherence``, Whisper; ``model`` is the
    ``ADHERENCE_MODEL`` setting's value, the packaged Whisper base by default) and
    ``alignment`` holds that result: ``status`` aligned / not_aligned / not_checked,
    ``verdict``, ``score``, ``words`` (each script word with its status and timing)
    and ``extra`` (heard words that are not in the script). Its verdict has the code
    ``script``. Without text, or with ``align=False`` (the booth's upload answer,
    which must be fast), ``alignment`` is ``{"status": "not_checked"}``.
    """
    t0 = time.perf_counter()
    info = probe(path)
    metrics = measure(path, info)
    t1 = time.perf_counter()
    alignment: dict = {"status": "not_checked", "reason": "no text given" if not text else "not asked for"}
    if text and align:
        alignment = adherence(path, text, language, metrics, model=model, device=device)
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


def speech_span(metrics: dict) -> tuple[float, float] | None:
    """(start, end) of the detected speech in seconds, from the level metrics."""
    if not metrics.get("speech_s"):
        return None
    start = (metrics.get("leading_silence_ms") or 0.0) / 1000
    end = metrics["duration_s"] - (metrics.get("trailing_silence_ms") or 0.0) / 1000
    return (start, end) if end > start else None


def adherence(path: str | os.PathLike, text: str, language: str | None, metrics: dict | None = None, *,
              model: str | os.PathLike | None = None, device: str = "cpu", statement: bool = False,
              names: tuple[str, ...] = ()) -> dict:
    """The word-level script check alone (what the adherence queue runs); trims to the speech ``metrics`` found."""
    from . import adherence as A

    if metrics is None:
        metrics = measure(path)
    if not language:
        return {"status": "not_checked", "verdict": "ok", "reason": "the script has no language"}
    if statement:
        result = A.check_statement(path, text, language, model or A.PACKAGED, speech_s=speech_span(metrics),
                                   device=device, names=names)
    else:
        result = A.check_take(path, text, language, model or A.PACKAGED, speech_s=speech_span(metrics), device=device)
    result["explanation"] = A.explain(result)
    return result


def with_adherence(result: dict, alignment: dict) -> dict:
    """An ``analyse`` result with a script check added (or replaced); verdicts and summary recomputed."""
    out = {**result, "alignment": alignment}
    v = verdicts({**(result.get("metrics") or {}), "alignment": alignment})
    out["verdicts"], out["summary"] = v, worst(v)
    return out


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
