"""Session drift: per-take measures, reference bands, plain-language warnings, break reminders."""
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tasks.audio import drift

from . import audio_fixtures as F

FIX = Path(__file__).parent / "fixtures" / "speaker"
REFERENCE_TAKES = [FIX / "367-130732-0001.flac", FIX / "367-130732-0004.flac"]


def sox(src: Path, dst: Path, *effects: str) -> Path:
    subprocess.run(["sox", str(src), "-r", "48000", "-b", "24", str(dst), *effects], check=True, timeout=60)
    return dst


@pytest.fixture(scope="module")
def bands():
    return drift.reference_bands([drift.measure(p) for p in REFERENCE_TAKES])


@pytest.mark.parametrize("hz", [90.0, 220.0, 410.0])
def test_yin_finds_the_pitch_of_a_harmonic_tone(hz):
    t = np.arange(drift.F0_RATE * 2) / drift.F0_RATE
    x = sum(0.3 / k * np.sin(2 * np.pi * hz * k * t) for k in (1, 2, 3)).astype(np.float32)
    p = drift.pitch(x)
    assert p["f0_median_hz"] == pytest.approx(hz, rel=0.01)
    assert p["f0_range_st"] < 0.2


def test_measures_of_real_speech_are_plausible():
    m = drift.measure(FIX / "1688-142285-0004.flac", words=[{"start_s": 0.3 + 0.4 * i, "end_s": 0.6 + 0.4 * i} for i in range(10)],
                      embedding=[1.0] + [0.0] * 255, reference_embedding=[1.0, 1.0] + [0.0] * 254)
    json.dumps(m)
    assert -40 < m["loudness_lufs"] < -10
    assert 80 < m["f0_median_hz"] < 300 and m["f0_p10_hz"] < m["f0_median_hz"] < m["f0_p90_hz"]
    assert m["f0_range_st"] > 1
    assert 300 < m["centroid_hz"] < 4000
    assert m["rate_wps"] == pytest.approx(10 / 3.9, rel=1e-3)
    assert m["embedding_distance"] == pytest.approx(1 - 1 / np.sqrt(2), abs=1e-4)


def test_silence_gives_no_figures_and_no_error(tmp_path):
    m = drift.measure(F.write(tmp_path / "silent.wav", np.zeros(48000 * 2, np.float32)))
    assert m["f0_median_hz"] is None and m["centroid_hz"] is None and m["loudness_lufs"] is None


def test_a_take_quieter_and_higher_after_sox_is_warned_about(tmp_path, bands):
    """Level down 12 dB and pitch up 6 semitones with sox: the booth says so in plain words."""
    shifted = sox(REFERENCE_TAKES[1], tmp_path / "shifted.wav", "gain", "-12", "pitch", "600")
    result = drift.compare(drift.measure(shifted), bands)
    assert result["positions"]["loudness_lufs"] == "low"
    assert result["positions"]["f0_median_hz"] == "high"
    messages = [w["message"] for w in result["warnings"]]
    assert "Your voice is higher than in your first takes: relax and speak at your usual pitch." in messages
    level = {w["code"] for w in result["warnings"]} & {"quieter", "further"}
    assert level, messages


def test_the_same_take_in_the_booth_format_is_not_warned_about(tmp_path, bands):
    same = sox(REFERENCE_TAKES[1], tmp_path / "same.wav")
    result = drift.compare(drift.measure(same), bands)
    assert result["warnings"] == []
    assert set(result["positions"].values()) <= {"ok", None}


def test_only_a_louder_take_is_warned_about_loudness(tmp_path, bands):
    louder = sox(REFERENCE_TAKES[1], tmp_path / "louder.wav", "gain", "9")
    result = drift.compare(drift.measure(louder), bands)
    assert [w["code"] for w in result["warnings"]] == ["louder"]


def band(median, low, high):
    return {"median": median, "low": low, "high": high, "n": 5}


BANDS = {"loudness_lufs": band(-20, -23, -17), "f0_median_hz": band(200, 180, 220), "f0_range_st": band(8, 6, 10),
         "rate_wps": band(2.5, 2.1, 2.9), "centroid_hz": band(1500, 1300, 1700), "tilt_db_oct": band(0, -1.5, 1.5),
         "embedding_distance": {"median": 0.1, "low": None, "high": 0.2, "n": 5}}
OK = {"loudness_lufs": -20, "f0_median_hz": 200, "f0_range_st": 8, "rate_wps": 2.5, "centroid_hz": 1500, "tilt_db_oct": 0,
      "embedding_distance": 0.1}


@pytest.mark.parametrize("change,codes", [
    ({}, []),
    ({"loudness_lufs": -27, "centroid_hz": 1900}, ["further"]),
    ({"loudness_lufs": -14, "centroid_hz": 1100}, ["closer"]),
    ({"centroid_hz": 1900}, []),
    ({"loudness_lufs": -14, "tilt_db_oct": -2.5}, ["closer"]),
    ({"f0_median_hz": 170, "f0_range_st": 4}, ["tired"]),
    ({"loudness_lufs": -26, "rate_wps": 1.8}, ["tired"]),
    ({"loudness_lufs": -26}, ["quieter"]),
    ({"f0_median_hz": 240}, ["higher"]),
    ({"rate_wps": 3.4}, ["faster"]),
    ({"embedding_distance": 0.35}, ["voice"]),
    ({"embedding_distance": 0.0}, []),
    ({"f0_median_hz": None, "rate_wps": None}, []),
])
def test_warnings_tell_one_story_per_cause(change, codes):
    result = drift.compare(OK | change, BANDS)
    assert [w["code"] for w in result["warnings"]] == codes
    for w in result["warnings"]:
        assert w["message"] == drift.MESSAGES[w["code"]]
    assert drift.MESSAGES["further"] == "You have moved further from the mic: come back to where you were for your first takes."
    assert drift.MESSAGES["tired"] == "Your voice sounds tired: take a break."


def test_bands_need_two_reference_values_and_have_floors():
    assert drift.reference_bands([OK]) == {}
    b = drift.reference_bands([OK, OK, OK])
    assert b["loudness_lufs"]["low"] == -23 and b["loudness_lufs"]["high"] == -17  # 3 LU floor
    assert b["f0_median_hz"]["high"] == pytest.approx(200 * 2 ** (2.5 / 12), abs=0.01)  # 2.5 semitone floor
    assert b["embedding_distance"]["low"] is None
    assert drift.position(None, b["loudness_lufs"]) is None
    assert drift.position(-30, None) is None


def test_break_every_thirty_minutes_of_recording():
    start = 1_000_000.0
    takes = [(start + 60 * i, 20) for i in range(0, 29)]
    assert not drift.break_due(takes, now=start + 29 * 60)["due"]
    later = takes + [(start + 60 * 30, 20)]
    due = drift.break_due(later, now=start + 30 * 60 + 30)
    assert due["due"] and due["message"].startswith("You have been recording for 30 minutes")
    # a 6-minute pause was a break: the count starts again
    after_pause = later + [(start + 60 * 37, 20)]
    assert not drift.break_due(after_pause, now=start + 60 * 38)["due"]
    assert not drift.break_due([], now=start)["due"]


def test_session_marks_the_outliers_in_recording_order():
    takes = [OK, OK | {"loudness_lufs": -30}, OK | {"f0_median_hz": None}]
    result = drift.session(takes, BANDS)
    assert [p["position"] for p in result["series"]["loudness_lufs"]] == ["ok", "low", "ok"]
    assert result["series"]["f0_median_hz"][2] == {"value": None, "position": None}
    assert result["outliers"]["loudness_lufs"] == 1 and result["outliers"]["f0_median_hz"] == 0
