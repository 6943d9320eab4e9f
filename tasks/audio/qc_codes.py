"""Why a take cannot go to cloning as it is: QC failures as stable, machine-readable codes.

The QC verdicts (``verdicts.verdicts``) name an aspect (``clipping``, ``noise``, ``script``…);
the cloning gate and the API's ``discardedFiles`` need a reason a client can act on
(``clipped``, ``too_noisy``, ``script_mismatch``…). ``failures`` turns a stored QC result
into those codes; only verdicts at level ``fail`` count (a warning never blocks a take).
Pure: takes the QC dict, returns plain dicts, never imports Django.
"""
from __future__ import annotations

# QC verdict code -> discard code. A verdict code not listed maps to ``qc_<code>``.
CODES: dict[str, str] = {
    "script": "script_mismatch",
    "adherence": "script_mismatch",
    "clipping": "clipped",
    "noise": "too_noisy",
    "empty": "no_speech",
    "too_short": "take_too_short",
    "too_long": "take_too_long",
    "sample_rate": "low_sample_rate",
    "lead_silence": "cut_off",
    "trail_silence": "cut_off",
    "speaker": "speaker_mismatch",
}

# The order failures are reported in: the first is the file's ``code`` in ``discardedFiles``.
PRIORITY = ("analysis_failed", "no_speech", "script_mismatch", "speaker_mismatch", "clipped", "too_noisy",
            "too_quiet", "too_loud", "cut_off", "take_too_short", "take_too_long", "low_sample_rate")


def _level_code(verdict: dict) -> str:
    """Loudness and peak failures say which way they fail."""
    code = verdict.get("code", "")
    title = (verdict.get("title") or "").lower()
    if code in ("loudness", "peak"):
        return "too_loud" if "loud" in title else "too_quiet"
    return CODES.get(code, f"qc_{code}" if code else "qc_failed")


def failures(qc: dict | None, *, analysis_error: str | None = None) -> list[dict]:
    """The take's QC failures as ``[{"code", "reason", "title", "check", "advice"}]``, one per code.

    ``analysis_error`` (the analysis itself failed) yields ``analysis_failed``. Two checks with
    the same code (silence cut off at both ends) are reported once, reasons joined.
    """
    out: dict[str, dict] = {}
    if analysis_error is not None:
        out["analysis_failed"] = {"code": "analysis_failed", "title": "Analysis failed",
                                  "reason": analysis_error or "The file could not be analysed.", "check": "analysis",
                                  "advice": "Record the section again."}
    for verdict in (qc or {}).get("verdicts") or []:
        if not isinstance(verdict, dict) or verdict.get("level") != "fail":
            continue
        code = _level_code(verdict)
        reason = (verdict.get("reason") or verdict.get("title") or "").strip()
        if code in out:
            if reason and reason not in out[code]["reason"]:
                out[code]["reason"] = f"{out[code]['reason']} {reason}".strip()
            continue
        out[code] = {"code": code, "title": verdict.get("title") or code, "reason": reason,
                     "check": verdict.get("code", ""), "advice": (verdict.get("advice") or "").strip()}
    rank = {code: i for i, code in enumerate(PRIORITY)}
    return sorted(out.values(), key=lambda f: rank.get(f["code"], len(PRIORITY)))


def summary_reason(found: list[dict]) -> str:
    """One sentence for a person: "Failed QC: Clipping (12 samples hit full scale…); …"."""
    if not found:
        return ""
    return "Failed QC: " + "; ".join(f"{f['title']} ({f['reason']})" if f["reason"] else f["title"] for f in found)


def retake_notes(found: list[dict]) -> list[str]:
    """Preset notes for a retake request, one per failure, in the talent's terms (title and advice)."""
    return [f"{f['title']}. {f['advice'] or f['reason']}".strip() for f in found]
