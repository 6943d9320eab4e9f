"""The Denoiser raises SNR and keeps rate, length and alignment; every engine."""
import numpy as np
import pytest
import soundfile as sf

from tasks.audio.denoise import denoise
from tasks.tests import audio_fixtures as F


def snr(ref, est):
    return 10 * np.log10(np.sum(ref.astype(np.float64) ** 2) / np.sum((ref - est).astype(np.float64) ** 2))


def lag(ref, est):
    n = len(ref)
    cc = np.fft.irfft(np.fft.rfft(est, 2 * n) * np.conj(np.fft.rfft(ref, 2 * n)))
    k = int(np.argmax(cc))
    return k if k < n else k - 2 * n


@pytest.fixture(scope="module")
def noisy(tmp_path_factory):
    d = tmp_path_factory.mktemp("dn")
    x, clean, noise = F.noisy_take(5, text=F.SHORT_SENTENCE)
    return F.write(d / "noisy.wav", x), F.write(d / "room.wav", noise[: 24000]), clean, d


@pytest.mark.parametrize("engine", ["spectral", "neural", "dfn3", "rnnoise", "dfn3+gate"])
def test_denoise_raises_snr_and_keeps_length_rate_alignment(noisy, engine):
    src, room, clean, d = noisy
    before = src.read_bytes()
    dst = d / f"out_{engine}.wav"
    info = denoise(src, dst, engine=engine, strength=1.0, noise_profile=room if engine == "spectral" else None)
    y, rate = sf.read(str(dst), dtype="float32")
    assert rate == 48000 and len(y) == len(clean) == info["frames"]
    assert snr(clean, y) > snr(clean, sf.read(str(src), dtype="float32")[0]) + 4
    assert lag(clean, y) == 0
    assert src.read_bytes() == before


def test_neural_resamples_44k_and_keeps_exact_length(tmp_path):
    x, clean, _ = F.noisy_take(5, text=F.SHORT_SENTENCE, rate=44100)
    src = F.write(tmp_path / "n44.wav", x[:-7], rate=44100)  # odd length on purpose
    denoise(src, tmp_path / "o.wav", engine="neural")
    y, rate = sf.read(str(tmp_path / "o.wav"), dtype="float32")
    assert rate == 44100 and len(y) == len(x) - 7
    assert snr(clean[:-7], y) > snr(clean, x) + 4 and lag(clean[:-7], y) == 0


def test_strength_zero_is_a_copy_and_half_is_gentler(noisy):
    src, _, clean, d = noisy
    x = sf.read(str(src), dtype="float32")[0]
    denoise(src, d / "s0.wav", engine="spectral", strength=0.0)
    assert np.allclose(sf.read(str(d / "s0.wav"), dtype="float32")[0], x, atol=1e-6)
    denoise(src, d / "half.wav", engine="rnnoise", strength=0.5)
    denoise(src, d / "full.wav", engine="rnnoise", strength=1.0)
    residual = lambda p: np.mean((sf.read(str(p), dtype="float32")[0][:20000]) ** 2)  # room tone part
    assert residual(d / "full.wav") < residual(d / "half.wav") < np.mean(x[:20000] ** 2)


def test_stereo_and_refusal_to_overwrite(tmp_path):
    x, _, _ = F.noisy_take(10, text=F.SHORT_SENTENCE)
    src = F.write(tmp_path / "st.wav", np.stack([x, x], axis=1))
    info = denoise(src, tmp_path / "st_out.wav", engine="spectral")
    assert info["channels"] == 2 and sf.info(str(tmp_path / "st_out.wav")).frames == len(x)
    with pytest.raises(ValueError):
        denoise(src, src, engine="spectral")
