"""Splitting, parsing and the voice director's warnings (pure functions)."""
import json

import pytest

from voicemanager.scripts.importing import (
    ScriptImportError,
    estimate_seconds,
    parse_csv,
    parse_json,
    parse_upload,
    review,
    split_in_two,
    split_text,
    validate_sections,
)


def test_split_by_blank_lines_keeps_paragraphs_and_drops_empties():
    text = "First line\ncontinues here.\n\n\n  Second paragraph.  \r\n\r\n\n"
    assert split_text(text) == ["First line\ncontinues here.", "Second paragraph."]


def test_split_one_per_line():
    assert split_text("One.\nTwo.\n\nThree.", "line") == ["One.", "Two.", "Three."]


def test_unknown_split_mode_is_refused():
    with pytest.raises(ScriptImportError):
        split_text("x", "words")


def test_csv_with_header_keeps_ids_in_any_column_order():
    sections = parse_csv("text,id\nHello there.,a1\n\"Comma, inside.\",a2\n")
    assert [(s.text, s.external_id) for s in sections] == [("Hello there.", "a1"), ("Comma, inside.", "a2")]


def test_csv_without_header_two_columns_is_id_then_text():
    sections = parse_csv("x1,First\nx2,Second\n")
    assert [(s.external_id, s.text) for s in sections] == [("x1", "First"), ("x2", "Second")]


def test_csv_single_column_is_text():
    assert [s.text for s in parse_csv("Only text\nMore text\n")] == ["Only text", "More text"]


def test_json_with_strings_and_objects():
    parsed = parse_json(json.dumps({"title": "T", "language": "de",
                                    "sections": ["Eins.", {"text": "Zwei.", "id": "s2"}]}))
    assert parsed.title == "T" and parsed.language == "de"
    assert [(s.text, s.external_id) for s in parsed.sections] == [("Eins.", ""), ("Zwei.", "s2")]


@pytest.mark.parametrize("bad", ["{not json", '{"sections": "nope"}', '{"sections": [1]}', '"x"'])
def test_bad_json_gives_a_clear_error(bad):
    with pytest.raises(ScriptImportError):
        parse_json(bad)


def test_upload_dispatches_by_extension_and_refuses_others():
    assert [s.text for s in parse_upload("a.txt", b"A.\n\nB.").sections] == ["A.", "B."]
    assert [s.text for s in parse_upload("a.txt", b"A.\nB.", "line").sections] == ["A.", "B."]
    assert parse_upload("a.csv", b"id,text\n1,Hi\n").sections[0].external_id == "1"
    assert parse_upload("a.JSON", b'{"sections": ["x"]}').sections[0].text == "x"
    with pytest.raises(ScriptImportError, match="txt, .csv or .json"):
        parse_upload("a.docx", b"x")
    with pytest.raises(ScriptImportError, match="UTF-8"):
        parse_upload("a.txt", b"\xff\xfe\x00bad")


def test_estimate_is_about_150_words_a_minute_and_counts_cjk_characters():
    assert estimate_seconds(" ".join(["word"] * 150), "en") == pytest.approx(60)
    assert estimate_seconds("你好世界你好世界", "zh") == pytest.approx(2.0)


def test_review_flags_empty_duplicate_long_and_short_sections():
    long = " ".join(["word"] * 60)  # ~24 s
    result = review(["Hello there, how are you today?", "", "hello there,  how are you today?", long, "Yes."])
    kinds = {(w.kind, w.index) for w in result.warnings}
    assert kinds == {("empty", 1), ("duplicate", 2), ("too_long", 3), ("too_short", 4)}
    assert "section 1" in result.for_section(2)[0].message


def test_review_totals_against_professional_targets():
    short = review(["One two three four five six."] * 3)
    assert short.total_level == "fail" and "30 min minimum" in short.total_message
    enough = review([" ".join(["word"] * 150)] * 40)  # 40 minutes
    assert enough.total_level == "warn" and enough.minutes == pytest.approx(40)
    ideal = review([" ".join(["word"] * 150)] * 200)
    assert ideal.total_level == "ok"


def test_validate_sections_drops_empties_and_refuses_nothing():
    assert [s.text for s in validate_sections(["  a ", "", "b"])] == ["a", "b"]
    with pytest.raises(ScriptImportError):
        validate_sections(["", "  "])
    with pytest.raises(ScriptImportError, match="longer than"):
        validate_sections(["x" * 6000])


def test_split_in_two_prefers_sentence_end_near_middle():
    assert split_in_two("First sentence here. Second sentence here.") == ["First sentence here.",
                                                                          "Second sentence here."]
    assert split_in_two("one two three four") == ["one two", "three four"]
    assert split_in_two("single") == ["single"]
    assert split_in_two("Para one.\n\nPara two.") == ["Para one.", "Para two."]
