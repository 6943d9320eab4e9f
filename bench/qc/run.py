"""QC timing: analyse() per take for 2, 10 and 30 s takes, cold and warm.

Cold = a fresh Python process importing the package and analysing one take
(what the first job on a new worker pays). Warm = the same process, repeated
(median of 20), as wall time and as CPU time (the
latter is what an idle core would take; wall time suffers when the machine is shared), with one
BLAS/OpenMP thread as the web and the workers run (run.sh, docker-compose, config/celery.py). The
script check (Whisper, English) is timed separately.

    .venv/bin/python bench/qc/run.py

Prints a markdown table and writes results.json next to this file.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # as deployed; set before numpy is imported
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tasks.audio.qc import analyse  # noqa: E402
from tasks.tests import audio_fixtures as F  # noqa: E402

RATE = 48000


def make_take(seconds: float, path: Path) -> str:
    """Looped espeak speech at 48 kHz with 0.3 s padding and light noise, trimmed to ``seconds``."""
    s = F.speech(F.SENTENCE)
    reps = int(np.ceil(seconds / (len(s) / RATE)))
    body = np.tile(np.concatenate([s, np.zeros(int(0.3 * RATE), np.float32)]), reps)[: int((seconds - 0.6) * RATE)]
    x = F.pad(body, 0.3, 0.3)
    x = x + 10 ** (-60 / 20) * F.pink(len(x))
    F.write(path, x)
    words = " ".join([F.SENTENCE] * reps) if seconds <= 10 else None
    return words


def cold(path: Path, text: str | None) -> float:
    code = (f"import sys, time; sys.path.insert(0, {str(ROOT)!r}); t=time.perf_counter(); "
            f"from tasks.audio.qc import analyse; analyse({str(path)!r}); print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for seconds in (2, 10, 30):
            p = Path(d) / f"take_{seconds}.wav"
            make_take(seconds, p)
            cold_s = statistics.median(cold(p, None) for _ in range(3))
            analyse(p)
            warm, warm_cpu = [], []
            for _ in range(20):
                t, c = time.perf_counter(), time.process_time()
                analyse(p)
                warm.append(time.perf_counter() - t)
                warm_cpu.append(time.process_time() - c)
            row = {"warm_cpu_ms": statistics.median(warm_cpu) * 1000, "take_s": seconds, "cold_ms": cold_s * 1000, "warm_ms": statistics.median(warm) * 1000,
                   "warm_p90_ms": sorted(warm)[int(0.9 * len(warm)) - 1] * 1000}
            # alignment cost on a take whose text matches: the 7 s sentence plus padding
            ap = Path(d) / f"align_{seconds}.wav"
            F.write(ap, F.pad(F.speech(F.SENTENCE), 0.3, 0.3))
            analyse(ap, text=F.SENTENCE, language="en")
            al = [analyse(ap, text=F.SENTENCE, language="en")["timings_ms"]["alignment"] for _ in range(5)]
            row["align_ms_7s_take"] = statistics.median(al)
            rows.append(row)
            print(row, flush=True)
    res = {"machine": {"nproc": os.cpu_count()}, "rows": rows}
    Path(__file__).with_name("results.json").write_text(json.dumps(res, indent=2))
    lines = ["| take | cold (new process, incl. imports) | warm median (wall) | warm p90 (wall) | warm median (CPU) |",
             "| ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['take_s']} s | {r['cold_ms']:.0f} ms | {r['warm_ms']:.1f} ms | {r['warm_p90_ms']:.1f} ms | {r['warm_cpu_ms']:.1f} ms |")
    lines.append("")
    lines.append(f"Script check (Whisper base, 7.4 s English espeak-ng take, warm): {statistics.median(r['align_ms_7s_take'] for r in rows):.0f} ms "
                 "on top of the metrics (it runs on the adherence worker, not in the upload request).")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
