"""Plain words for an adherence result: what was wrong and what to do, naming the words."""
from __future__ import annotations


def _quote(words: list[str], limit: int = 3) -> str:
    shown = [f"'{w}'" for w in words[:limit]]
    more = len(words) - limit
    if more > 0:
        return ", ".join(shown) + f" and {more} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _clean(word: str) -> str:
    return word.strip(".,;:!?\"'«»“”‘’()[]{}")


def explain(result: dict) -> dict:
    """``{"level", "title", "reason", "advice"}`` for a ``check`` result (level ok / warn / fail).

    The reason names the words ("The word 'harbour' was not heard."), the advice
    says what to do ("Read it again, exactly as written.").
    """
    words = result.get("words") or []
    missing = [_clean(w["word"]) for w in words if w["status"] == "missing"]
    different = [w for w in words if w["status"] == "different"]
    doubtful = [_clean(w["word"]) for w in words if w["status"] == "doubtful"]
    extra = [e["heard"] for e in result.get("extra") or [] if e.get("status") == "extra"]
    verdict = result.get("verdict", "ok")
    if verdict == "ok":
        return {"level": "ok", "title": "Matches the script", "reason": "Every word of the section was heard.", "advice": ""}
    parts = []
    if missing:
        parts.append(f"The word {_quote(missing)} was not heard." if len(missing) == 1
                     else f"The words {_quote(missing)} were not heard.")
    if different:
        shown = different[:2]
        said = "; ".join(f"'{_clean(w['word'])}' sounded like '{w.get('heard') or '…'}'" for w in shown)
        parts.append(said[0].upper() + said[1:] + ("." if len(different) <= 2 else f"; and {len(different) - 2} more words differ."))
    if extra:
        parts.append(f"Words that are not in the script were heard: {_quote(extra, 2)}.")
    if doubtful:
        parts.append(f"The word {_quote(doubtful)} was not clearly heard." if len(doubtful) == 1
                     else f"The words {_quote(doubtful)} were not clearly heard.")
    if verdict == "warn":
        word = doubtful[0] if doubtful else (extra[0] if extra else "")
        return {"level": "warn", "title": "One word is doubtful", "reason": " ".join(parts),
                "advice": f"Listen back: if '{word}' is not clear, read the line again." if word else "Listen back, and read the line again if needed."}
    first = (missing or [_clean(w["word"]) for w in different] or doubtful or [""])[0]
    advice = (f"Read it again, exactly as written, taking care over '{first}'." if first
              else "Read it again, exactly as written, without adding words.")
    return {"level": "fail", "title": "Does not match the script", "reason": " ".join(parts) or "The take does not say the section text.",
            "advice": advice}
