"""Build the hostile-input corpus into a folder, at test time (nothing binary is committed).

``build(folder)`` returns one ``Entry`` per hostile input: the bytes on disk, the name
and content type a client would send, and what must happen: ``reject`` with one of
the ``codes`` of ``tasks.audio.decode.AudioRejected``, or ``accept`` (bad names around
good audio: the server must store it under a generated name). ``silent_hour`` is
written by streaming (345 MB at 48 kHz/16-bit) and is only built when asked for.

Run it by hand to look at the files: ``python -m e2e.hostile.make_corpus /tmp/corpus``.
"""
from __future__ import annotations

import io
import struct
import subprocess
import sys
import wave
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 48000


@dataclass(frozen=True)
class Entry:
    key: str
    path: Path
    filename: str  # the name a client sends (may be hostile)
    content_type: str
    expect: str  # "reject" | "accept"
    codes: frozenset = field(default_factory=frozenset)  # acceptable AudioRejected codes when rejected
    note: str = ""

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()


def tone(seconds: float = 2.0, rate: int = RATE, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    x = (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    pad = np.zeros(int(0.3 * rate), np.float32)
    x = np.concatenate([pad, x, pad])
    return np.repeat(x[:, None], channels, axis=1) if channels > 1 else x


def wav_bytes(data: np.ndarray, rate: int = RATE, subtype: str = "PCM_16") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, data, rate, subtype=subtype, format="WAV")
    return buf.getvalue()


def with_declared_size(wav: bytes, declared: int) -> bytes:
    """Rewrite the RIFF ``data`` chunk's size field (a header that lies)."""
    out = bytearray(wav)
    pos = out.find(b"data")
    out[pos + 4:pos + 8] = struct.pack("<I", declared)
    return bytes(out)


def mp3_with_huge_duration(folder: Path) -> bytes:
    """A 2 s MP3 whose Xing header claims ~6.4 million seconds (0x0FFFFFFF frames)."""
    src = folder / "_tone.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=f=220:d=2:r={RATE}",
                    "-c:a", "libmp3lame", "-b:a", "64k", str(src)], check=True, timeout=60)
    data = bytearray(src.read_bytes())
    src.unlink()
    pos = data.find(b"Info")
    pos = pos if pos >= 0 else data.find(b"Xing")
    data[pos:pos + 4] = b"Xing"
    flags = struct.unpack(">I", data[pos + 4:pos + 8])[0]
    assert flags & 1, "the Xing header has a frame count to falsify"
    data[pos + 8:pos + 12] = struct.pack(">I", 0x0FFFFFFF)
    return bytes(data)


def write_silent_hour(path: Path, seconds: int = 3600, rate: int = RATE) -> Path:
    """A 1-hour silent mono 16-bit WAV, written block by block (never held in memory)."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        block = b"\x00\x00" * rate * 10
        for _ in range(seconds // 10):
            w.writeframes(block)
    return path


def build(folder: Path, *, include_hour: bool = False) -> list[Entry]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    good = wav_bytes(tone())
    entries: list[Entry] = []

    def add(key, data: bytes, filename, ctype, expect, codes=(), note=""):
        path = folder / f"{key}.bin"
        path.write_bytes(data)
        entries.append(Entry(key, path, filename, ctype, expect, frozenset(codes), note))

    add("text_named_wav", b"This is a text file pretending to be audio.\n" * 200, "take.wav", "audio/wav", "reject",
        {"not_audio"}, "non-audio bytes named .wav")
    add("html_as_webm", b"<!DOCTYPE html><html><body><script>alert('x')</script></body></html>\n" * 50,
        "take.webm", "audio/webm", "reject", {"not_audio"}, "HTML sent as audio/webm")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 200
    add("png_as_webm", png, "take.webm", "audio/webm", "reject", {"not_audio"}, "PNG sent as audio/webm")
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("take.wav", good)
    add("zip", zbuf.getvalue(), "take.wav", "application/zip", "reject", {"not_audio"}, "a zip holding a WAV")
    add("empty", b"", "take.wav", "audio/wav", "reject", {"empty"}, "0 bytes")
    add("truncated_wav", good[: len(good) * 6 // 10], "take.wav", "audio/wav", "reject", {"truncated", "corrupt"},
        "a WAV cut at 60 %")
    add("wav_ffffffff", with_declared_size(good, 0xFFFFFFFF), "take.wav", "audio/wav", "reject",
        {"bad_header", "truncated", "corrupt"}, "data chunk declaring 0xFFFFFFFF bytes")
    add("mp3_huge_duration", mp3_with_huge_duration(folder), "take.mp3", "audio/mpeg", "reject", {"too_long"},
        "MP3 whose Xing header claims 6.4 million seconds")
    add("eight_channels", wav_bytes(tone(channels=8)), "take.wav", "audio/wav", "reject", {"too_many_channels"},
        "8 channels")
    add("rate_8k", wav_bytes(tone(rate=8000), rate=8000), "take.wav", "audio/wav", "reject", {"low_sample_rate"},
        "8 kHz")
    nan = tone().copy()
    nan[1000:1100] = np.nan
    add("float_nan", wav_bytes(nan, subtype="FLOAT"), "take.wav", "audio/wav", "reject", {"invalid_samples"},
        "32-bit float WAV with NaN samples")
    inf = tone().copy()
    inf[2000] = np.inf
    add("float_inf", wav_bytes(inf, subtype="FLOAT"), "take.wav", "audio/wav", "reject", {"invalid_samples"},
        "32-bit float WAV with an infinite sample")
    # Good audio with hostile names: accepted, stored under a generated name.
    add("double_extension", good, "take.wav.html", "text/html", "accept", note="double extension")
    add("nul_in_name", good, "ta\x00ke.wav", "audio/wav", "accept", note="NUL byte in the name")
    add("dotdot_name", good, "../../../../etc/cron.d/take.wav", "audio/wav", "accept", note="../ in the name")
    add("long_name", good, ("n" * 300) + ".wav", "audio/wav", "accept", note="a 304-byte name")
    add("unicode_name", good, "録音 تسجيل 🎤 Ωmega.wav", "audio/wav", "accept", note="Unicode name (CJK, RTL, emoji)")
    if include_hour:
        path = write_silent_hour(folder / "silent_hour.bin")
        entries.append(Entry("silent_hour", path, "hour.wav", "audio/wav", "reject", frozenset({"too_long"}),
                             "1 hour of silence (345 MB): refused by its header for takes, never loaded whole"))
    return entries


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
    for e in build(out, include_hour="--hour" in sys.argv):
        print(f"{e.key:20} {e.expect:7} {e.path.stat().st_size:>10} B  {e.note}")
