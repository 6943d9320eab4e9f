"""The previous script check, kept as the benchmark's peer: English forced alignment with pocketsphinx 5.

The product dropped it for Whisper (tasks/audio/adherence): it covered English only,
passed a different sentence 5 times in 15 and never caught one substituted or
added word; its one advantage, fast English word timings, is not needed now that
Whisper's cross-attention times every word in every language.

``Decoder.set_align_text`` builds a left-to-right word graph of the section text
with optional silences; the take is decoded against it with the en-us acoustic
model that ships inside the pocketsphinx wheel. When the audio cannot reach the
end of the graph (missing, extra or different words, a take cut short) the
decoder gives no hypothesis and the take is "not_aligned". Limits, stated
honestly: a forced aligner is lenient, so a single substituted word of similar
sound can still align; the check catches wrong lines, missing or extra phrases
and truncated takes, not every misread word.

Cost: about 0.2 s once per process to load the model, then roughly 10 ms per
second of audio on one core; ``analyse`` runs it after the fast metrics.
"""
from __future__ import annotations

import functools
import os
import re

import numpy as np
import soxr

from tasks.audio.decode import iter_blocks, probe

RATE = 16000
FRAME_RATE = 100  # pocketsphinx frames per second
CUT_OFF_S = 0.05  # last word ending this close to the end of the take: probably cut off
MAX_OOV_RATIO = 0.2


def is_supported(language: str | None) -> bool:
    return bool(language) and language.lower().replace("_", "-").split("-")[0] == "en"


@functools.lru_cache(maxsize=1)
def _decoder():
    from pocketsphinx import Decoder

    return Decoder(samprate=RATE, loglevel="FATAL")


def _words(text: str) -> list[str]:
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^a-z0-9' ]+", " ", re.sub(r"[-–—/]", " ", text))
    return [w.strip("'") for w in text.split() if w.strip("'")]


def _pcm16k(path: str | os.PathLike) -> np.ndarray:
    """Decode to 16 kHz int16 in process (soxr), with a little dither.

    Exact digital silence (all zeros) breaks pocketsphinx's log-spectrum features
    and makes a correct take fail to align; +-2 LSB of fixed-seed noise avoids it.
    """
    info = probe(path)
    stream = None if info.sample_rate == RATE else soxr.ResampleStream(info.sample_rate, RATE, 1, dtype="float32")
    parts = []
    blocks = iter_blocks(path, mono=True)
    cur = next(blocks, None)
    while cur is not None:
        nxt = next(blocks, None)
        parts.append(cur if stream is None else stream.resample_chunk(cur, last=nxt is None))
        cur = nxt
    x = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    dither = np.random.default_rng(0).uniform(-2, 2, len(x))
    return np.clip(x * 32767 + dither, -32768, 32767).astype("<i2")


def align_take(path: str | os.PathLike, text: str, *, duration_s: float | None = None) -> dict:
    """Force-align ``text`` to the audio; return status and word timings (seconds)."""
    dec = _decoder()
    words = _words(text)
    known = [w for w in words if dec.lookup_word(w)]
    oov = [w for w in words if not dec.lookup_word(w)]
    if not words:
        return {"status": "not_checked", "reason": "the section text has no words"}
    if len(oov) > MAX_OOV_RATIO * len(words) or not known:
        return {"status": "not_checked", "reason": "too many words missing from the pronunciation dictionary",
                "unknown_words": oov}
    audio = _pcm16k(path)
    if duration_s is None:
        duration_s = len(audio) / RATE
    dec.set_align_text(" ".join(known))
    dec.start_utt()
    dec.process_raw(audio.tobytes(), full_utt=True)
    dec.end_utt()
    hyp = dec.hyp()
    if hyp is None:
        return {"status": "not_aligned", "unknown_words": oov,
                "reason": "The speech does not match the section text (words missing, added or different, or the take stops early)."}
    segs = [s for s in (dec.seg() or []) if not s.word.startswith(("<", "[", "+")) and s.word != "<sil>"]
    timed = [{"word": re.sub(r"\(\d+\)$", "", s.word), "start_s": round(s.start_frame / FRAME_RATE, 3),
              "end_s": round((s.end_frame + 1) / FRAME_RATE, 3)} for s in segs]
    cut = bool(timed) and duration_s - timed[-1]["end_s"] < CUT_OFF_S
    return {"status": "aligned", "words": timed, "unknown_words": oov, "last_word_cut_off": cut}
