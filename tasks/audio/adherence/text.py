"""Text normalisation for comparing a script with what the recogniser heard, per language.

A text becomes a list of *words* (what a person sees and what the booth marks) and
each word a list of comparison *units*: case folded, punctuation removed,
apostrophes and hyphens split ("d'accord" -> "d", "accord"), accents removed from
Latin, Greek and Cyrillic letters, numbers written as words with num2words in the
text's language ("25" and "twenty-five" both become "twenty five"), common
abbreviations said in full ("a.C." -> "antes de cristo"). Japanese,
Chinese, Korean and Thai are compared character by character, so a word there is
one character. Languages num2words does not cover (Greek, Bulgarian, Tamil, Hindi,
Filipino) keep digits as digits; a digits-versus-words difference is then left to
the recogniser's probabilities (see ``check.py``), which accept either reading.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

CHARACTER_LANGUAGES = frozenset({"ja", "zh", "ko", "th", "yue"})
# num2words has no converter for these; the nearest language spells numbers the same way
# (Malay = Indonesian; Croatian = Serbian Latin; Chinese uses Japanese kanji numerals).
_NUM2WORDS_LANGUAGE = {"ms": "id", "hr": "sr", "zh": "ja", "yue": "ja", "nb": "no", "nn": "no"}
# Whisper's language codes where ours differ (Filipino is Tagalog to Whisper).
_WHISPER_LANGUAGE = {"fil": "tl", "nb": "no", "nn": "nn", "iw": "he"}

# Abbreviations a reader says in full ("a.C." is read "antes de Cristo"), per language, case folded.
# Letter abbreviations that are spelt out ("USA", "B.C.") need nothing: their letters are units.
_ABBREVIATIONS = {
    "en": {"e.g.": "for example", "i.e.": "that is", "etc.": "et cetera", "dr.": "doctor", "mr.": "mister", "mrs.": "missus"},
    "de": {"z.b.": "zum beispiel", "d.h.": "das heißt", "usw.": "und so weiter", "bzw.": "beziehungsweise",
           "v.chr.": "vor christus", "n.chr.": "nach christus", "dr.": "doktor"},
    "es": {"a.c.": "antes de cristo", "d.c.": "después de cristo", "ee.uu.": "estados unidos", "sr.": "señor",
           "sra.": "señora", "dr.": "doctor", "etc.": "etcétera"},
    "pt": {"a.c.": "antes de cristo", "d.c.": "depois de cristo", "sr.": "senhor", "sra.": "senhora", "dr.": "doutor",
           "etc.": "et cetera"},
    "fr": {"j.-c.": "jésus christ", "mme": "madame", "mlle": "mademoiselle", "etc.": "et cetera"},
    "it": {"a.c.": "avanti cristo", "d.c.": "dopo cristo", "ecc.": "eccetera", "sig.": "signor", "dott.": "dottore"},
}
_ABBREVIATION_RE = {lang: re.compile(r"(?<!\w)(" + "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))
                                     + r")(?!\w)") for lang, table in _ABBREVIATIONS.items()}
_NUMBER = re.compile(r"\d+(?:[.,]\d{3})*(?:[.,]\d+)?")
_EN_ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th)$")
_APOSTROPHES = "'’‘`´ʼ"
_SPLITTERS = re.compile(r"[-‐‑‒–—―/\\_+=|~" + _APOSTROPHES + r"]")


def base_language(language: str | None) -> str:
    """``en-US`` -> ``en``; empty when unknown."""
    return (language or "").strip().lower().replace("_", "-").split("-")[0]


def whisper_language(language: str | None) -> str | None:
    lang = base_language(language)
    return _WHISPER_LANGUAGE.get(lang, lang) or None


def by_character(language: str | None) -> bool:
    return base_language(language) in CHARACTER_LANGUAGES


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F
            or 0xF900 <= o <= 0xFAFF or 0xFF66 <= o <= 0xFF9F or 0x0E00 <= o <= 0x0E7F or 0x20000 <= o <= 0x2FFFF)


def _strip_marks(s: str) -> str:
    """Remove accents from Latin, Greek and Cyrillic letters (others keep their marks: they are letters there)."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", s):
        if unicodedata.category(ch) in ("Mn", "Mc") and out and (ord(out[-1]) < 0x0530 or 0x1E00 <= ord(out[-1]) <= 0x1FFF):
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def _number_words(token: str, lang: str) -> str:
    from num2words import num2words

    conv = _NUM2WORDS_LANGUAGE.get(lang, lang)
    try:
        m = _EN_ORDINAL.match(token)
        if lang == "en" and m:
            return num2words(int(m.group(1)), lang="en", to="ordinal")
        digits = token
        decimal = "," if lang not in ("en", "ja", "zh", "ko", "th", "hi", "ta", "ms", "fil", "yue") else "."
        thousands = "." if decimal == "," else ","
        if re.fullmatch(r"\d{1,3}(?:" + re.escape(thousands) + r"\d{3})+", digits):
            digits = digits.replace(thousands, "")
        if decimal in digits:
            whole, frac = digits.split(decimal, 1)
            return num2words(int(whole), lang=conv) + " " + " ".join(num2words(int(d), lang=conv) for d in frac)
        return num2words(int(digits.replace(",", "").replace(".", "")), lang=conv)
    except (NotImplementedError, ValueError, OverflowError, KeyError, TypeError, IndexError):
        return token


def normalise(text: str, language: str | None) -> list[str]:
    """Comparison units of a piece of text (one word, or a whole transcript)."""
    lang = base_language(language)
    s = unicodedata.normalize("NFKC", text).casefold()
    if lang in _ABBREVIATION_RE:
        s = _ABBREVIATION_RE[lang].sub(lambda m: " " + _ABBREVIATIONS[lang][m.group(1)] + " ", s)
    if lang == "en":
        s = re.sub(r"(\d+)(st|nd|rd|th)\b", lambda m: " " + _number_words(m.group(0), lang) + " ", s)
    s = _NUMBER.sub(lambda m: " " + _number_words(m.group(0), lang) + " ", s)
    s = _SPLITTERS.sub(" ", s)
    s = "".join(" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in s)
    s = _strip_marks(s)
    if lang in CHARACTER_LANGUAGES:
        return [ch for ch in s if not ch.isspace()]
    return s.split()


@dataclass
class Word:
    """One word of a text as written, with its comparison units."""

    text: str
    units: list[str]


def words(text: str, language: str | None) -> list[Word]:
    """Split a text into words as a reader sees them; words with no units (pure punctuation) are dropped.

    In character languages every CJK/Thai character is its own word; a run of Latin
    letters or digits inside such text stays one word.
    """
    out: list[Word] = []
    for chunk in text.split():
        if by_character(language):
            pieces = re.findall(r"[\u0E00-\u0E7F\u1100-\u11FF\u2E80-\u9FFF\u3130-\u318F\uAC00-\uD7AF\uF900-\uFAFF\uFF66-\uFF9F]"
                                r"[^\w\s]*|[^\u0E00-\u0E7F\u1100-\u11FF\u2E80-\u9FFF\u3130-\u318F\uAC00-\uD7AF\uF900-\uFAFF\uFF66-\uFF9F]+",
                                chunk)
        else:
            pieces = [chunk]
        for piece in pieces:
            units = normalise(piece, language)
            if units:
                out.append(Word(piece, units))
            elif out:
                out[-1].text += piece  # trailing punctuation stays with the word before it
    return out
