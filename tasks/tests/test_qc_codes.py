"""QC verdicts to the codes the cloning gate and the API report (pure, no Django)."""
from tasks.audio import qc_codes
from tasks.audio.verdicts import verdicts


def fail(code, title="", reason="r", advice=""):
    return {"code": code, "level": "fail", "title": title or code, "reason": reason, "advice": advice}


def test_measured_clipping_and_noise_map_to_clipped_and_too_noisy():
    m = {"duration_s": 4.0, "speech_s": 3.0, "sample_rate": 48000, "clipped_samples": 12, "peak_dbfs": 0.0,
         "speech_rms_dbfs": -20.0, "snr_db": 12.0, "noise_floor_dbfs": -32.0, "leading_silence_ms": 200,
         "trailing_silence_ms": 200,
         "alignment": {"status": "not_aligned", "verdict": "fail", "words": [{"word": "harbour", "status": "missing"}]}}
    found = qc_codes.failures({"verdicts": verdicts(m)})
    assert [f["code"] for f in found] == ["script_mismatch", "clipped", "too_noisy"]
    assert found[0]["reason"] == "The word 'harbour' was not heard."
    assert "12 samples" in found[1]["reason"] and found[1]["advice"].startswith("Turn the input gain down")


def test_warnings_never_count_and_a_clean_take_has_no_failures():
    qc = {"verdicts": [{"code": "noise", "level": "warn", "title": "Some background noise", "reason": "x"},
                       {"code": "duration", "level": "ok", "title": "fine", "reason": ""}]}
    assert qc_codes.failures(qc) == []
    assert qc_codes.failures(None) == [] and qc_codes.failures({}) == []


def test_loudness_says_which_way_and_both_edges_cut_off_are_one_code():
    qc = {"verdicts": [fail("loudness", "Much too quiet"), fail("lead_silence", reason="start cut"),
                       fail("trail_silence", reason="end cut"), fail("peak", "Far too quiet")]}
    found = qc_codes.failures(qc)
    assert [f["code"] for f in found] == ["too_quiet", "cut_off"]
    assert found[1]["reason"] == "start cut end cut"
    assert qc_codes.failures({"verdicts": [fail("loudness", "Much too loud")]})[0]["code"] == "too_loud"


def test_unknown_checks_keep_their_own_name_and_analysis_errors_come_first():
    found = qc_codes.failures({"verdicts": [fail("speaker"), fail("drift")]}, analysis_error="corrupt header")
    assert [f["code"] for f in found] == ["analysis_failed", "speaker_mismatch", "qc_drift"]
    assert found[0]["reason"] == "corrupt header"


def test_summary_and_preset_notes_read_for_a_person():
    found = qc_codes.failures({"verdicts": [fail("clipping", "Clipping", "12 samples hit full scale.",
                                                 "Turn the input gain down.")]})
    assert qc_codes.summary_reason(found) == "Failed QC: Clipping (12 samples hit full scale.)"
    assert qc_codes.retake_notes(found) == ["Clipping. Turn the input gain down."]
    assert qc_codes.summary_reason([]) == ""
