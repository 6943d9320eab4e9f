"""Speaker verification on real speech (LibriSpeech clips in fixtures/speaker, see the NOTICE there)."""
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tasks.audio import speaker
from tasks.audio.decode import AudioRejected

from . import audio_fixtures as F

FIX = Path(__file__).parent / "fixtures" / "speaker"
F367_A, F367_B = FIX / "367-130732-0001.flac", FIX / "367-130732-0004.flac"  # female
F533 = FIX / "533-1066-0003.flac"  # another female
M1688_A, M1688_B = FIX / "1688-142285-0004.flac", FIX / "1688-142285-0005.flac"  # male


def test_onnx_model_matches_resemblyzer_reference_embedding():
    """The committed model and the numpy frontend give Resemblyzer's own (torch) embedding."""
    ref = json.loads((FIX / "reference_embedding.json").read_text())
    assert ref["model_sha256"].startswith(speaker.model_id().split("@")[1])
    ours = speaker.embed(FIX / ref["clip"])
    theirs = np.array(ref["embedding"], dtype=np.float32)
    assert ours.shape == (256,) and ours.dtype == np.float32
    assert abs(float(np.linalg.norm(ours)) - 1) < 1e-5
    assert float(np.dot(ours, theirs)) > 0.9999
    assert float(np.max(np.abs(ours - theirs))) < 1e-3


@pytest.mark.parametrize("ref,take", [(M1688_A, M1688_B), (F367_A, F367_B)])
def test_same_speaker_is_accepted(ref, take):
    result = speaker.compare(ref, take)
    assert result["verdict"] == "same", result
    assert result["similarity"] >= speaker.THRESHOLDS.same
    json.dumps(result)  # stored as-is by the workers


@pytest.mark.parametrize("ref,take", [(F367_B, F533), (F367_A, F533), (F367_B, M1688_A), (M1688_B, F533)])
def test_different_speaker_is_refused(ref, take):
    result = speaker.compare(ref, take)
    assert result["verdict"] == "different", result
    assert result["reason"] == "The voice does not match the reference recording."


def test_verdict_bands():
    th = speaker.Thresholds(same=0.8, different=0.7)
    assert [speaker.verdict(s, th) for s in (0.95, 0.8, 0.79, 0.7, 0.69)] == ["same", "same", "unsure", "unsure", "different"]


def test_stored_reference_gives_the_same_answer_as_the_file(tmp_path):
    stored = json.loads(json.dumps(speaker.reference(M1688_A)))
    assert stored["model"] == speaker.model_id() and stored["speech_s"] > 3
    from_file = speaker.compare(M1688_A, M1688_B)
    from_store = speaker.compare(stored, M1688_B)
    assert from_store["similarity"] == pytest.approx(from_file["similarity"], abs=1e-4)
    assert from_store["verdict"] == from_file["verdict"]


def test_a_reference_from_another_model_is_refused():
    stored = speaker.reference(M1688_A) | {"model": "speaker_encoder@000000000000"}
    with pytest.raises(speaker.SpeakerError) as exc:
        speaker.compare(stored, M1688_B)
    assert exc.value.code == "stale_reference"


def test_rate_and_format_do_not_change_the_voice(tmp_path):
    """A 48 kHz 24-bit booth WAV and a WebM/Opus upload of the same speech embed like the 16 kHz original."""
    wav48 = tmp_path / "take48.wav"
    subprocess.run(["sox", str(F367_B), "-r", "48000", "-b", "24", str(wav48)], check=True)
    webm = F.encode(wav48, tmp_path / "take.webm", "-c:a", "libopus", "-b:a", "64k")
    base = speaker.embed(F367_B)
    assert float(np.dot(base, speaker.embed(wav48))) > 0.99
    assert float(np.dot(base, speaker.embed(webm))) > 0.97


def test_too_little_speech_is_unsure(tmp_path):
    x, rate = sf.read(str(M1688_B), dtype="float32")
    short = tmp_path / "short.wav"
    sf.write(short, x[: int(1.2 * rate)], rate)
    result = speaker.compare(M1688_A, short)
    assert result["verdict"] == "unsure"
    assert result["speech_s"]["take"] < speaker.MIN_SPEECH_S
    assert "Too little speech in the take" in result["reason"]


def test_silence_is_a_clear_error_not_a_verdict(tmp_path):
    silent = F.write(tmp_path / "silent.wav", np.zeros(48000 * 3, np.float32))
    with pytest.raises(speaker.SpeakerError) as exc:
        speaker.compare(M1688_A, silent)
    assert exc.value.code == "no_speech"
    assert exc.value.as_dict()["message"] == "No speech was found in the recording."


def test_not_audio_is_rejected(tmp_path):
    bogus = tmp_path / "notes.wav"
    bogus.write_text("this is not audio")
    with pytest.raises(AudioRejected):
        speaker.embed(bogus)


def test_bad_stored_embedding_is_refused():
    with pytest.raises(speaker.SpeakerError) as exc:
        speaker.compare([0.1] * 12, M1688_B)
    assert exc.value.code == "bad_embedding"


def test_mel_filterbank_is_slaney_normalised():
    fb = speaker.mel_filterbank()
    assert fb.shape == (40, 201)
    assert (fb >= 0).all() and (fb.sum(axis=1) > 0).all()
    # Slaney normalisation: each filter's area (in Hz) is 1
    assert np.allclose(fb.sum(axis=1) * (8000 / 200), 1.0, rtol=0.1)
