"""Calibrate the adherence thresholds on espeak-ng speech in the 32 cloning languages (not on real clips).

For every sentence in ``tasks/tests/adherence_sentences.py`` the speech is made with
espeak-ng (48 kHz, 0.4 s pauses, light pink noise), and checked against the correct
text and the wrong-text variants of ``variants.py``. Every differing region's losses
(against the audio, and against silence: the language-model prior) are written to
``calibration.json``; the table shows, for a grid of rules, how often a correct
reading stays ``ok`` and how often each wrong variant is flagged.

    .venv/bin/python bench/qc/calibrate.py [--prompt/--no-prompt] [--langs en,de]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from variants import KINDS, variant  # noqa: E402

from tasks.audio.adherence import check, load  # noqa: E402
from tasks.audio.adherence.check import Rules  # noqa: E402
from tasks.tests import audio_fixtures as F  # noqa: E402
from tasks.tests.adherence_sentences import SENTENCES, voice  # noqa: E402


def espeak_16k(text: str, lang: str, seed: int = 0) -> np.ndarray:
    import soxr

    x = F.pad(F.speech(text, voice=voice(lang)), 0.4, 0.4)
    x = x + 10 ** (-55 / 20) * F.pink(len(x), seed=seed)
    return soxr.resample(x, F.RATE, 16000).astype(np.float32)


def verdict_for(regions: list[dict], ok_loss: float, fail_loss: float, prior: float, max_doubtful: int = 1) -> str:
    doubtful, failed = 0, False
    for r in regions:
        loss = max(0.0, r["loss_audio"] - prior * r["loss_prior"])
        if loss >= fail_loss:
            failed = True
        elif loss > ok_loss:
            doubtful += 1
    return "fail" if failed or doubtful > max_doubtful else ("warn" if doubtful else "ok")


def table(rows: list[dict], grid) -> str:
    lines = ["| prior | ok ≤ | fail ≥ | correct: ok | correct: not fail | other flagged | substituted flagged | dropped flagged | added flagged |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for prior, ok_loss, fail_loss in grid:
        cells = []
        for kind in KINDS:
            vs = [verdict_for(r["regions"], ok_loss, fail_loss, prior) for r in rows if r["kind"] == kind]
            if kind == "correct":
                cells += [f"{sum(v == 'ok' for v in vs) / len(vs):.0%}", f"{sum(v != 'fail' for v in vs) / len(vs):.0%}"]
            else:
                cells.append(f"{sum(v != 'ok' for v in vs) / max(1, len(vs)):.0%} ({len(vs)})")
        lines.append(f"| {prior:g} | {ok_loss:g} | {fail_loss:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-prompt", action="store_true")
    ap.add_argument("--prompt-words", action="store_true", help="prompt with the script's words in sorted order")
    ap.add_argument("--langs", default="")
    ap.add_argument("--out", default=str(Path(__file__).with_name("calibration.json")))
    args = ap.parse_args()
    model = load(os.environ.get("ADHERENCE_MODEL", "packaged"))
    rules = Rules(prompt="words" if args.prompt_words else not args.no_prompt, prior=1.0)
    langs = [x for x in args.langs.split(",") if x] or list(SENTENCES)
    rows = []
    t0 = time.process_time()
    for lang in langs:
        pair = SENTENCES[lang]
        for i, sentence in enumerate(pair):
            audio = espeak_16k(sentence, lang, seed=i)
            others = [s for s in pair if s != sentence]
            for kind in KINDS:
                txt = variant(sentence, kind, lang, others, seed=i)
                if txt is None:
                    continue
                res = check(audio, txt, lang, model, rules=rules)
                rows.append({"lang": lang, "sentence": i, "kind": kind, "text": txt, "heard": res.get("heard"),
                             "regions": res.get("regions", []),
                             "words": [{"w": w["word"], "s": w["status"], "p": w.get("p"), "loss": w.get("loss")} for w in res.get("words", [])]})
        print(lang, f"{time.process_time() - t0:.0f} s CPU", flush=True)
    Path(args.out).write_text(json.dumps({"prompt": rules.prompt, "rows": rows}, ensure_ascii=False, indent=1))
    grid = [(p, a, b) for p in (0.0, 0.5, 1.0) for a, b in ((2, 6), (3, 8), (4, 8), (4, 10), (6, 12))]
    print(table(rows, grid))


if __name__ == "__main__":
    main()
