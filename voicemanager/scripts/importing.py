"""Turn pasted text or an uploaded file into script sections, and review them like a voice director.

Pure functions (no database): the create page, the section editor and the API all
use them, so a script is split and checked the same way everywhere.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field

from voicemanager.core.languages import LANGUAGE_NAMES
from voicemanager.core.text import clean_text, has_nul

# Reading pace: ~150 words a minute for languages written with spaces. Chinese and
# Japanese are counted in characters (~4 characters a second for careful studio reading).
WORDS_PER_MINUTE = 150
CHARS_PER_SECOND = {"zh": 4.0, "ja": 5.0}
BREATH_SECONDS = 20.0       # longer than this is hard to read in one breath
SHORT_SECONDS = 1.5         # shorter than this gives the model little to learn from
MIN_TOTAL_MINUTES = 30      # professional cloning minimum
IDEAL_TOTAL_MINUTES = 180   # ~3 h is ideal
MAX_SECTION_CHARS = 5000
MAX_SECTIONS = 5000

SPLIT_BLANK_LINES = "blank"
SPLIT_LINES = "line"
SPLIT_CHOICES = [(SPLIT_BLANK_LINES, "One section per paragraph (split at blank lines)"),
                 (SPLIT_LINES, "One section per line")]

_BLANK_LINES = re.compile(r"\n\s*\n")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class ScriptImportError(ValueError):
    """Input that cannot become a script; the message is safe to show."""


@dataclass
class ParsedSection:
    text: str
    external_id: str = ""


@dataclass
class ParsedScript:
    sections: list[ParsedSection]
    title: str = ""
    language: str = ""


@dataclass
class SectionWarning:
    kind: str  # empty | duplicate | too_long | too_short
    index: int  # 0-based section index
    message: str


@dataclass
class Review:
    """Warnings per section and totals against the professional-cloning targets."""

    warnings: list[SectionWarning] = field(default_factory=list)
    sections: int = 0
    words: int = 0
    seconds: float = 0.0
    total_level: str = "ok"  # ok | warn | fail
    total_message: str = ""

    @property
    def minutes(self) -> float:
        return round(self.seconds / 60, 1)

    def for_section(self, index: int) -> list[SectionWarning]:
        return [w for w in self.warnings if w.index == index]

    @property
    def by_index(self) -> dict[int, list[SectionWarning]]:
        out: dict[int, list[SectionWarning]] = {}
        for warning in self.warnings:
            out.setdefault(warning.index, []).append(warning)
        return out


def clean(text: str) -> str:
    """Normalise line endings and whitespace inside one section; drop bidi and control characters (not NUL,
    which ``validate_sections`` refuses)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\x00".join(clean_text(part) for part in text.split("\x00"))
    return "\n".join(line.strip() for line in text.strip().split("\n"))


def split_text(text: str, mode: str = SPLIT_BLANK_LINES) -> list[str]:
    """Split plain text into sections: by blank lines (paragraphs) or one per line. Empty pieces are dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    if mode == SPLIT_LINES:
        pieces = text.split("\n")
    elif mode == SPLIT_BLANK_LINES:
        pieces = _BLANK_LINES.split(text)
    else:
        raise ScriptImportError(f"Unknown split mode {mode!r}.")
    return [c for c in (clean(p) for p in pieces) if c]


def parse_csv(content: str) -> list[ParsedSection]:
    """One section per row. A header with ``id`` and ``text`` columns (any order) keeps the ids;
    without a header, two columns mean id,text and one column means text."""
    rows = [row for row in csv.reader(io.StringIO(content.replace("\ufeff", ""))) if any(c.strip() for c in row)]
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    if "text" in header:
        text_col = header.index("text")
        id_col = header.index("id") if "id" in header else None
        rows = rows[1:]
    elif len(rows[0]) >= 2:
        id_col, text_col = 0, 1
    else:
        id_col, text_col = None, 0
    sections = []
    for number, row in enumerate(rows, start=1):
        if text_col >= len(row):
            raise ScriptImportError(f"CSV row {number} has no text column.")
        external_id = row[id_col].strip()[:100] if id_col is not None and id_col < len(row) else ""
        sections.append(ParsedSection(clean(row[text_col]), external_id))
    return sections


def parse_json(content: str | bytes | dict) -> ParsedScript:
    """``{"title", "language", "sections": [...]}``; sections are strings or ``{"text", "id"}`` objects."""
    if isinstance(content, dict):
        data = content
    else:
        try:
            data = json.loads(content)
        except (ValueError, TypeError) as exc:
            raise ScriptImportError(f"The file is not valid JSON: {exc}") from exc
    if isinstance(data, list):
        data = {"sections": data}
    if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
        raise ScriptImportError('JSON must be an object with a "sections" list.')
    sections = []
    for number, item in enumerate(data["sections"], start=1):
        if isinstance(item, str):
            sections.append(ParsedSection(clean(item)))
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            sections.append(ParsedSection(clean(item["text"]), str(item.get("id") or "")[:100]))
        else:
            raise ScriptImportError(f'Section {number} must be a string or an object with "text".')
    title = data.get("title") if isinstance(data.get("title"), str) else ""
    language = data.get("language") if isinstance(data.get("language"), str) else ""
    return ParsedScript(sections, title.strip(), language.strip())


def parse_upload(filename: str, raw: bytes, mode: str = SPLIT_BLANK_LINES) -> ParsedScript:
    """Parse an uploaded .txt, .csv or .json file."""
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScriptImportError("The file must be UTF-8 text.") from exc
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "json":
        return parse_json(content)
    if suffix == "csv":
        return ParsedScript(parse_csv(content))
    if suffix == "txt":
        return ParsedScript([ParsedSection(t) for t in split_text(content, mode)])
    raise ScriptImportError("Upload a .txt, .csv or .json file.")


def count_words(text: str) -> int:
    """Words, counting each CJK character as one (those scripts do not use spaces)."""
    cjk = len(_CJK.findall(text))
    return cjk + len(_CJK.sub(" ", text).split())


def estimate_seconds(text: str, language: str = "en") -> float:
    """How long a careful studio read takes."""
    if language in CHARS_PER_SECOND:
        chars = len(re.sub(r"\s", "", text))
        return chars / CHARS_PER_SECOND[language]
    return count_words(text) * 60.0 / WORDS_PER_MINUTE


def review(texts: list[str], language: str = "en") -> Review:
    """Warnings a voice director would give, and totals against the 30 min minimum / ~3 h ideal."""
    result = Review(sections=len(texts))
    seen: dict[str, int] = {}
    for index, text in enumerate(texts):
        stripped = text.strip()
        if not stripped:
            result.warnings.append(SectionWarning("empty", index, "Empty section: nothing to record."))
            continue
        key = " ".join(stripped.lower().split())
        if key in seen:
            result.warnings.append(SectionWarning(
                "duplicate", index, f"Duplicate of section {seen[key] + 1}: the same line twice adds nothing."))
        else:
            seen[key] = index
        seconds = estimate_seconds(stripped, language)
        result.words += count_words(stripped)
        result.seconds += seconds
        if seconds > BREATH_SECONDS:
            result.warnings.append(SectionWarning(
                "too_long", index, f"About {seconds:.0f} s: too long to read in one breath; consider splitting."))
        elif seconds < SHORT_SECONDS:
            result.warnings.append(SectionWarning(
                "too_short", index, "Very short: a single word or two gives little to learn from."))
    minutes = result.seconds / 60
    if minutes < MIN_TOTAL_MINUTES:
        result.total_level = "fail"
        result.total_message = (f"About {minutes:.1f} min of speech: below the {MIN_TOTAL_MINUTES} min minimum "
                                "for professional cloning.")
    elif minutes < IDEAL_TOTAL_MINUTES:
        result.total_level = "warn"
        result.total_message = (f"About {minutes:.1f} min of speech: enough for professional cloning; "
                                f"~{IDEAL_TOTAL_MINUTES // 60} h gives the best results.")
    else:
        result.total_message = f"About {minutes:.1f} min of speech: ideal for professional cloning."
    return result


def validate_sections(sections: list[ParsedSection | str]) -> list[ParsedSection]:
    """The sections a script may be saved with: cleaned, empty ones dropped, within limits."""
    items = [s if isinstance(s, ParsedSection) else ParsedSection(s) for s in sections]
    for index, item in enumerate(items, start=1):
        if has_nul(item.text):
            raise ScriptImportError(f"Section {index} contains a NUL character (\\0); remove it and save again.")
    cleaned = [ParsedSection(clean(s.text), s.external_id) for s in items]
    cleaned = [s for s in cleaned if s.text]
    if not cleaned:
        raise ScriptImportError("The script has no sections: add some text.")
    if len(cleaned) > MAX_SECTIONS:
        raise ScriptImportError(f"Too many sections ({len(cleaned)}); the limit is {MAX_SECTIONS}.")
    for index, section in enumerate(cleaned, start=1):
        if len(section.text) > MAX_SECTION_CHARS:
            raise ScriptImportError(f"Section {index} is longer than {MAX_SECTION_CHARS} characters.")
    return cleaned


def validate_language(language: str) -> str:
    if language not in LANGUAGE_NAMES:
        raise ScriptImportError(f"Unsupported language {language!r}; use one of: {', '.join(sorted(LANGUAGE_NAMES))}.")
    return language


def split_in_two(text: str) -> list[str]:
    """Split one section: at its blank lines if it has any, else at the sentence end nearest the middle,
    else at the space nearest the middle. Returns one piece when there is nothing to split."""
    pieces = split_text(text, SPLIT_BLANK_LINES)
    if len(pieces) > 1:
        return pieces
    text = clean(text)
    middle = len(text) / 2
    cuts = [m.end() for m in re.finditer(r"[.!?;:。！？]\s*", text) if 0 < m.end() < len(text)]
    if not cuts:
        cuts = [m.end() for m in re.finditer(r"\s+", text) if 0 < m.end() < len(text)]
    if not cuts:
        return [text]
    cut = min(cuts, key=lambda c: abs(c - middle))
    return [c for c in (text[:cut].strip(), text[cut:].strip()) if c]
