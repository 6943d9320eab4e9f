"""Script adherence: did the take say its section text, word by word (Whisper base on CTranslate2).

- ``model.py``: the packaged recogniser (two pinned PyPI halves joined and checked) and ``load``.
- ``text.py``: per-language normalisation (case, punctuation, numbers, characters for CJK).
- ``compare.py``: the word alignment and its differing regions.
- ``check.py``: ``check`` (a take) and the rules for takes and for consent statements.

``check_take`` and ``check_statement`` below are the entry points; ``tasks.audio.qc.analyse``
calls ``check_take``.
"""
from __future__ import annotations

import os

from .advice import explain
from .check import STATEMENT_RULES, TAKE_RULES, Rules, check, load_audio
from .model import PACKAGED, ModelUnavailable, load

__all__ = ["PACKAGED", "ModelUnavailable", "Rules", "check", "check_statement", "check_take", "explain", "load",
           "load_audio"]


def check_take(path: str | os.PathLike, text: str, language: str | None, model: str | os.PathLike | None = PACKAGED,
               *, speech_s: tuple[float, float] | None = None, rules: Rules = TAKE_RULES, device: str = "cpu") -> dict:
    """Word-level adherence of a take file to its section text (see ``check.check``)."""
    return check(load_audio(path), text, language, load(model, device=device), rules=rules, speech_s=speech_s)


def check_statement(path: str | os.PathLike, text: str, language: str | None,
                    model: str | os.PathLike | None = PACKAGED, *, speech_s: tuple[float, float] | None = None,
                    device: str = "cpu", names: tuple[str, ...] = ()) -> dict:
    """A spoken consent statement against its known text; every word must be heard (``verdict`` ok or fail).

    ``names`` (the speaker's and the organisation's) are parts of the text whose words
    must be there but need not be recognised exactly: Whisper cannot spell every
    name, so a name word that sounded different does not refuse the statement.
    Returns the same dict as ``check_take`` plus ``accepted`` (bool) and ``message``, a
    sentence for the speaker naming the first words that were not heard.
    """
    from .text import words as split

    result = check(load_audio(path), text, language, load(model, device=device), rules=STATEMENT_RULES, speech_s=speech_s)
    lenient = {u for n in names for w in split(n, language) for u in w.units}
    words = result.get("words", [])
    name_losses = set()
    for w in words:
        units = [u for x in split(w["word"], language) for u in x.units]
        if lenient and units and set(units) <= lenient:
            if w["status"] != "ok":
                name_losses.add(w.get("loss"))
            w["status"], w["name"] = "ok", True
    for w in words:  # a word judged in the same region as a name (same loss) shares its leniency
        if w["status"] in ("different", "doubtful") and w.get("loss") in name_losses:
            w["status"] = "ok"
    if result.get("words") and result["verdict"] != "ok":
        still_bad = any(w["status"] != "ok" for w in result["words"]) or any(e.get("status") == "extra" for e in result["extra"])
        if not still_bad:
            result["verdict"], result["status"] = "ok", "aligned"
    if result["status"] == "not_checked":
        result.update(accepted=False, message=f"The statement could not be checked: {result['reason']}.")
        return result
    bad = [w["word"] for w in result["words"] if w["status"] != "ok"]
    extra = [e["heard"] for e in result["extra"]]
    result["accepted"] = result["verdict"] == "ok"
    if result["accepted"]:
        result["message"] = "The statement says the text."
    elif bad:
        named = ", ".join(f"'{w}'" for w in bad[:3]) + (" and more" if len(bad) > 3 else "")
        result["message"] = f"We did not hear {named}. Please read the statement exactly as written and record it again."
    else:
        result["message"] = (f"We heard words that are not in the statement ('{extra[0]}'). "
                             "Please read it exactly as written and record it again.")
    return result
