"""QC metrics and verdicts against synthetic signals with known answers."""
import json

import numpy as np
import pyloudnorm
import pytest

from tasks.audio.decode import AudioRejected
from tasks.audio.metrics import measure
from tasks.audio.qc import analyse, room_tone_report
from tasks.audio.verdicts import THRESHOLDS, verdicts, worst
from tasks.tests import audio_fixtures as F


def _codes(result, level=None):
    return {v["code"] for v in result["verdicts"] if level is None or v["level"] == level}


def test_sine_at_known_level_gives_known_peak_and_rms(tmp_path):
    m = measure(F.write(tmp_path / "sine.wav", F.sine(1000, peak_dbfs=-6.0, seconds=2.0)))
    assert m["peak_dbfs"] == pytest.approx(-6.0, abs=0.05)
    assert m["rms_dbfs"] == pytest.approx(-9.01, abs=0.05)  # sine RMS is peak - 3.01 dB
    assert m["clipped_samples"] == 0
    assert (m["sample_rate"], m["channels"], m["bit_depth"], m["duration_s"]) == (48000, 1, 24, 2.0)


def test_loudness_matches_pyloudnorm(tmp_path):
    noisy, _, _ = F.noisy_take(25)
    m = measure(F.write(tmp_path / "t.wav", noisy))
    assert m["loudness_lufs"] == pytest.approx(pyloudnorm.Meter(48000).integrated_loudness(noisy.astype(np.float64)), abs=0.1)


def test_known_silence_padding_is_measured(tmp_path):
    x = F.pad(F.speech(), 0.4, 0.8)
    result = analyse(F.write(tmp_path / "pad.wav", x))
    m = result["metrics"]
    assert m["leading_silence_ms"] == pytest.approx(400, abs=60)
    assert m["trailing_silence_ms"] == pytest.approx(800, abs=100)
    assert 0.5 < m["speech_ratio"] < 0.95
    assert result["summary"] == "ok", result["verdicts"]
    json.dumps(result)  # the worker stores it as JSON


def test_clipped_take_fails(tmp_path):
    x = np.clip(F.pad(F.speech(), 0.3, 0.3) * 4.0, -1.0, 1.0)
    result = analyse(F.write(tmp_path / "clip.wav", x))
    assert result["metrics"]["clipped_samples"] > 0
    assert "clipping" in _codes(result, "fail") and result["summary"] == "fail"


def test_pure_noise_is_an_empty_take(tmp_path):
    result = analyse(F.write(tmp_path / "noise.wav", 0.03 * F.noise_mix(48000 * 3)))
    assert result["metrics"]["speech_s"] < THRESHOLDS.speech_min_s
    assert "empty" in _codes(result, "fail")


def test_digital_silence_is_an_empty_take(tmp_path):
    result = analyse(F.write(tmp_path / "zero.wav", np.zeros(48000 * 2, np.float32)))
    assert "empty" in _codes(result, "fail") and result["metrics"]["peak_dbfs"] == -120.0


def test_noisy_take_is_flagged_and_snr_estimated(tmp_path):
    noisy, _, _ = F.noisy_take(10, kind="white")
    result = analyse(F.write(tmp_path / "n.wav", noisy))
    assert 5 < result["metrics"]["snr_db"] < 20
    assert "noise" in _codes(result, "fail")


def test_long_lead_silence_and_low_rate_are_flagged(tmp_path):
    x = F.pad(F.speech(rate=22050), 2.0, 0.3, rate=22050)
    result = analyse(F.write(tmp_path / "slow.wav", x, rate=22050))
    assert "lead_silence" in _codes(result, "warn")
    assert "sample_rate" in _codes(result, "fail")


def test_empty_file_is_rejected(tmp_path):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    with pytest.raises(AudioRejected) as exc:
        analyse(p)
    assert exc.value.code == "empty"


def test_verdicts_use_plain_language_and_worst_level():
    m = {"duration_s": 40.0, "speech_s": 30.0, "sample_rate": 48000, "peak_dbfs": -4.0, "clipped_samples": 0,
         "speech_rms_dbfs": -20.0, "snr_db": 40.0, "noise_floor_dbfs": -60.0, "leading_silence_ms": 200.0,
         "trailing_silence_ms": 300.0}
    v = verdicts(m)
    assert worst(v) == "fail" and {"code", "level", "title", "reason", "advice"} <= set(v[0])
    too_long = next(x for x in v if x["code"] == "too_long")
    assert "30" in too_long["reason"] and too_long["advice"]


def test_room_tone_report(tmp_path):
    quiet = room_tone_report(F.write(tmp_path / "q.wav", 10 ** (-70 / 20) * F.pink(48000 * 5)))
    assert quiet["noise_floor_dbfs"] == pytest.approx(-70, abs=1) and quiet["quiet_enough"]
    loud = room_tone_report(F.write(tmp_path / "l.wav", 10 ** (-40 / 20) * F.noise_mix(48000 * 5)))
    assert loud["summary"] == "fail" and not loud["quiet_enough"] and loud["verdict"]["advice"]


# --- planted defects (each failed before the level-check corrections) ---------------

def test_dc_offset_is_removed_before_measuring_and_reported(tmp_path):
    """A constant offset used to make every frame loud, so a good take read as "No speech found"."""
    x = F.pad(F.speech(), 0.4, 0.4) * 0.5 + 0.3
    result = analyse(F.write(tmp_path / "dc.wav", x))
    assert "empty" not in _codes(result) and result["metrics"]["speech_s"] > 4.0
    assert result["metrics"]["dc_offset"] == pytest.approx(0.3, abs=0.01)
    assert "dc_offset" in _codes(result, "warn")
    assert result["metrics"]["trailing_silence_ms"] == pytest.approx(400, abs=100)
    clean = analyse(F.write(tmp_path / "clean.wav", F.pad(F.speech(), 0.4, 0.4)))
    assert "dc_offset" not in _codes(clean)


def _intermittent_noise_take(snr_db: float) -> np.ndarray:
    """Two sentences with pauses, and noise that comes and goes in 250 ms blocks (on half the time)."""
    from scipy.ndimage import uniform_filter1d

    s = F.speech(F.SHORT_SENTENCE)
    rate = F.RATE
    c = np.concatenate([np.zeros(int(0.6 * rate)), s, np.zeros(int(0.8 * rate)), s, np.zeros(int(0.6 * rate))])
    block = int(0.25 * rate)
    on = np.random.default_rng(1).random(len(c) // block + 1) < 0.5
    env = uniform_filter1d(np.repeat(np.where(on, 1.0, 10 ** (-30 / 20)), block)[: len(c)], int(0.02 * rate))
    n = F.noise_mix(len(c), seed=2) * env
    p_speech = float(np.mean(np.concatenate([s, s]).astype(np.float64) ** 2))
    n = n / np.sqrt(np.mean(n.astype(np.float64) ** 2)) * np.sqrt(p_speech / 10 ** (snr_db / 10))
    return (c + n).astype(np.float32)


def test_changing_noise_is_measured_from_the_pauses_not_the_quietest_moments(tmp_path):
    """8 dB SNR of noise that comes and goes used to measure 22 dB (only a warning)."""
    result = analyse(F.write(tmp_path / "n.wav", _intermittent_noise_take(8.0)))
    assert result["metrics"]["snr_db"] < 16
    assert "noise" in _codes(result, "fail")


def test_clipped_take_turned_down_is_still_clipping(tmp_path):
    """Flat tops at -1 dBFS: the take was clipped, then its gain lowered."""
    x = np.clip(F.pad(F.speech(), 0.3, 0.3) * 4.0, -1.0, 1.0) * 10 ** (-1 / 20)
    result = analyse(F.write(tmp_path / "clip.wav", x))
    assert result["metrics"]["peak_dbfs"] == pytest.approx(-1.0, abs=0.05)
    assert result["metrics"]["flat_top_samples"] > 100
    assert "clipping" in _codes(result, "fail") and "flat" in next(v for v in result["verdicts"] if v["code"] == "clipping")["reason"]


def test_quiet_16_bit_speech_is_not_taken_for_clipping(tmp_path):
    x = F.pad(F.speech(), 0.3, 0.3) * 10 ** (-20 / 20)
    result = analyse(F.write(tmp_path / "q.wav", x, subtype="PCM_16"))
    assert result["metrics"]["clipped_samples"] == 0


@pytest.mark.parametrize("tail_ms", [40, 60])
def test_a_short_last_sound_cut_off_by_the_end_is_kept(tmp_path, tail_ms):
    """A final speech run under 90 ms used to be dropped, so a cut-off ending passed as a pause."""
    tail = F.speech("ah")[: int(tail_ms / 1000 * F.RATE)]
    x = np.concatenate([np.zeros(int(0.4 * F.RATE)), F.speech(), np.zeros(int(0.35 * F.RATE)), tail]).astype(np.float32)
    result = analyse(F.write(tmp_path / "cut.wav", x))
    assert result["metrics"]["trailing_silence_ms"] < 30
    assert "trail_silence" in _codes(result, "fail")
