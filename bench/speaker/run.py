"""Speaker verification and drift: calibration, held-out error rates, speed.

    .venv/bin/python bench/speaker/run.py [--speech ../shared/speech] [--peer-python /work/convert-venv/bin/python]

1. Calibration on ``<speech>/speakers`` (4 LibriSpeech speakers, 2 F / 2 M, 5 utterances
   each): every pair of utterances is a trial (40 genuine, 50 same-gender impostor, 100
   cross-gender impostor). The thresholds follow from these scores by a fixed rule (below),
   never from the held-out set; ``tasks/audio/speaker.py``'s THRESHOLDS hold the result.
2. Held-out error rates on speakers the calibration never saw: the 16 clips of
   ``<speech>/adherence`` (LibriSpeech 1089 and 1995, FLEURS in 5 languages), each cut in
   two halves; genuine = the two halves of one clip (same speaker, same session: an
   optimistic case), impostor = half A of one clip against half B of another of the same
   gender (gender from the median F0: below 165 Hz is male; the manifests do not say).
   The same trials again after both sides went through one simulated room and mic (sox:
   band-limit, reverb, a noise floor), which is what a booth does to every talent; and
   espeak-ng voice variants (synthetic: same engine, different voice settings).
3. Speed: CPU seconds per 10 s of audio on one core for the embedding (ours: numpy +
   onnxruntime; peer: Resemblyzer's own torch + librosa pipeline, when ``--peer-python``
   points at a venv with resemblyzer, e.g. the conversion venv) and for the drift measures
   (ours; peer: librosa.pyin for the pitch alone, same venv).

Prints markdown tables and writes results.json beside this file.
"""
from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tasks.audio import drift, speaker  # noqa: E402

MALE_BELOW_HZ = 165.0
# Targets from the issue
TARGET_FAR = 2.0
TARGET_FRR = 5.0
# Calibration rule: fit a normal distribution to each score set; "same" starts where the
# same-gender impostor fit leaves 0.5 % above (z = 2.576, a quarter of the 2 % target: 4
# speakers are few), "different" where the genuine fit leaves 0.1 % below (z = 3.090): a
# genuine take refused costs the talent a retake and blocks the set until an admin overrides.
Z_SAME, Z_DIFFERENT = 2.576, 3.090
ROOM = ["highpass", "90", "lowpass", "7000", "reverb", "25", "50", "40", "gain", "-n", "-12"]


def emb_and_speech(path: Path) -> tuple[np.ndarray, float]:
    return speaker.embed_details(path)


def stats(v) -> dict:
    v = np.asarray(v, dtype=np.float64)
    return {"n": int(len(v)), "min": float(v.min()), "p5": float(np.percentile(v, 5)), "median": float(np.median(v)),
            "p95": float(np.percentile(v, 95)), "max": float(v.max()), "mean": float(v.mean()), "sd": float(v.std(ddof=1))}


def rates(genuine: list[tuple[float, str]], impostor: list[tuple[float, str]]) -> dict:
    """Error rates from (similarity, verdict) trials, verdicts as ``speaker.compare`` gives them."""
    def share(trials, pred):
        return 100 * sum(1 for t in trials if pred(t[1])) / len(trials) if trials else None

    return {
        "genuine_n": len(genuine), "impostor_n": len(impostor),
        "far_same_pct": share(impostor, lambda v: v == "same"),  # impostor accepted
        "far_not_different_pct": share(impostor, lambda v: v != "different"),  # impostor not refused
        "frr_different_pct": share(genuine, lambda v: v == "different"),  # genuine refused
        "frr_not_same_pct": share(genuine, lambda v: v != "same"),  # genuine needing a listen
    }


def sims(trials) -> list[float]:
    return [t[0] for t in trials]


def score(a: tuple[np.ndarray, float], b: tuple[np.ndarray, float]) -> tuple[float, str]:
    """Similarity and verdict as the product gives them (``speaker.compare`` on stored embeddings)."""
    r = speaker.compare({"embedding": a[0], "speech_s": a[1]}, {"embedding": b[0], "speech_s": b[1]})
    return r["similarity"], r["verdict"]


def calibrate(speech: Path, d: Path) -> dict:
    """Trials between whole utterances and their halves (takes are often short), never within one utterance."""
    rows = list(csv.DictReader(open(speech / "speakers" / "manifest.csv")))
    items = []  # (utterance, speaker, gender, kind, (embedding, speech_s))
    for r in rows:
        path = speech / "speakers" / r["file"]
        items.append((r["file"], r["speaker"], r["gender"], "whole", emb_and_speech(path)))
        for p in halves(path, d, room=False):
            items.append((r["file"], r["speaker"], r["gender"], "half", emb_and_speech(p)))
    gen, imp_sg, imp_xg = [], [], []
    for a, b in itertools.combinations(items, 2):
        if a[0] == b[0]:
            continue
        (gen if a[1] == b[1] else imp_sg if a[2] == b[2] else imp_xg).append(score(a[4], b[4]))
    sg, gs = stats(sims(imp_sg)), stats(sims(gen))
    same = sg["mean"] + Z_SAME * sg["sd"]
    different = gs["mean"] - Z_DIFFERENT * gs["sd"]
    if different > same:  # no overlap at these tails: one threshold, halfway
        same = different = (same + different) / 2
    th = speaker.Thresholds(same=round(float(np.ceil(same * 100) / 100), 2),
                            different=round(float(np.floor(different * 100) / 100), 2))
    whole = [i for i in items if i[3] == "whole"]
    return {"speakers": sorted({r["speaker"] for r in rows}), "utterances": len(rows), "items": len(items),
            "halves": len(items) - len(whole),
            "scores": {"genuine": gs, "impostor_same_gender": sg, "impostor_cross_gender": stats(sims(imp_xg))},
            "rule": {"same_raw": same, "different_raw": different}, "thresholds": {"same": th.same, "different": th.different},
            "in_code": {"same": speaker.THRESHOLDS.same, "different": speaker.THRESHOLDS.different},
            "rates": rates(gen, imp_sg)}


def halves(src: Path, d: Path, room: bool) -> list[Path]:
    """Two halves of a clip as 16 kHz WAVs (through the simulated room when ``room``); [] below 8 s."""
    x = speaker.load_16k(src)
    if len(x) < 8 * speaker.RATE:
        return []
    mid = len(x) // 2
    out = []
    for k, part in enumerate((x[:mid], x[mid:])):
        p = d / f"{src.stem}_{k}{'_room' if room else ''}.wav"
        sf.write(p, part, speaker.RATE, subtype="FLOAT")
        if room:
            r = p.with_suffix(".r.wav")
            subprocess.run(["sox", str(p), str(r), *ROOM], check=True, capture_output=True)
            y, _ = sf.read(r, dtype="float32")
            y = y[: len(part)] + np.random.default_rng(k).standard_normal(len(part)).astype(np.float32) * 10 ** (-65 / 20)
            sf.write(p, y, speaker.RATE, subtype="FLOAT")
        out.append(p)
    return out


def median_f0(path: Path) -> float:
    import soxr

    x8 = soxr.resample(speaker.load_16k(path), speaker.RATE, drift.F0_RATE)
    return drift.pitch(x8)["f0_median_hz"] or 0.0


def heldout(speech: Path) -> dict:
    rows = list(csv.DictReader(open(speech / "adherence" / "manifest.csv")))
    clips = []
    for r in rows:
        path = speech / "adherence" / r["file"]
        f0 = median_f0(path)
        clips.append({"file": r["file"], "language": r["language"], "f0": f0, "gender": "M" if f0 < MALE_BELOW_HZ else "F",
                      "path": path})
    out: dict = {"clips": [{k: v for k, v in c.items() if k != "path"} for c in clips]}
    with tempfile.TemporaryDirectory() as d:
        for room in (False, True):
            parts = {c["file"]: halves(c["path"], Path(d), room) for c in clips}
            emb = {f: [emb_and_speech(p) for p in ps] for f, ps in parts.items() if ps}
            gen = [score(*e) for e in emb.values()]
            sl, sg, xg, pairs_sl, pairs_sg = [], [], [], [], []
            by = {c["file"]: c for c in clips}
            for a, b in itertools.permutations(emb, 2):
                trial = score(emb[a][0], emb[b][1])
                ca, cb = by[a], by[b]
                if ca["gender"] != cb["gender"]:
                    xg.append(trial)
                    continue
                sg.append(trial)
                pairs_sg.append((a, b, trial[0]))
                if ca["language"] == cb["language"]:
                    sl.append(trial)
                    pairs_sl.append((a, b, trial[0]))
            key = "room" if room else "clean"
            out[key] = {
                "genuine": stats(sims(gen)), "impostor_same_language_same_gender": stats(sims(sl)) if sl else None,
                "impostor_same_gender": stats(sims(sg)), "impostor_cross_gender": stats(sims(xg)),
                "same_language": rates(gen, sl), "same_gender": rates(gen, sg),
                "genuine_refused": [(f, t[0]) for f, t in zip(emb, gen, strict=True) if t[1] == "different"],
                "speaker_pairs_same_language": len({tuple(sorted(p[:2])) for p in pairs_sl}),
                "speaker_pairs_same_gender": len({tuple(sorted(p[:2])) for p in pairs_sg}),
                "highest_impostors": sorted(pairs_sg, key=lambda p: -p[2])[:4],
            }
    out["espeak"] = espeak_trials()
    return out


def espeak_trials() -> dict:
    from tasks.tests import audio_fixtures as F

    voices = {"M": ["en-us+m1", "en-us+m3", "en-gb+m5", "en-us+m7"], "F": ["en-us+f1", "en-us+f2", "en-gb+f3", "en-us+f4"]}
    texts = [F.SENTENCE, "I agree that my voice may be recorded and used to create a synthetic voice for this project.",
             "Numbers like twenty five and thirty show up in most scripts, and so do long quiet pauses."]
    emb = {}
    with tempfile.TemporaryDirectory() as d:
        for g, vs in voices.items():
            for v in vs:
                for k, t in enumerate(texts):
                    p = Path(d) / f"{v}_{k}.wav"
                    F.write(p, F.speech(t, rate=16000, voice=v), rate=16000)
                    emb[(g, v, k)] = emb_and_speech(p)
    gen, imp = [], []
    for a, b in itertools.combinations(emb, 2):
        if a[0] != b[0]:
            continue
        (gen if a[1] == b[1] else imp).append(score(emb[a], emb[b]))
    return {"voices": voices, "genuine": stats(sims(gen)), "impostor_same_gender": stats(sims(imp)), "rates": rates(gen, imp)}


def cpu_per_10s(fn, path: Path, seconds: float, repeat: int = 5) -> float:
    fn(path)
    times = []
    for _ in range(repeat):
        c = time.process_time()
        fn(path)
        times.append(time.process_time() - c)
    return statistics.median(times) / seconds * 10


def speed(speech: Path, peer_python: str | None, d: Path) -> dict:
    """On the calibration utterances of 9 s or more, as 48 kHz 24-bit WAVs (what the booth uploads)."""
    sources = [speech / "speakers" / r["file"] for r in csv.DictReader(open(speech / "speakers" / "manifest.csv"))]
    files = []
    for src in sources:
        if sf.info(str(src)).duration >= 9:
            dst = d / (src.stem + ".wav")
            subprocess.run(["sox", str(src), "-r", "48000", "-b", "24", str(dst)], check=True)
            files.append(dst)
    res: dict = {"files": [f.name for f in files], "seconds": [round(sf.info(str(f)).duration, 2) for f in files],
                 "load_before": os.getloadavg()}
    emb, drift_all, drift_noloud, pitch_only = [], [], [], []
    import soxr

    for f in files:
        s = sf.info(str(f)).duration
        emb.append(cpu_per_10s(lambda p: speaker.embed(p), f, s))
        drift_all.append(cpu_per_10s(lambda p: drift.measure(p), f, s))
        drift_noloud.append(cpu_per_10s(lambda p: drift.measure(p, loudness_lufs=-20.0), f, s))
        x8 = soxr.resample(speaker.load_16k(f), speaker.RATE, drift.F0_RATE)
        pitch_only.append(cpu_per_10s(lambda _p: drift.pitch(x8), f, s))
    res["ours"] = {"embed": statistics.median(emb), "embed_max": max(emb), "drift": statistics.median(drift_all),
                   "drift_max": max(drift_all), "drift_with_qc_loudness": statistics.median(drift_noloud),
                   "pitch_yin": statistics.median(pitch_only)}
    if peer_python:
        code = PEER.replace("__FILES__", repr([str(f) for f in files])).replace("__ROOT__", repr(str(ROOT)))
        p = subprocess.run([peer_python, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        if p.returncode == 0:
            res["peer"] = json.loads(p.stdout.strip().splitlines()[-1])
        else:
            res["peer_error"] = p.stderr[-500:]
    return res


PEER = r'''
import json, statistics, sys, time
import numpy as np, soundfile as sf, librosa, torch
torch.set_num_threads(1)
from resemblyzer import VoiceEncoder, preprocess_wav
sys.path.insert(0, __ROOT__)
from tasks.audio import speaker
enc = VoiceEncoder("cpu", verbose=False)
files = __FILES__
emb, pyin, agree = [], [], []
def per10(fn, f, s):
    fn(f); t = []
    for _ in range(3):
        c = time.process_time(); fn(f); t.append(time.process_time() - c)
    return statistics.median(t) / s * 10
for f in files:
    s = sf.info(f).duration
    emb.append(per10(lambda p: enc.embed_utterance(preprocess_wav(p)), f, s))
    y = librosa.resample(sf.read(f, dtype="float32")[0], orig_sr=sf.info(f).samplerate, target_sr=8000)
    pyin.append(per10(lambda _p: librosa.pyin(y, fmin=60, fmax=500, sr=8000, frame_length=512, hop_length=80), f, s))
    agree.append(float(np.dot(enc.embed_utterance(preprocess_wav(f)), speaker.embed(f))))
print(json.dumps({"embed": statistics.median(emb), "pitch_pyin": statistics.median(pyin), "min_cosine_vs_ours": min(agree)}))
'''


def pct(v) -> str:
    return "" if v is None else f"{v:.1f} %"


def report(res: dict) -> str:
    cal, ho, sp = res["calibration"], res["heldout"], res["speed"]
    th = cal["in_code"]
    lines = ["### Calibration (4 LibriSpeech speakers, 2 F / 2 M, 5 utterances each, whole and halved; "
             "every pair from two different utterances)", "",
             "| trials | n | min | p5 | median | p95 | max |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    names = {"genuine": "genuine (same speaker)", "impostor_same_gender": "impostor, same gender",
             "impostor_cross_gender": "impostor, other gender"}
    for k, label in names.items():
        s = cal["scores"][k]
        lines.append(f"| {label} | {s['n']} | {s['min']:.3f} | {s['p5']:.3f} | {s['median']:.3f} | {s['p95']:.3f} | {s['max']:.3f} |")
    lines += ["", f"Rule: \"same\" from the same-gender impostor mean + {Z_SAME} sd ({cal['rule']['same_raw']:.3f}), "
              f"\"different\" below the genuine mean - {Z_DIFFERENT} sd ({cal['rule']['different_raw']:.3f}), rounded outwards: "
              f"**same >= {cal['thresholds']['same']:.2f}, different < {cal['thresholds']['different']:.2f}**, unsure between "
              f"(in code: {th['same']:.2f} / {th['different']:.2f}).", ""]
    lines += ["### Held-out error rates (speakers not used for calibration)", "",
              "Accepted = verdict \"same\"; refused = verdict \"different\"; \"unsure\" asks a person to listen.", "",
              "| condition | impostor trials | genuine trials | impostor accepted | impostor not refused | genuine refused | genuine not accepted |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for key, label in (("clean", "as recorded"), ("room", "both sides through one simulated room + mic")):
        for scope, sl in (("same_language", "same language + gender"), ("same_gender", "same gender, any language")):
            r = ho[key][scope]
            pairs = ho[key][f"speaker_pairs_{scope}"]
            lines.append(f"| {label}, {sl} | {r['impostor_n']} ({pairs} speaker pairs) | {r['genuine_n']} | "
                         f"{pct(r['far_same_pct'])} | {pct(r['far_not_different_pct'])} | {pct(r['frr_different_pct'])} | "
                         f"{pct(r['frr_not_same_pct'])} |")
    e = ho["espeak"]["rates"]
    lines.append(f"| espeak-ng variants (synthetic), same gender | {e['impostor_n']} | {e['genuine_n']} | {pct(e['far_same_pct'])} | "
                 f"{pct(e['far_not_different_pct'])} | {pct(e['frr_different_pct'])} | {pct(e['frr_not_same_pct'])} |")
    lines += ["", "| held-out scores | genuine median (min) | same-gender impostor median (max) |", "| --- | ---: | ---: |"]
    for key, label in (("clean", "as recorded"), ("room", "simulated room")):
        g, i = ho[key]["genuine"], ho[key]["impostor_same_gender"]
        lines.append(f"| {label} | {g['median']:.3f} ({g['min']:.3f}) | {i['median']:.3f} ({i['max']:.3f}) |")
    g, i = ho["espeak"]["genuine"], ho["espeak"]["impostor_same_gender"]
    lines.append(f"| espeak-ng | {g['median']:.3f} ({g['min']:.3f}) | {i['median']:.3f} ({i['max']:.3f}) |")
    lines += ["", "Highest same-gender impostor scores (as recorded): " + "; ".join(
        f"{a} vs {b}: {s:.3f}" for a, b, s in ho["clean"]["highest_impostors"]), ""]
    lines += ["### Speed (CPU time per 10 s of audio, one core; median over the 9-15 s calibration utterances as "
              f"48 kHz 24-bit WAV; load average {sp['load_before'][0]:.1f} when it started)", "",
              "| step | ours | peer |", "| --- | ---: | ---: |"]
    peer = sp.get("peer", {})
    lines.append(f"| speaker embedding (decode, 16 kHz, VAD, mel, encoder) | {sp['ours']['embed']:.3f} s (max {sp['ours']['embed_max']:.3f}) | "
                 + (f"{peer['embed']:.3f} s (Resemblyzer: librosa + torch)" if peer else "not run") + " |")
    lines.append(f"| drift measures (decode, LUFS, F0, spectrum) | {sp['ours']['drift'] * 1000:.1f} ms (max {sp['ours']['drift_max'] * 1000:.1f}) | |")
    lines.append(f"| drift measures, LUFS taken from QC | {sp['ours']['drift_with_qc_loudness'] * 1000:.1f} ms | |")
    lines.append(f"| pitch alone (YIN, 8 kHz) | {sp['ours']['pitch_yin'] * 1000:.1f} ms | "
                 + (f"{peer['pitch_pyin'] * 1000:.0f} ms (librosa.pyin)" if peer else "not run") + " |")
    if peer:
        lines += ["", f"Ours vs Resemblyzer on the same files: lowest cosine {peer['min_cosine_vs_ours']:.6f}."]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speech", default=os.environ.get("SPEECH_DIR", str(ROOT.parent / "shared" / "speech")))
    ap.add_argument("--peer-python", default=os.environ.get("PEER_PYTHON"))
    ap.add_argument("--only", choices=["calibration", "heldout", "speed"])
    args = ap.parse_args()
    speech = Path(args.speech)
    res: dict = {"machine": {"nproc": os.cpu_count(), "load": os.getloadavg()}, "model": speaker.model_id()}
    with tempfile.TemporaryDirectory() as d:
        res["calibration"] = calibrate(speech, Path(d))
    print(json.dumps(res["calibration"]["thresholds"]), flush=True)
    if args.only in (None, "heldout"):
        res["heldout"] = heldout(speech)
    if args.only in (None, "speed"):
        with tempfile.TemporaryDirectory() as d:
            res["speed"] = speed(speech, args.peer_python, Path(d))
    Path(__file__).with_name("results.json").write_text(json.dumps(res, indent=1, default=str))
    if args.only is None:
        print(report(res))
    else:
        print(json.dumps(res, indent=1, default=str))


if __name__ == "__main__":
    main()
