"""Turn QC metrics into plain-language verdicts for a voice talent.

All thresholds live in ``THRESHOLDS``; they follow common studio practice for
voice-cloning data: peaks around -6..-3 dBFS with no clipping, speech RMS
-23..-18 dBFS, SNR above 35 dB, 100-500 ms of silence at each end, utterances
under 15 s (30 s hard limit), 44.1/48 kHz recordings.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

LEVELS = ("ok", "warn", "fail")


@dataclass(frozen=True)
class Thresholds:
    peak_ideal_min_dbfs: float = -6.0
    peak_ideal_max_dbfs: float = -3.0
    peak_too_quiet_dbfs: float = -20.0  # below this the take is far too quiet
    peak_hot_dbfs: float = -1.0  # above this there is no headroom left
    clipped_samples_max: int = 0
    dc_offset_max: float = 0.01  # 1 % of full scale (-40 dBFS): a constant the interface adds
    rms_min_dbfs: float = -23.0
    rms_max_dbfs: float = -18.0
    rms_fail_low_dbfs: float = -35.0
    rms_fail_high_dbfs: float = -10.0
    snr_good_db: float = 35.0
    snr_flag_db: float = 20.0
    silence_min_ms: float = 100.0
    silence_max_ms: float = 500.0
    silence_flag_ms: float = 1500.0
    cut_off_ms: float = 30.0  # speech this close to an edge is probably cut off
    duration_min_s: float = 1.0
    duration_preferred_max_s: float = 15.0
    duration_hard_max_s: float = 30.0
    speech_min_s: float = 0.3  # less detected speech than this: an empty take
    sample_rate_min: int = 24000
    sample_rates_expected: tuple[int, ...] = (44100, 48000)
    bit_depth_min: int = 16
    room_tone_good_dbfs: float = -60.0
    room_tone_max_dbfs: float = -50.0
    room_tone_dead_dbfs: float = -100.0


THRESHOLDS = Thresholds()


def thresholds_dict() -> dict:
    return asdict(THRESHOLDS)


def _v(code: str, level: str, title: str, reason: str, advice: str = "") -> dict:
    return {"code": code, "level": level, "title": title, "reason": reason, "advice": advice}


def worst(verdicts: list[dict]) -> str:
    """The worst level among verdicts ("ok" when there are none)."""
    return max((v["level"] for v in verdicts), key=LEVELS.index, default="ok")


def verdicts(m: dict, t: Thresholds = THRESHOLDS) -> list[dict]:
    """Judge a metrics dict (from ``metrics.measure``/``qc.analyse``); one verdict per aspect."""
    out: list[dict] = []
    dur = m.get("duration_s") or 0.0
    speech_s = m.get("speech_s") or 0.0

    # Empty or too short: nothing else matters much.
    if speech_s < t.speech_min_s:
        out.append(_v("empty", "fail", "No speech found",
                      f"We could not hear any speech in this take ({speech_s:.1f} s of speech detected).",
                      "Check that the right microphone is selected and not muted, then record again."))
    if dur < t.duration_min_s:
        out.append(_v("too_short", "fail", "Too short", f"The take is {dur:.1f} s long.",
                      "Record the whole line, with a short pause before and after."))
    elif dur > t.duration_hard_max_s:
        out.append(_v("too_long", "fail", "Too long", f"The take is {dur:.0f} s; the limit is {t.duration_hard_max_s:.0f} s.",
                      "Split the line into shorter takes."))
    elif dur > t.duration_preferred_max_s:
        out.append(_v("long", "warn", "Rather long", f"The take is {dur:.0f} s; under {t.duration_preferred_max_s:.0f} s works best.",
                      "If the line allows, record it in two parts."))
    else:
        out.append(_v("duration", "ok", "Length is fine", f"The take is {dur:.1f} s long."))

    # Format
    rate = m.get("sample_rate") or 0
    if rate < t.sample_rate_min:
        out.append(_v("sample_rate", "fail", "Sample rate too low", f"Recorded at {rate} Hz; at least {t.sample_rate_min} Hz is needed.",
                      "Set your recorder or interface to 48 kHz (or 44.1 kHz)."))
    elif rate not in t.sample_rates_expected:
        out.append(_v("sample_rate", "warn", "Unusual sample rate", f"Recorded at {rate} Hz; 44.1 or 48 kHz is expected.",
                      "Set your recorder or interface to 48 kHz."))
    else:
        out.append(_v("sample_rate", "ok", "Sample rate is fine", f"Recorded at {rate / 1000:g} kHz."))
    bits = m.get("bit_depth")
    if bits is not None and bits < t.bit_depth_min:
        out.append(_v("bit_depth", "warn", "Low bit depth", f"{bits}-bit audio loses detail.", "Record at 24-bit (or at least 16-bit)."))

    # Levels
    clipped = m.get("clipped_samples") or 0
    peak = m.get("peak_dbfs")
    if clipped > t.clipped_samples_max:
        where = ("were cut flat at the top of the waveform" if (m.get("flat_top_samples") or 0) >= clipped
                 else "hit full scale")
        out.append(_v("clipping", "fail", "Clipping", f"{clipped} samples {where}, which causes distortion.",
                      "Turn the input gain down or move a little further from the microphone, then record again."))
    elif peak is not None and peak > t.peak_hot_dbfs:
        out.append(_v("peak", "warn", "Peaks too hot", f"Peaks reach {peak:.1f} dBFS; aim for {t.peak_ideal_min_dbfs:g} to {t.peak_ideal_max_dbfs:g} dBFS.",
                      "Turn the input gain down a little."))
    elif peak is not None and peak < t.peak_too_quiet_dbfs:
        out.append(_v("peak", "fail" if speech_s >= t.speech_min_s else "warn", "Far too quiet",
                      f"Peaks only reach {peak:.1f} dBFS.", "Turn the input gain up or move closer to the microphone."))
    elif peak is not None and not (t.peak_ideal_min_dbfs <= peak <= t.peak_ideal_max_dbfs):
        where = "a little low" if peak < t.peak_ideal_min_dbfs else "a little high"
        out.append(_v("peak", "warn", "Peak level " + where, f"Peaks reach {peak:.1f} dBFS; the ideal is {t.peak_ideal_min_dbfs:g} to {t.peak_ideal_max_dbfs:g} dBFS.",
                      "Adjust the input gain slightly." if peak < t.peak_ideal_min_dbfs else "Lower the input gain slightly."))
    elif peak is not None:
        out.append(_v("peak", "ok", "Peak level is ideal", f"Peaks reach {peak:.1f} dBFS."))

    dc = abs(m.get("dc_offset") or 0.0)
    if dc > t.dc_offset_max:
        out.append(_v("dc_offset", "warn", "DC offset", f"The waveform is shifted off centre by {dc * 100:.1f} % of full scale.",
                      "Your microphone or interface adds a constant offset: try another USB port or cable, or "
                      "another interface. This take can still be used: the offset is removed when it is processed."))

    rms = m.get("speech_rms_dbfs")
    if rms is None:
        rms = m.get("rms_dbfs")
    if rms is not None and speech_s >= t.speech_min_s:
        if rms < t.rms_fail_low_dbfs or rms > t.rms_fail_high_dbfs:
            lvl, title = "fail", ("Much too quiet" if rms < t.rms_fail_low_dbfs else "Much too loud")
        elif rms < t.rms_min_dbfs or rms > t.rms_max_dbfs:
            lvl, title = "warn", ("A bit quiet" if rms < t.rms_min_dbfs else "A bit loud")
        else:
            lvl, title = "ok", "Loudness is right"
        advice = "" if lvl == "ok" else ("Speak up a little or raise the gain." if rms < t.rms_min_dbfs else "Lower the gain a little.")
        out.append(_v("loudness", lvl, title, f"Speech averages {rms:.1f} dB RMS; the target is {t.rms_min_dbfs:g} to {t.rms_max_dbfs:g} dB.", advice))

    snr = m.get("snr_db")
    if snr is not None and speech_s >= t.speech_min_s:
        if snr < t.snr_flag_db:
            out.append(_v("noise", "fail", "Too much background noise", f"Speech is only {snr:.0f} dB above the background (noise floor {m.get('noise_floor_dbfs'):.0f} dBFS); {t.snr_good_db:g} dB or more is good.",
                          "Turn off fans, air conditioning and other noise sources, close windows, and record closer to the microphone."))
        elif snr < t.snr_good_db:
            out.append(_v("noise", "warn", "Some background noise", f"Speech is {snr:.0f} dB above the background; {t.snr_good_db:g} dB or more is good.",
                          "Reduce background noise if you can; the take may still be usable after denoising."))
        else:
            out.append(_v("noise", "ok", "Quiet background", f"Speech is {snr:.0f} dB above the background."))

    # Silence at the edges
    if speech_s >= t.speech_min_s:
        for code, key, edge in (("lead_silence", "leading_silence_ms", "start"), ("trail_silence", "trailing_silence_ms", "end")):
            ms = m.get(key)
            if ms is None:
                continue
            if ms < t.cut_off_ms:
                out.append(_v(code, "fail", f"Speech cut off at the {edge}", f"Speech runs right up to the {edge} of the take ({ms:.0f} ms of silence).",
                              f"Leave a short pause (about a quarter of a second) at the {edge}."))
            elif ms < t.silence_min_ms:
                out.append(_v(code, "warn", f"Very little silence at the {edge}", f"Only {ms:.0f} ms of silence; {t.silence_min_ms:.0f}-{t.silence_max_ms:.0f} ms is ideal.",
                              f"Pause a moment before {'speaking' if edge == 'start' else 'stopping the recording'}."))
            elif ms > t.silence_flag_ms:
                out.append(_v(code, "warn", f"Long silence at the {edge}", f"{ms / 1000:.1f} s of silence; {t.silence_min_ms:.0f}-{t.silence_max_ms:.0f} ms is ideal.",
                              "Start speaking sooner after pressing record." if edge == "start" else "Stop the recording sooner after you finish."))
            else:
                out.append(_v(code, "ok", f"Silence at the {edge} is fine", f"{ms:.0f} ms of silence."))

    # Script adherence (when it ran): the word-level result explains itself
    al = m.get("alignment") or {}
    if al.get("status") in ("aligned", "not_aligned"):
        from .adherence.advice import explain

        e = al.get("explanation") or explain(al)
        out.append(_v("script", e["level"], e["title"], e["reason"], e["advice"]))
    return out


def room_tone_verdict(noise_floor_dbfs: float, speech_s: float, t: Thresholds = THRESHOLDS) -> dict:
    """Judge a few seconds of room tone from the mic check."""
    if noise_floor_dbfs <= t.room_tone_dead_dbfs:
        return _v("room_tone", "warn", "No signal", "The recording is digital silence; the microphone may be muted or unplugged.",
                  "Check that the right microphone is selected and unmuted, then run the check again.")
    if speech_s >= 0.5:
        return _v("room_tone", "warn", "We heard sounds", "The room-tone recording contains speech or other sounds.",
                  "Stay silent for the whole check, then run it again.")
    if noise_floor_dbfs > t.room_tone_max_dbfs:
        return _v("room_tone", "fail", "Too noisy", f"Your room's background noise is {noise_floor_dbfs:.0f} dBFS; it should be below {t.room_tone_max_dbfs:g} dBFS.",
                  "Turn off fans and air conditioning, close windows and doors, and lower the input gain if it is very high.")
    if noise_floor_dbfs > t.room_tone_good_dbfs:
        return _v("room_tone", "warn", "Acceptable", f"Background noise is {noise_floor_dbfs:.0f} dBFS; below {t.room_tone_good_dbfs:g} dBFS is ideal.",
                  "If you can, make the room a little quieter.")
    return _v("room_tone", "ok", "Quiet enough", f"Background noise is {noise_floor_dbfs:.0f} dBFS.")
