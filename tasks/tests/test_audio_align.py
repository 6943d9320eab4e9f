"""Script adherence by forced alignment (pocketsphinx en-us)."""
import pytest

from tasks.audio.align import align_take
from tasks.audio.qc import analyse
from tasks.tests import audio_fixtures as F


@pytest.fixture(scope="module")
def take(tmp_path_factory):
    return F.write(tmp_path_factory.mktemp("al") / "take.wav", F.pad(F.speech(F.SENTENCE), 0.3, 0.4))


def test_matching_text_aligns_with_word_timings(take):
    result = align_take(take, F.SENTENCE)
    assert result["status"] == "aligned"
    words = [w["word"] for w in result["words"]]
    assert words[0] == "the" and words[-1] == "things" and len(words) == 19
    assert result["words"][0]["start_s"] == pytest.approx(0.3, abs=0.1)
    assert not result["last_word_cut_off"]


def test_wrong_text_does_not_align(take):
    assert align_take(take, "I like green eggs and ham on sunday mornings with my friends")["status"] == "not_aligned"


def test_missing_words_do_not_align(take):
    assert align_take(take, F.SENTENCE + " From the store on Main Street.")["status"] == "not_aligned"


def test_analyse_flags_script_mismatch_and_skips_other_languages(take):
    assert analyse(take, text="Green eggs and ham, Sam I am.", language="en-US")["summary"] == "fail"
    ok = analyse(take, text=F.SENTENCE, language="en")
    assert ok["alignment"]["status"] == "aligned" and ok["summary"] == "ok"
    assert ok["metrics"]["leading_silence_ms"] == pytest.approx(300, abs=100)
    assert analyse(take, text="Der schnelle braune Fuchs", language="de")["alignment"]["status"] == "not_checked"
