"""A whole recording set through the neural denoiser on 2 worker processes: wall time for 3 hours of takes.

The issue's target, said directly: 3 hours of takes denoised in under 3 minutes on 2
workers. Takes of 15 s are cut from the benchmark's noisy speech (pink noise + hum at
5 dB, 48 kHz, 24-bit) at different offsets; two processes, each set up like a Celery
worker (one BLAS thread, models loaded once per process), denoise them with
``tasks.audio.denoise.denoise``, one file at a time, as ``denoise_set`` fans out.

    .venv/bin/python bench/denoise/set_run.py [--minutes 180] [--engine neural] [--take-s 15]

Prints a markdown table and writes set_results.json next to this file.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # as config/celery.py sets for a worker, before numpy loads

import soundfile as sf  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import RATE, cpu_model, make_clean  # noqa: E402

from tasks.tests import audio_fixtures as F  # noqa: E402


def make_takes(folder: Path, minutes: float, take_s: float) -> list[Path]:
    noisy, _, _ = F.noisy_take(5, kind="pink", clean=make_clean(), room_tone_s=0.5, trail_s=0.3)
    n, step = int(take_s * RATE), int(3.7 * RATE)
    paths = []
    for i in range(int(minutes * 60 / take_s)):
        start = (i * step) % (len(noisy) - n)
        p = folder / f"take_{i:04d}.wav"
        sf.write(str(p), noisy[start: start + n], RATE, subtype="PCM_24")
        paths.append(p)
    return paths


def _denoise_one(args: tuple[str, str, str]) -> tuple[float, int]:
    from tasks.audio.denoise import denoise

    src, dst, engine = args
    c = time.process_time()
    denoise(src, dst, engine=engine)
    hwm = int([ln for ln in open("/proc/self/status") if ln.startswith("VmHWM")][0].split()[1])
    return time.process_time() - c, hwm


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=180.0)
    ap.add_argument("--take-s", type=float, default=15.0)
    ap.add_argument("--engine", default="neural")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_set_"))
    try:
        takes = make_takes(work, args.minutes, args.take_s)
        jobs = [(str(p), str(p.with_suffix(".out.wav")), args.engine) for p in takes]
        t0 = time.perf_counter()
        with mp.get_context("spawn").Pool(args.workers) as pool:
            results = pool.map(_denoise_one, jobs, chunksize=1)
        wall = time.perf_counter() - t0
        audio_s = len(takes) * args.take_s
        cpu = sum(c for c, _ in results)
        res = {
            "machine": {"nproc": os.cpu_count(), "cpu": cpu_model()},
            "engine": args.engine, "workers": args.workers, "takes": len(takes), "take_s": args.take_s,
            "audio_minutes": audio_s / 60, "wall_s": wall, "cpu_s": cpu,
            "rtf_per_core": cpu / audio_s, "peak_mb_per_worker": max(h for _, h in results) / 1024,
            "load_before": os.getloadavg()[0],
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    Path(__file__).with_name("set_results.json").write_text(json.dumps(res, indent=2))
    print(f"Machine: {res['machine']['nproc']} cores, {res['machine']['cpu']}\n")
    print("| engine | takes | audio | workers | wall | CPU s per audio s | peak MB per worker |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {res['engine']} | {res['takes']} x {res['take_s']:.0f} s | {res['audio_minutes']:.0f} min | "
          f"{res['workers']} | {res['wall_s']:.0f} s | {res['rtf_per_core']:.4f} | {res['peak_mb_per_worker']:.0f} |")


if __name__ == "__main__":
    main()
