"""Wrong-text variants of a transcript, made the same way for calibration and for the benchmark.

The audio stays as recorded; the *text* changes, as when a talent reads something
other than the section:
- ``other``: another sentence of the same language (the talent read the wrong line);
- ``substituted``: one word replaced by a word of another sentence (one word misread);
- ``dropped``: two words removed from the text (the talent added two words);
- ``added``: two words of another sentence put into the text (the talent left two out).
Words are chosen with a fixed seed; in character languages (ja, zh, ko) a "word" is a
character.
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tasks.audio.adherence.text import by_character, normalise  # noqa: E402

KINDS = ("correct", "other", "substituted", "dropped", "added")


def _tokens(text: str, lang: str) -> tuple[list[str], str]:
    if by_character(lang):
        return [ch for ch in text if not ch.isspace()], ""
    return text.split(), " "


def _content(tokens: list[str], lang: str) -> list[int]:
    """Positions of tokens that are words (not punctuation), preferring longer ones."""
    idx = [i for i, t in enumerate(tokens) if normalise(t, lang)]
    longer = [i for i in idx if len("".join(normalise(tokens[i], lang))) >= (1 if by_character(lang) else 3)]
    return longer or idx


def variant(text: str, kind: str, lang: str, others: list[str], seed: int) -> str | None:
    """``text`` changed as ``kind`` says; None when the text is too short for it."""
    rng = random.Random(f"{seed}:{kind}:{text}")
    if kind == "correct":
        return text
    if kind == "other":
        return rng.choice(others) if others else None
    toks, sep = _tokens(text, lang)
    own = {tuple(normalise(t, lang)) for t in toks}
    pool = [t for o in others for t in _tokens(o, lang)[0] if normalise(t, lang) and tuple(normalise(t, lang)) not in own]
    pool = [t for t in pool if len("".join(normalise(t, lang))) >= (1 if by_character(lang) else 3)] or pool
    content = _content(toks, lang)
    if kind == "substituted":
        if not content or not pool:
            return None
        i = rng.choice(content)
        toks[i] = rng.choice(pool)
    elif kind == "dropped":
        if len(content) < 4:
            return None
        start = rng.randrange(1, len(content) - 2)
        for i in sorted(rng.sample(content[start - 1:], 2), reverse=True):
            del toks[i]
    elif kind == "added":
        if len(pool) < 2 or len(toks) < 3:
            return None
        for w in rng.sample(pool, 2):
            toks.insert(rng.randrange(1, len(toks)), w)
    return sep.join(toks)
