"""Script adherence: quality per language on real speech, coverage of the 32 cloning languages, speed.

    .venv/bin/python bench/qc/adherence.py [--speech ../shared/speech] [--quality] [--coverage] [--speed] [--heldout]

Quality: every clip of ``<speech>/adherence`` (manifest.csv: 16 real clips in en, de, es,
fr, pt) against its own transcript and the wrong-text variants of ``variants.py``
(another clip's text in the same language; one word substituted, two words dropped,
two words added: three seeded variants each). The audio is what was recorded; only
the text changes. Peers in the same run: our default rules; the same with Whisper's
full 30 s window; without the script as decoder prompt; without the prior
correction; and pocketsphinx forced alignment (English only, the previous check;
``pip install pocketsphinx==5.1.1`` from bench/requirements.txt).
"flagged" = verdict warn or fail; "pass" = verdict ok.

Coverage: one espeak-ng sentence per cloning language (tasks/tests/adherence_sentences.py),
checked against its text and against the other sentence.

Speed: CPU seconds on one thread (process time) for a 10 s take, split by stage,
for the fitted window against Whisper's 30 s window, with and without trimming
silence, and for takes encoded in batches.

Prints markdown tables and writes adherence_results.json beside this file.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from variants import KINDS, variant  # noqa: E402

from tasks.audio import adherence as A  # noqa: E402
from tasks.audio.adherence.check import RATE, TAKE_RULES  # noqa: E402
from tasks.tests import audio_fixtures as F  # noqa: E402
from tasks.tests.adherence_sentences import SENTENCES, voice  # noqa: E402
from voicemanager.core.languages import PROFESSIONAL_LANGUAGES  # noqa: E402  (plain list, no Django import)

SEEDS = (0, 1, 2)
TARGETS = {"correct": 0.95, "other": 0.98, "substituted": 0.80, "dropped": 0.95, "added": 0.95}


def peers():
    return {
        "ours": TAKE_RULES,
        "ours-30s-window": replace(TAKE_RULES, window="full"),
        "ours-no-prompt": replace(TAKE_RULES, prompt=False),
        "ours-script-prompt": replace(TAKE_RULES, prompt=True),
        "ours-with-prior": replace(TAKE_RULES, prior=0.5),
        "greedy-scored-plain": replace(TAKE_RULES, beam_size=1, score_prompt=False),
        "greedy-scored-with-words": replace(TAKE_RULES, beam_size=1, score_prompt=True),
        "beam5-scored-plain": replace(TAKE_RULES, beam_size=5, score_prompt=False),
    }


def pocketsphinx_verdict(path: str, text: str) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from pocketsphinx_peer import align_take

    return "ok" if align_take(path, text)["status"] == "aligned" else "fail"


def quality(speech: Path, model, peer_names: list[str]) -> dict:
    rows = list(csv.DictReader(open(speech / "adherence" / "manifest.csv", encoding="utf-8")))
    by_lang = defaultdict(list)
    for r in rows:
        by_lang[r["language"]].append(r)
    results = []  # (peer, lang, kind, verdict)
    cases = []
    for r in rows:
        others = [o["transcript"] for o in by_lang[r["language"]] if o is not r]
        for kind in KINDS:
            seeds = (0,) if kind == "correct" else SEEDS
            texts = []
            if kind == "other":
                texts = others
            else:
                texts = [variant(r["transcript"], kind, r["language"], others, seed) for seed in seeds]
            for t in dict.fromkeys(x for x in texts if x):
                cases.append((r, kind, t))
    all_peers = peers()
    for r in rows:
        audio = A.load_audio(speech / "adherence" / r["file"])
        mine = [c for c in cases if c[0] is r]
        for name in peer_names:
            if name == "pocketsphinx":
                if r["language"] != "en":
                    continue
                for _, kind, t in mine:
                    results.append((name, r["language"], kind, pocketsphinx_verdict(str(speech / "adherence" / r["file"]), t)))
                continue
            for _, kind, t in mine:
                res = A.check(audio, t, r["language"], model, rules=all_peers[name])
                results.append((name, r["language"], kind, res["verdict"]))
        print(r["file"], flush=True)
    return {"cases": len(cases), "results": results}


def quality_tables(q: dict, peer_names: list[str]) -> str:
    res = q["results"]
    main = peer_names[0]

    def rate(peer, kind, lang=None):
        vs = [v for p, lg, k, v in res if p == peer and k == kind and (lang is None or lg == lang)]
        if not vs:
            return None, 0
        good = sum(v == "ok" for v in vs) if kind == "correct" else sum(v != "ok" for v in vs)
        return good / len(vs), len(vs)

    def cell(x):
        r, n = x
        return "–" if r is None else f"{r:.0%} ({n})"

    out = ["| peer | correct pass (≥ 95%) | other text flagged (≥ 98%) | 1 substituted flagged (≥ 80%) | 2 dropped flagged (≥ 95%) | 2 added flagged (≥ 95%) | correct: not failed |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for p in peer_names:
        nf = [v for pp, _, k, v in res if pp == p and k == "correct"]
        out.append(f"| {p} | " + " | ".join(cell(rate(p, k)) for k in KINDS)
                   + f" | {sum(v != 'fail' for v in nf) / max(1, len(nf)):.0%} |")
    out.append("")
    out.append(f"Per language ({main}):")
    out.append("")
    out.append("| language | correct pass | other flagged | substituted flagged | dropped flagged | added flagged |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for lang in sorted({lg for _, lg, _, _ in res}):
        out.append(f"| {lang} | " + " | ".join(cell(rate(main, k, lang)) for k in KINDS) + " |")
    return "\n".join(out)


# Held out from every method choice: LibriSpeech test-other speakers of ``<speech>/speakers`` (used only
# for speaker verification). One of them has a transcript in public code (LibriSpeech's own, as quoted in
# huangruizhe/audio: librispeech_conformer_ctc); the others are checked against other clips' texts only.
HELDOUT_TRANSCRIPTS = {
    "libri_1688/1688-142285-0000.flac": "THERE'S IRON THEY SAY IN ALL OUR BLOOD AND A GRAIN OR TWO PERHAPS IS GOOD BUT "
                                        "HIS HE MAKES ME HARSHLY FEEL HAS GOT A LITTLE TOO MUCH OF STEEL ANON",
}


def heldout(speech: Path, model) -> tuple[str, dict]:
    """Clips the method was never chosen on: the one known transcript and its variants; every clip against other texts."""
    rows = list(csv.DictReader(open(speech / "speakers" / "manifest.csv", encoding="utf-8")))
    english = [r["transcript"] for r in csv.DictReader(open(speech / "adherence" / "manifest.csv", encoding="utf-8"))
               if r["language"] == "en"]
    results = []  # (kind, verdict)
    for r in rows:
        audio = A.load_audio(speech / "speakers" / r["file"])
        known = HELDOUT_TRANSCRIPTS.get(r["file"])
        if known:
            results.append(("correct", A.check(audio, known, "en", model)["verdict"]))
            for kind in KINDS[2:]:
                for seed in SEEDS:
                    t = variant(known, kind, "en", english, seed)
                    if t:
                        results.append((kind, A.check(audio, t, "en", model)["verdict"]))
        for t in english:
            results.append(("other", A.check(audio, t, "en", model)["verdict"]))
        print(r["file"], flush=True)
    lines = ["| held-out (LibriSpeech test-other, 4 speakers) | cases | passed / flagged |", "| --- | ---: | ---: |"]
    for kind in KINDS:
        vs = [v for k, v in results if k == kind]
        if vs:
            good = sum(v == "ok" for v in vs) if kind == "correct" else sum(v != "ok" for v in vs)
            lines.append(f"| {kind} {'passes' if kind == 'correct' else 'flagged'} | {len(vs)} | {good / len(vs):.0%} |")
    return "\n".join(lines), {"results": results}


def espeak_16k(text: str, lang: str) -> np.ndarray:
    import soxr

    x = F.pad(F.speech(text, voice=voice(lang)), 0.4, 0.4)
    x = x + 10 ** (-55 / 20) * F.pink(len(x), seed=11)
    return soxr.resample(x, F.RATE, RATE).astype(np.float32)


def coverage(model) -> tuple[str, list]:
    lines = ["| language | espeak-ng voice | correct text | other sentence | words ok | CPU s |", "| --- | --- | --- | --- | ---: | ---: |"]
    rows = []
    for code, name in PROFESSIONAL_LANGUAGES:
        right, other = SENTENCES[code]
        audio = espeak_16k(right, code)
        t = time.process_time()
        ok = A.check(audio, right, code, model)
        cpu = time.process_time() - t
        wrong = A.check(audio, other, code, model)
        n_ok = sum(w["status"] == "ok" for w in ok.get("words", []))
        rows.append({"code": code, "correct": ok["verdict"], "other": wrong["verdict"], "heard": ok.get("heard"),
                     "status": ok["status"], "cpu_s": cpu})
        lines.append(f"| {name} ({code}) | {voice(code)} | {ok['verdict']} | {wrong['verdict']} | {n_ok}/{len(ok.get('words', []))} | {cpu:.2f} |")
        print(code, ok["verdict"], wrong["verdict"], flush=True)
    return "\n".join(lines), rows


def _cpu(fn, n=3):
    ts = []
    out = None
    for _ in range(n):
        t = time.process_time()
        out = fn()
        ts.append(time.process_time() - t)
    return statistics.median(ts), out


def speed(speech: Path, model) -> tuple[str, dict]:
    """Stage costs for a 10 s take (the 10.6 s English FLEURS clip, or espeak speech without --speech)."""
    from faster_whisper.tokenizer import Tokenizer

    clip = speech / "adherence" / "en" / "fleurs_en_000.flac"
    rows = list(csv.DictReader(open(speech / "adherence" / "manifest.csv", encoding="utf-8")))
    text = next(r["transcript"] for r in rows if r["file"] == "en/fleurs_en_000.flac")
    audio = A.load_audio(clip)[: 10 * RATE]
    padded_take = np.concatenate([np.zeros(2 * RATE, np.float32), audio, np.zeros(2 * RATE, np.float32)])
    res: dict = {}
    for frames in (3000, 2000, 1500, 1100):
        x = np.zeros(frames * 160, np.float32)
        x[: min(len(audio), len(x))] = audio[: len(x)]
        feats = model.feature_extractor(x, padding=0)[:, :frames]
        res[f"encode_{frames}"], enc = _cpu(lambda f=feats: model.encode(f))
        tok = Tokenizer(model.hf_tokenizer, True, task="transcribe", language="en")
        prompt = list(tok.sot_sequence) + [tok.no_timestamps]
        res[f"generate_{frames}"], _ = _cpu(lambda e=enc, p=prompt: model.model.generate(e, [p], beam_size=1, max_length=120))
    res["features_10s"], _ = _cpu(lambda: model.feature_extractor(np.zeros(1100 * 160, np.float32), padding=0))
    # whole checks
    words = text.split()
    wrong = " ".join(words[:5] + ["harbour"] + words[6:])
    for name, rules in (("fit", TAKE_RULES), ("full", replace(TAKE_RULES, window="full"))):
        res[f"check_correct_{name}"], _ = _cpu(lambda r=rules: A.check(audio, text, "en", model, rules=r))
        res[f"check_wrong_{name}"], _ = _cpu(lambda r=rules: A.check(audio, wrong, "en", model, rules=r))
    # trimming: the same take with 2 s of silence on each side, with and without the speech span
    res["padded_untrimmed"], _ = _cpu(lambda: A.check(padded_take, text, "en", model))
    res["padded_trimmed"], _ = _cpu(lambda: A.check(padded_take, text, "en", model, speech_s=(2.0, 2.0 + len(audio) / RATE)))
    # batching: the encoder on 4 takes at once, per take
    feats = model.feature_extractor(np.pad(audio, (0, 1100 * 160 - len(audio))), padding=0)[:, :1100]
    one, _ = _cpu(lambda: model.encode(feats))
    four, _ = _cpu(lambda: model.model.encode(__import__("faster_whisper.transcribe", fromlist=["x"]).get_ctranslate2_storage(
        np.ascontiguousarray(np.repeat(feats[None], 4, axis=0)))))
    res["encode_1100_single"], res["encode_1100_batch4_per_take"] = one, four / 4
    lines = [
        "| stage (10 s take, one thread) | CPU s |", "| --- | ---: |",
        f"| log-mel features | {res['features_10s']:.3f} |",
        *(f"| encoder, {f // 100} s window | {res[f'encode_{f}']:.3f} |" for f in (3000, 2000, 1500, 1100)),
        *(f"| greedy decoding after a {f // 100} s window | {res[f'generate_{f}']:.3f} |" for f in (3000, 1100)),
        f"| encoder, 11 s window, 4 takes in one batch (per take) | {res['encode_1100_batch4_per_take']:.3f} |",
        f"| **whole check, correct reading, fitted window** | **{res['check_correct_fit']:.2f}** |",
        f"| whole check, correct reading, 30 s window | {res['check_correct_full']:.2f} |",
        f"| whole check, one word wrong, fitted window | {res['check_wrong_fit']:.2f} |",
        f"| whole check, one word wrong, 30 s window | {res['check_wrong_full']:.2f} |",
        f"| 14 s take (2 s silence each side), not trimmed | {res['padded_untrimmed']:.2f} |",
        f"| the same, trimmed to the speech + 0.3 s | {res['padded_trimmed']:.2f} |",
    ]
    return "\n".join(lines), res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--speech", default=os.environ.get("SPEECH_DIR", str(ROOT.parent / "shared" / "speech")))
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--coverage", action="store_true")
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--heldout", action="store_true", help="the speaker-verification clips, never used to choose")
    ap.add_argument("--peers", default="ours,ours-30s-window,ours-no-prompt,ours-script-prompt,pocketsphinx")
    args = ap.parse_args()
    everything = not (args.quality or args.coverage or args.speed or args.heldout)
    model = A.load(os.environ.get("ADHERENCE_MODEL", A.PACKAGED))
    speech = Path(args.speech)
    out: dict = {"machine": {"nproc": os.cpu_count(), "load_before": os.getloadavg()}}
    tables = []
    if args.speed or everything:
        t, out["speed"] = speed(speech, model)
        tables.append(t)
    if args.coverage or everything:
        t, out["coverage"] = coverage(model)
        tables.append(t)
    if args.heldout or everything:
        t, out["heldout"] = heldout(speech, model)
        tables.append(t)
    if args.quality or everything:
        names = [p.strip() for p in args.peers.split(",") if p.strip() in [*peers(), "pocketsphinx"]]
        q = quality(speech, model, names)
        out["quality"] = q
        tables.append(quality_tables(q, names))
    out["machine"]["load_after"] = os.getloadavg()
    name = "adherence_results_" + "_".join(k for k in ("quality", "coverage", "speed", "heldout") if getattr(args, k)) + ".json"
    Path(__file__).with_name(name if not everything else "adherence_results.json").write_text(json.dumps(out, indent=1, ensure_ascii=False, default=str))
    print("\n\n".join(tables))


if __name__ == "__main__":
    main()
