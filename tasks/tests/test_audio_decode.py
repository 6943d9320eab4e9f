"""Probe, decode, convert and validate, including hostile inputs."""
import hashlib
import zipfile

import numpy as np
import pytest
import soundfile as sf

from tasks.audio.decode import AudioRejected, iter_blocks, probe, to_wav, validate
from tasks.audio.hashing import atomic_path, sha256_file
from tasks.tests import audio_fixtures as F


@pytest.fixture
def wav(tmp_path):
    return F.write(tmp_path / "take.wav", F.pad(F.sine(seconds=2.0), 0.5, 0.5))


def test_probe_wav_reports_format(wav):
    info = probe(wav)
    assert (info.format_name, info.codec, info.sample_rate, info.channels, info.bit_depth) == ("wav", "pcm_s24le", 48000, 1, 24)
    assert info.frames == 3 * 48000 and info.duration_s == pytest.approx(3.0)


def test_probe_goes_by_content_not_name(tmp_path, wav):
    flac = tmp_path / "really_flac.wav"
    sf.write(str(flac), sf.read(str(wav))[0], 48000, format="FLAC")
    assert probe(flac).format_name == "flac"


def test_iter_blocks_streams_in_blocks(wav):
    blocks = list(iter_blocks(wav, block_s=0.5))
    assert len(blocks) == 6 and all(b.dtype == np.float32 and b.ndim == 1 for b in blocks)
    assert sum(map(len, blocks)) == 3 * 48000


def test_webm_opus_converts_to_wav_with_same_duration(tmp_path, wav):
    webm = F.encode(wav, tmp_path / "take.webm", "-c:a", "libopus", "-b:a", "64k")
    info = probe(webm)
    assert info.format_name == "webm" and info.codec == "opus" and info.bit_depth is None
    blocks = list(iter_blocks(webm, block_s=1.0))
    assert abs(sum(map(len, blocks)) - 3 * 48000) < 48000 * 0.03
    out = to_wav(webm, tmp_path / "out.wav")
    assert out.codec == "pcm_s24le" and out.sample_rate == 48000 and abs(out.duration_s - 3.0) < 0.03
    assert validate(webm).duration_s == pytest.approx(3.0, abs=0.03)


def test_mp3_is_accepted(tmp_path, wav):
    mp3 = F.encode(wav, tmp_path / "take.mp3", "-c:a", "libmp3lame", "-b:a", "192k")
    info = validate(mp3)
    assert info.format_name == "mp3" and info.bit_depth is None and 2.9 < info.duration_s < 3.2


def test_stereo_is_kept_by_to_wav(tmp_path):
    x = np.stack([F.sine(seconds=1.0), F.sine(500, seconds=1.0)], axis=1)
    src = F.write(tmp_path / "st.wav", x, subtype="PCM_16")
    info = to_wav(src, tmp_path / "st24.wav", sample_rate=44100)
    assert (info.channels, info.sample_rate, info.bit_depth) == (2, 44100, 24)


def test_validate_accepts_good_take(wav):
    assert validate(wav).duration_s == pytest.approx(3.0)


def _reject(path, **kw):
    with pytest.raises(AudioRejected) as exc:
        validate(path, **kw)
    assert exc.value.message and len(exc.value.message) > 10
    return exc.value.code


@pytest.mark.parametrize("content,code", [
    (b"<!DOCTYPE html><html><body>Not found</body></html>", "not_audio"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "not_audio"),
    (np.random.default_rng(7).bytes(4096), "not_audio"),  # fixed seed: never looks like audio
    (b"", "empty"),
])
def test_validate_rejects_non_audio_named_wav(tmp_path, content, code):
    p = tmp_path / "take.wav"
    p.write_bytes(content)
    assert _reject(p) == code


def test_validate_rejects_zip(tmp_path):
    p = tmp_path / "take.wav"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("a.txt", "hello")
    with pytest.raises(AudioRejected) as exc:
        validate(p)
    assert exc.value.code == "not_audio" and "zip" in exc.value.message


def test_validate_rejects_truncated_wav(tmp_path, wav):
    assert _reject(F.truncated_copy(wav, tmp_path / "cut.wav", 0.5)) == "truncated"


def test_validate_rejects_huge_data_chunk(tmp_path):
    assert _reject(F.wav_with_data_size(tmp_path / "huge.wav", 0xFFFFFFFF)) == "bad_header"


def test_validate_rejects_corrupt_ogg(tmp_path):
    p = tmp_path / "take.ogg"
    p.write_bytes(b"OggS" + np.random.default_rng(3).bytes(5000))
    assert _reject(p) in ("not_audio", "corrupt")


def test_validate_rejects_too_short_and_too_long(tmp_path):
    assert _reject(F.write(tmp_path / "s.wav", F.sine(seconds=0.2))) == "too_short"
    assert _reject(F.write(tmp_path / "l.wav", F.sine(seconds=3.0)), max_s=2.0) == "too_long"


def test_validate_rejects_low_sample_rate(tmp_path):
    assert _reject(F.write(tmp_path / "tel.wav", F.sine(seconds=1.0, rate=8000), rate=8000)) == "low_sample_rate"


def test_validate_rejects_nan_samples(tmp_path):
    x = F.sine(seconds=1.0)
    x[1000] = np.nan
    x[2000] = np.inf
    assert _reject(F.write(tmp_path / "nan.wav", x, subtype="FLOAT")) == "invalid_samples"


def test_validate_rejects_many_channels(tmp_path):
    x = np.stack([F.sine(seconds=1.0)] * 6, axis=1)
    assert _reject(F.write(tmp_path / "51.wav", x, subtype="PCM_16")) == "too_many_channels"


def test_validate_rejects_oversize(wav):
    assert _reject(wav, max_bytes=1000) == "too_large"


def test_sha256_streams(wav):
    assert sha256_file(wav, chunk_size=1000) == hashlib.sha256(wav.read_bytes()).hexdigest()


def test_atomic_path_leaves_nothing_on_error(tmp_path):
    dst = tmp_path / "x.bin"
    with pytest.raises(RuntimeError):
        with atomic_path(dst) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with atomic_path(dst) as tmp:
        tmp.write_bytes(b"whole")
    assert dst.read_bytes() == b"whole" and list(tmp_path.iterdir()) == [dst]
