"""Check that a take says its script, word by word, with Whisper and the script itself.

1. The take is decoded at 16 kHz, trimmed to its speech (plus a margin) and
   encoded once. The encoder window fits the speech (rounded up to whole seconds,
   at least ``MIN_WINDOW_S``) instead of Whisper's fixed 30 s: the encoder's cost
   grows faster than linearly with the window, and this is most of the CPU
   (bench/qc/adherence.py measures both).
2. Whisper decodes what it hears (beam search, 5 beams), with the script's words
   given as the previous text, in alphabetical order: names and spellings come out as the script
   writes them, but there is no sentence to copy. (With the script itself as the
   prompt, Whisper base copied it: a substituted word was missed half the time.)
3. The script and the transcript are normalised (``text.py``) and aligned
   (``compare.py``). Where they differ, the recogniser may have slipped, or the
   talent may have read something else. Each such region is settled by the
   recogniser's own probabilities: the transcript with that region replaced by
   the script's words is scored against the audio by teacher forcing
   (CTranslate2 ``Whisper.align``, all regions in one batch) and compared with the
   transcript as heard, both with the script's words as the previous text (the
   talent is reading this script, so its vocabulary is expected: a rare name or a
   foreign word in it is not penalised for being rare). A small loss means the
   script's reading fits the audio as well as what was heard (a recogniser slip: the word is ``ok``); a large loss
   means the audio does not say it (``missing``, ``different``, or ``extra`` heard
   words); in between the word is ``doubtful``. Touching regions (a word boundary
   the recogniser moved: "wieder" for "wie der") are also scored joined, and the
   joined reading is kept where it fits better (``_join_runs``).

The result names every script word with its status and, where known, its timing.
Verdict: ``ok``; ``warn`` when there is one doubtful place; ``fail`` when a word is
missing, different or added, or more than one place is doubtful. ``check_statement``
uses the same machinery with a stricter rule: every word must be ``ok``.

Thresholds (nats of log-likelihood per region) were set on espeak-ng speech
(``bench/qc/calibrate.py``: 12 languages; Chinese, Vietnamese and Hindi left out of
the choice because Whisper base does not understand their espeak-ng voices even
when the text is right), not on the benchmark's real clips. Beam search and the
script-word context for scoring are method choices, compared as peers on the real
clips (``bench/qc/adherence.py``): greedy decoding cut transcripts short (a lost
opening name, a sentence stopped before its end), and scoring without context
punished rare script words (a German "sie" in English). The context makes a wrong
word that the script expects cost less: of 48 single substitutions 2 passed (none
without it), and some fails became doubtful-word warnings.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

import numpy as np

from . import text as T
from .compare import Region, diff

RATE = 16000
FRAMES_PER_S = 100  # Whisper mel frames per second
MAX_WINDOW_S = 30.0
MIN_WINDOW_S = 5.0
MARGIN_S = 0.3  # audio kept before and after the detected speech
MAX_REGIONS = 16
NO_REPEAT_NGRAM = 6


@dataclass(frozen=True)
class Rules:
    """How much worse (in nats) the script's reading may score than what was heard."""

    ok_loss: float = 8.0  # up to this: a recogniser slip, the word was said
    fail_loss: float = 12.0  # from this: the word was not said (between: doubtful)
    insertion_ok_loss: float = 3.0  # heard words not in the script: removing a hallucination costs nothing,
    insertion_fail_loss: float = 6.0  # removing a word that was said costs 4-20 nats (espeak-ng calibration)
    max_doubtful: int = 1  # more doubtful places than this fail the take
    prompt: bool | str = "words"  # decoder prompt: "words" (the script's words, sorted), True (the script), False
    window: str = "fit"  # "fit" (speech + margin) or "full" (Whisper's 30 s)
    timestamps: bool = True  # decode with Whisper's timestamp tokens (they end the transcript where speech ends)
    prior: float = 0.0  # subtract this share of the text's score against silence (its language-model prior)
    beam_size: int = 5  # decoding beams (1: greedy, which cuts more transcripts short: bench/qc/adherence.py)
    score_prompt: bool = True  # score both readings with the script's words as the previous text


TAKE_RULES = Rules()
STATEMENT_RULES = Rules(max_doubtful=0)  # stricter: a doubtful word refuses the statement


def load_audio(path: str | os.PathLike) -> np.ndarray:
    """Decode a file to 16 kHz mono float32 (streamed through soxr)."""
    import soxr

    from ..decode import iter_blocks, probe

    info = probe(path)
    stream = None if info.sample_rate == RATE else soxr.ResampleStream(info.sample_rate, RATE, 1, dtype="float32")
    parts = []
    blocks = iter_blocks(path, mono=True)
    cur = next(blocks, None)
    while cur is not None:
        nxt = next(blocks, None)
        parts.append(cur if stream is None else stream.resample_chunk(cur, last=nxt is None))
        cur = nxt
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)


def _trim(audio: np.ndarray, speech_s: tuple[float, float] | None) -> tuple[np.ndarray, float]:
    if not speech_s:
        return audio, 0.0
    start = max(0, int((speech_s[0] - MARGIN_S) * RATE))
    end = min(len(audio), int(math.ceil((speech_s[1] + MARGIN_S) * RATE)))
    if end - start < int(0.2 * RATE):
        return audio, 0.0
    return audio[start:end], start / RATE


class _Heard:
    """The transcript as words, each with its tokens and comparison units."""

    def __init__(self, tokenizer, tokens: list[int], language: str):
        self.words: list[str] = []
        self.tokens: list[list[int]] = []
        texts, toks = tokenizer.split_to_word_tokens(tokens) if tokens else ([], [])
        spaced = not T.by_character(language)
        for w, t in zip(texts, toks, strict=True):
            # Whisper splits "25-30" into " 25" and "-30"; a piece without a leading space
            # belongs to the word before it (in languages written with spaces)
            if self.tokens and (not w.strip() or (spaced and not w.startswith(" "))):
                self.tokens[-1] = self.tokens[-1] + t
                self.words[-1] += w
                continue
            self.words.append(w)
            self.tokens.append(list(t))
        self.units = [T.normalise(w, language) for w in self.words]


def _affixes(word: str) -> tuple[str, str]:
    m = re.match(r"^(\W*)(.*?)(\W*)$", word.strip(), re.S)
    return (m.group(1), m.group(3)) if m else ("", "")


def _core(word: str) -> str:
    return re.sub(r"^\W+|\W+$", "", word) or word


def _replacement(script_words: list[T.Word], heard_words: list[str], cased: bool, character: bool, at_start: bool) -> str:
    """The script's words for a region, written the way the recogniser writes."""
    cores = [_core(w.text) for w in script_words]
    if not cased:  # an all-lower or ALL-CAPS script: write its words as the recogniser cased what it heard
        for k, c in enumerate(cores):
            c = c.lower()
            hw = _core(heard_words[k].strip()) if k < len(heard_words) else ""
            if hw and len(hw) > 1 and hw.isupper():
                c = c.upper()
            elif hw[:1].isupper() if hw else (k == 0 and at_start):
                c = c[:1].upper() + c[1:]
            cores[k] = c
    lead, _ = _affixes(heard_words[0]) if heard_words else ("", "")
    _, trail = _affixes(heard_words[-1]) if heard_words else ("", "")
    body = ("" if character else " ").join(cores)
    return ("" if character else " ") + lead + body + trail


def _word_times(result, n_tokens_per_word: list[int], num_frames: int) -> list[tuple[float, float]]:
    """Start and end (s) of each word from an alignment result (Whisper's cross-attention path)."""
    align = result.alignments
    if not align:
        return [(0.0, 0.0)] * len(n_tokens_per_word)
    text_idx = np.array([p[0] for p in align])
    time_idx = np.array([p[1] for p in align])
    jumps = np.pad(np.diff(text_idx), (1, 0), constant_values=1).astype(bool)
    jump_times = time_idx[jumps] / 50.0  # 50 encoder positions per second
    bounds = np.concatenate([[0], np.cumsum(n_tokens_per_word)])
    out = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        s = float(jump_times[min(a, len(jump_times) - 1)]) if len(jump_times) else 0.0
        e = float(jump_times[min(b, len(jump_times) - 1)]) if len(jump_times) else 0.0
        out.append((s, max(s, e)))
    return out


def _word_probs(result, n_tokens_per_word: list[int]) -> list[float]:
    """Each word's lowest token probability (teacher forced, no prompt)."""
    p = np.asarray(result.text_token_probs, dtype=np.float64)
    bounds = np.concatenate([[0], np.cumsum(n_tokens_per_word)]).astype(int)
    return [float(p[a:b].min()) if b > a and b <= len(p) else 1.0 for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _cap_regions(found: list[Region]) -> list[Region]:
    """Merge the closest neighbours until at most MAX_REGIONS remain (bounds the scoring batch)."""
    found = list(found)
    while len(found) > MAX_REGIONS:
        gaps = [found[i + 1].s0 - found[i].s1 for i in range(len(found) - 1)]
        i = int(np.argmin(gaps))
        a, b = found[i], found[i + 1]
        found[i: i + 2] = [Region(a.s0, b.s1, a.h0, b.h1)]
    return found


def _touching_runs(found: list[Region]) -> list[tuple[int, int]]:
    """Index ranges [a, b) of two or more consecutive regions that touch on both sides."""
    runs, a = [], 0
    for i in range(1, len(found) + 1):
        if i < len(found) and found[i].s0 == found[i - 1].s1 and found[i].h0 == found[i - 1].h1:
            continue
        if i - a > 1:
            runs.append((a, i))
        a = i
    return runs


def _join_runs(found, runs, audio_lp, prior_lp, logp, rules: Rules):
    """Replace a run of touching regions by the joined region where the joined reading fits.

    The joined region's loss is what it costs to read all the run's script words at once;
    the pieces' losses add up to what it costs to read them one piece at a time. The
    joined region is kept when it is cheaper and clears the strictest ``ok`` threshold of
    its pieces' kinds: joining only forgives a recogniser slip cut in pieces, it never
    turns an added word (strict thresholds) into a doubtful substitution. Returns the
    regions and the score lists (transcript first).
    """
    n = len(found)
    keep_r, keep = list(found), list(range(1, n + 1))  # score index of each kept region
    for k, (a, b) in reversed(list(enumerate(runs))):
        joined_i = 1 + n + k
        pieces = sum(max(0.0, logp[0] - logp[1 + i]) for i in range(a, b))
        ok_loss = min(rules.insertion_ok_loss if r.kind == "insertion" else rules.ok_loss for r in found[a:b])
        joined = max(0.0, logp[0] - logp[joined_i])
        if joined < pieces and joined <= ok_loss:
            keep_r[a:b] = [Region(found[a].s0, found[b - 1].s1, found[a].h0, found[b - 1].h1)]
            keep[a:b] = [joined_i]
    pick = [0, *keep]
    return keep_r, [audio_lp[i] for i in pick], [prior_lp[i] for i in pick], [logp[i] for i in pick]


def _logp(result) -> float:
    return float(np.sum(np.log(np.maximum(np.asarray(result.text_token_probs, dtype=np.float64), 1e-12))))


_SILENCE: dict = {}


def _silence_encoding(model, n_frames: int, batch: int):
    """The encoder's output for silence of ``n_frames``, repeated ``batch`` times (cached per window)."""
    from faster_whisper.transcribe import get_ctranslate2_storage

    key = (id(model), n_frames)
    if key not in _SILENCE:
        feats = model.feature_extractor(np.zeros(n_frames * 160, np.float32), padding=0)[:, :n_frames]
        _SILENCE[key] = np.asarray(model.encode(feats))
    return get_ctranslate2_storage(np.ascontiguousarray(np.repeat(_SILENCE[key], batch, axis=0)))


def check(audio: np.ndarray, text: str, language: str | None, model, *, rules: Rules = TAKE_RULES,
          speech_s: tuple[float, float] | None = None) -> dict:
    """Compare 16 kHz ``audio`` with ``text``; ``model`` is a ``faster_whisper.WhisperModel``.

    ``speech_s`` (start, end in seconds of the detected speech) trims the audio
    before encoding. Returns ``{"status", "verdict", "score", "words", "extra",
    "heard", "language", "window_s"}`` (JSON-serialisable); ``status`` is
    ``"aligned"`` for ok/warn, ``"not_aligned"`` for fail and ``"not_checked"``
    when the text has no words or the speech is longer than Whisper's window.
    """
    from faster_whisper.tokenizer import Tokenizer

    lang = T.base_language(language)
    wlang = T.whisper_language(language)
    script = T.words(text or "", lang)
    if not script:
        return {"status": "not_checked", "verdict": "ok", "reason": "the section text has no words"}
    if wlang not in model.supported_languages:
        return {"status": "not_checked", "verdict": "ok", "reason": f"the recogniser does not know the language {language!r}"}
    clip, offset = _trim(audio, speech_s)
    if len(clip) > MAX_WINDOW_S * RATE:
        return {"status": "not_checked", "verdict": "ok",
                "reason": f"the speech is longer than {MAX_WINDOW_S:.0f} s; record the section in shorter takes"}
    character = T.by_character(lang)
    cased = any(ch.isupper() for ch in text) and any(ch.islower() for ch in text)

    window_s = MAX_WINDOW_S if rules.window == "full" else min(MAX_WINDOW_S, max(MIN_WINDOW_S, math.ceil(len(clip) / RATE + 0.01)))
    n_frames = int(window_s * FRAMES_PER_S)
    padded = np.zeros(n_frames * 160, np.float32)
    padded[: len(clip)] = clip[: len(padded)]
    features = model.feature_extractor(padded, padding=0)[:, :n_frames]
    content_frames = min(n_frames, int(math.ceil(len(clip) / 160)))
    enc = model.encode(features)

    tok = Tokenizer(model.hf_tokenizer, True, task="transcribe", language=wlang)
    script_tokens = tok.encode(" " + " ".join(w.text for w in script)) if not character else tok.encode(text.strip())
    # With timestamps on, Whisper marks where speech ends and stops there; without them it
    # tends to run on and repeat the take in a window shorter than 30 s.
    prompt = list(tok.sot_sequence) + ([] if rules.timestamps else [tok.no_timestamps])
    bag = sorted({_core(w.text) for w in script}, key=str.casefold)
    bag_tokens = tok.encode(("" if character else " ") + ("" if character else " ").join(bag))
    bag_prompt = [tok.sot_prev] + bag_tokens[-(223 - 1):]
    if rules.prompt == "words":
        # the script's words in alphabetical order: spellings without a sentence to copy
        prompt = bag_prompt + prompt
    elif rules.prompt:
        prompt = [tok.sot_prev] + script_tokens[-(223 - 1):] + prompt
    # Decoding can loop ("the dreams built around it the dreams built ..."): bound the
    # length by the script's and forbid repeating a 6-token sequence.
    max_new = min(223, int(1.5 * len(script_tokens)) + 10)
    gen = model.model.generate(enc, [prompt], beam_size=rules.beam_size, max_length=len(prompt) + max_new, suppress_blank=True,
                               suppress_tokens=[-1], no_repeat_ngram_size=NO_REPEAT_NGRAM, return_no_speech_prob=True)
    heard_tokens = [t for t in gen[0].sequences_ids[0] if t < tok.eot]  # text only (no timestamps, no specials)
    heard = _Heard(tok, heard_tokens, lang)

    s_units = [(i, u) for i, w in enumerate(script) for u in w.units]
    h_units = [(i, u) for i, us in enumerate(heard.units) for u in us]
    found, pairs = diff(s_units, h_units)
    found = _cap_regions(found)

    # Touching regions (no matched word between them) are one question as well as two: a
    # word boundary the recogniser moved ("wieder" for "wie der", "pueden poderar" for
    # "puede empoderar") splits one slip into pieces, and fixing one piece alone leaves
    # a transcript that fits the audio worse than either reading.
    runs = _touching_runs(found)

    # Score the transcript, one variant per region and one per run of touching regions,
    # all in one teacher-forced batch.
    base = [t for ts in heard.tokens for t in ts] + [tok.eot]
    seqs = [base]
    for r in [*found, *(Region(found[a].s0, found[b - 1].s1, found[a].h0, found[b - 1].h1) for a, b in runs)]:
        before = [t for ts in heard.tokens[: r.h0] for t in ts]
        after = [t for ts in heard.tokens[r.h1:] for t in ts]
        at_start = r.h0 == 0 or heard.words[r.h0 - 1].rstrip()[-1:] in ".!?。！？"
        rep = _replacement(script[r.s0: r.s1], heard.words[r.h0: r.h1], cased, character, at_start)
        rep_tokens = tok.encode(rep) if r.s1 > r.s0 else []
        seqs.append(before + rep_tokens + after + [tok.eot])
    enc_np = np.asarray(enc)  # (1, positions, dims); the batch repeats it per sequence
    from faster_whisper.transcribe import get_ctranslate2_storage

    batch = get_ctranslate2_storage(np.ascontiguousarray(np.repeat(enc_np, len(seqs), axis=0)))
    start = (bag_prompt if rules.score_prompt else []) + list(tok.sot_sequence)
    results = model.model.align(batch, start, seqs, [content_frames] * len(seqs))
    audio_lp = [_logp(r) for r in results]
    prior_lp = [0.0] * len(seqs)
    if rules.prior and len(seqs) > 1:
        sil = _silence_encoding(model, n_frames, len(seqs))
        prior_lp = [_logp(r) for r in model.model.align(sil, list(tok.sot_sequence), seqs, [content_frames] * len(seqs))]
    logp = [a - rules.prior * b for a, b in zip(audio_lp, prior_lp, strict=True)]
    heard_times = _word_times(results[0], [len(t) for t in heard.tokens], content_frames)
    heard_probs = _word_probs(results[0], [len(t) for t in heard.tokens])
    found, audio_lp, prior_lp, logp = _join_runs(found, runs, audio_lp, prior_lp, logp, rules)

    status = ["ok"] * len(script)
    loss_of = [0.0] * len(script)
    heard_as: list[str | None] = [None] * len(script)
    extra: list[dict] = []
    doubtful_places = 0
    failed = False
    region_log = []
    for ri, (r, lp) in enumerate(zip(found, logp[1:], strict=True)):
        loss = max(0.0, logp[0] - lp)
        ok_loss, fail_loss = ((rules.insertion_ok_loss, rules.insertion_fail_loss) if r.kind == "insertion"
                              else (rules.ok_loss, rules.fail_loss))
        level = "ok" if loss <= ok_loss else ("fail" if loss >= fail_loss else "doubtful")
        heard_text = "".join(heard.words[r.h0: r.h1]).strip()
        region_log.append({"kind": r.kind, "loss": round(loss, 2), "loss_audio": round(audio_lp[0] - audio_lp[ri + 1], 2),
                           "loss_prior": round(prior_lp[0] - prior_lp[ri + 1], 2), "script": " ".join(w.text for w in script[r.s0: r.s1]),
                           "heard": heard_text, "level": level})
        if level == "doubtful":
            doubtful_places += 1
        if level == "fail":
            failed = True
        if r.kind == "insertion":
            if level != "ok":
                extra.append({"before_word": r.s0, "heard": heard_text, "status": "extra" if level == "fail" else "doubtful",
                              "loss": round(loss, 2)})
            continue
        for k in range(r.s0, r.s1):
            loss_of[k] = round(loss, 2)
            heard_as[k] = heard_text or None
            if level == "ok":
                continue
            status[k] = "doubtful" if level == "doubtful" else ("missing" if r.kind == "omission" else "different")
    verdict = "fail" if failed or doubtful_places > rules.max_doubtful else ("warn" if doubtful_places else "ok")

    # Timings: a matched word takes its heard word's; a region's words share its heard span.
    times: list[tuple[float, float] | None] = [None] * len(script)
    in_region = {k for r in found for k in range(r.s0, r.s1)}
    hw_of: dict[int, int] = {}
    for sw, hw in pairs:
        hw_of.setdefault(sw, hw)
    # A matched word the recogniser itself doubts (low probability without the prompt) may
    # have been copied from the prompt rather than heard.
    prob_of = [heard_probs[hw_of[k]] if k in hw_of and k not in {i for r in found for i in range(r.s0, r.s1)} else None
               for k in range(len(script))]
    for k in range(len(script)):
        if k not in in_region and k in hw_of:
            times[k] = heard_times[hw_of[k]]
    for r in found:
        if r.h1 > r.h0 and r.s1 > r.s0:
            t0, t1 = heard_times[r.h0][0], heard_times[r.h1 - 1][1]
            n = r.s1 - r.s0
            for k in range(r.s0, r.s1):
                if status[k] in ("ok", "doubtful"):
                    a = (k - r.s0) / n
                    times[k] = (t0 + a * (t1 - t0), t0 + (a + 1 / n) * (t1 - t0))
    words_out = []
    for k, w in enumerate(script):
        item = {"word": w.text, "status": status[k]}
        if status[k] != "ok" or loss_of[k]:
            item["loss"] = loss_of[k]
        if heard_as[k] is not None and status[k] != "ok":
            item["heard"] = heard_as[k]
        if prob_of[k] is not None:
            item["p"] = round(prob_of[k], 3)
        if times[k] is not None and status[k] != "missing":
            item["start_s"] = round(times[k][0] + offset, 3)
            item["end_s"] = round(times[k][1] + offset, 3)
        words_out.append(item)
    ok_words = sum(1 for s in status if s == "ok")
    return {
        "status": "not_aligned" if verdict == "fail" else "aligned",
        "verdict": verdict,
        "score": round(ok_words / len(script) * (1.0 if not extra else len(script) / (len(script) + len(extra))), 3),
        "words": words_out,
        "extra": extra,
        "regions": region_log,
        "heard": "".join(heard.words).strip(),
        "language": lang,
        "window_s": window_s,
        "no_speech_prob": round(float(gen[0].no_speech_prob), 3),
    }

