"""Text people type or upload, made safe to show: no invisible direction or control characters.

U+202E (right-to-left override) and the other bidi controls make ``invoice\u202eyaw.exe`` read as
``invoiceexe.way``, and C0/C1 controls can break a page, a CSV or a terminal. They are removed from
file names, consent names, script titles and section text. NUL cannot be stored in PostgreSQL text
and is never typed by a person: where text is entered it is refused (``has_nul``), not silently cut.
Line breaks and tabs stay in multi-line text; zero-width joiners (needed by Indic and Persian
scripts and emoji) stay everywhere.
"""
from __future__ import annotations

import re

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_INVISIBLE = re.compile(f"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{BIDI_CONTROLS}\ufeff]")
_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029]+")


def has_nul(value: str | None) -> bool:
    return "\x00" in (value or "")


def clean_text(value: str | None) -> str:
    """Multi-line text without bidi or control characters (NUL included; refuse it first where typed)."""
    return _INVISIBLE.sub("", (value or "").replace("\x00", ""))


def clean_line(value: str | None) -> str:
    """One line (a name, a title): line breaks and tabs become spaces, runs of spaces one space."""
    return " ".join(_LINE_BREAKS.sub(" ", clean_text(value)).split())
