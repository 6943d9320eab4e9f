"""Probe, validate, decode and convert audio by content, streaming.

WAV/FLAC are read with soundfile (libsndfile) block by block; anything else
(MP3, WebM/Opus, Ogg, M4A) goes through an ``ffmpeg ... -f f32le -`` pipe. Every
subprocess has a time limit, so a hostile file cannot hang a worker, and no
function loads a whole file: memory stays flat for a 1-hour recording.
"""
from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from .hashing import atomic_path

FFPROBE_TIMEOUT_S = 20
# Decoding runs at hundreds of times real time; this bounds a 1-hour file with margin.
FFMPEG_TIMEOUT_S = 600
DEFAULT_BLOCK_S = 10.0
MAX_CHANNELS = 2

_SUBTYPE_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32, "DOUBLE": 64}
_LOSSY_CODECS = {"mp3", "opus", "vorbis", "aac", "mp2", "wmav2", "amr_nb", "amr_wb"}


class AudioError(ValueError):
    """An error with a code and a ``message`` meant for a person (the upload answers carry both)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


class AudioRejected(AudioError):
    """Input that is not acceptable audio."""


@dataclass(frozen=True)
class AudioInfo:
    format_name: str  # container: wav, flac, mp3, webm, ogg, ...
    codec: str  # pcm_s16le, pcm_s24le, pcm_f32le, flac, opus, mp3, ...
    duration_s: float
    sample_rate: int
    channels: int
    bit_depth: int | None  # None for lossy codecs
    size_bytes: int
    frames: int

    def as_dict(self) -> dict:
        return asdict(self)


# --- sniffing --------------------------------------------------------------

def sniff(head: bytes) -> str | None:
    """Name the container from its first bytes; None if it is not a known audio type."""
    if head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"\x1aE\xdf\xa3":
        return "webm"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0):
        return "mp3"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    return None


def _describe_non_audio(head: bytes) -> str:
    h = head.lstrip()[:64].lower()
    if h.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")):
        return "a web page (HTML), not audio"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "a PNG image, not audio"
    if head[:3] == b"\xff\xd8\xff":
        return "a JPEG image, not audio"
    if head[:4] == b"PK\x03\x04":
        return "a zip archive (or office document), not audio"
    if head[:4] == b"%PDF":
        return "a PDF document, not audio"
    if h[:1] in (b"{", b"["):
        return "a text/JSON file, not audio"
    return "not a recognised audio format"


def _read_head(path: Path, n: int = 64) -> bytes:
    with open(path, "rb") as f:
        return f.read(n)


def _wav_data_chunk(path: Path) -> tuple[int, int] | None:
    """Return (offset, declared size) of the RIFF ``data`` chunk, or None if absent."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(12)
        if head[:4] != b"RIFF":
            return None  # RF64/BW64 keep real sizes in ds64; libsndfile checks those
        pos = 12
        for _ in range(64):  # a real WAV has a handful of chunks
            f.seek(pos)
            hdr = f.read(8)
            if len(hdr) < 8:
                return None
            cid, csize = hdr[:4], struct.unpack("<I", hdr[4:])[0]
            if cid == b"data":
                return pos + 8, csize
            pos += 8 + csize + (csize & 1)
            if pos > size:
                return None
    return None


# --- probing ---------------------------------------------------------------

def _run(cmd: list[str], timeout: float) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise AudioRejected("timeout", "The file took too long to read; it may be damaged.") from exc


def _probe_soundfile(path: Path, fmt: str) -> AudioInfo:
    info = sf.info(str(path))
    bits = _SUBTYPE_BITS.get(info.subtype)
    codec = {"FLOAT": "pcm_f32le", "DOUBLE": "pcm_f64le"}.get(info.subtype, f"pcm_s{bits}le" if bits else info.subtype.lower())
    if fmt == "flac":
        codec = "flac"
    return AudioInfo(
        format_name=fmt,
        codec=codec,
        duration_s=info.frames / info.samplerate if info.samplerate else 0.0,
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        bit_depth=bits,
        size_bytes=path.stat().st_size,
        frames=int(info.frames),
    )


def _probe_ffprobe(path: Path, fmt: str | None) -> AudioInfo:
    cmd = ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
           "-select_streams", "a:0", str(path)]
    res = _run(cmd, FFPROBE_TIMEOUT_S)
    try:
        data = json.loads(res.stdout or b"{}")
    except ValueError:
        data = {}
    streams = data.get("streams") or []
    if res.returncode != 0 or not streams:
        raise AudioRejected("not_audio", "This file has no audio we can read.")
    st = streams[0]
    fmt_block = data.get("format") or {}
    rate = int(st.get("sample_rate") or 0)
    duration = st.get("duration") or fmt_block.get("duration")
    duration_s = float(duration) if duration not in (None, "N/A") else 0.0
    codec = st.get("codec_name") or "unknown"
    bits = None
    if codec not in _LOSSY_CODECS:
        bits = int(st.get("bits_per_raw_sample") or st.get("bits_per_sample") or 0) or None
    return AudioInfo(
        format_name=fmt or (fmt_block.get("format_name") or "unknown").split(",")[0],
        codec=codec,
        duration_s=duration_s,
        sample_rate=rate,
        channels=int(st.get("channels") or 0),
        bit_depth=bits,
        size_bytes=path.stat().st_size,
        frames=int(round(duration_s * rate)),
    )


def probe(path: str | os.PathLike) -> AudioInfo:
    """Describe an audio file by its content (magic bytes), not its name.

    For WebM/Opus from a browser the duration is often missing from the header;
    ``duration_s``/``frames`` are then 0 until the file is decoded (``validate``
    fills them in by decoding).
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise AudioRejected("empty", "The file is empty (0 bytes). Please record or upload again.")
    fmt = sniff(_read_head(path))
    if fmt in ("wav", "flac", "aiff"):
        try:
            return _probe_soundfile(path, fmt)
        except (RuntimeError, sf.LibsndfileError) as exc:
            raise AudioRejected("corrupt", f"The {fmt.upper()} file is damaged and cannot be read ({exc}).") from exc
    if fmt is None:
        raise AudioRejected("not_audio", f"This file is {_describe_non_audio(_read_head(path))}.")
    return _probe_ffprobe(path, fmt)


# --- decoding --------------------------------------------------------------

def _uses_soundfile(path: Path) -> bool:
    return sniff(_read_head(path)) in ("wav", "flac", "aiff")


def _iter_soundfile(path: Path, block: int, mono: bool) -> Iterator[np.ndarray]:
    with sf.SoundFile(str(path)) as f:
        while True:
            data = f.read(block, dtype="float32", always_2d=True)
            if not len(data):
                return
            yield data.mean(axis=1, dtype=np.float32) if mono else data


def _iter_ffmpeg(path: Path, block_s: float, mono: bool, sample_rate: int | None,
                 channels: int, timeout: float) -> Iterator[np.ndarray]:
    out_ch = 1 if mono else channels
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", "-vn"]
    if sample_rate:
        cmd += ["-ar", str(sample_rate)]
    cmd += ["-ac", str(out_ch), "-f", "f32le", "-acodec", "pcm_f32le", "-"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    timer = threading.Timer(timeout, proc.kill)  # a stuck decoder cannot hang the worker
    timer.start()
    stderr_chunks: list[bytes] = []
    err_thread = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read(65536)), daemon=True)
    err_thread.start()
    rate = sample_rate or 48000
    nbytes = max(1, int(block_s * rate)) * 4 * out_ch
    try:
        pending = b""
        while True:
            chunk = proc.stdout.read(nbytes)
            if not chunk:
                break
            chunk = pending + chunk
            usable = len(chunk) - len(chunk) % (4 * out_ch)
            pending = chunk[usable:]
            arr = np.frombuffer(chunk[:usable], dtype="<f4")
            yield arr if mono else arr.reshape(-1, out_ch)
        rc = proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    err_thread.join(1)
    if rc != 0:
        if rc < 0:
            raise AudioRejected("timeout", "Decoding took too long; the file may be damaged.")
        msg = b"".join(stderr_chunks).decode(errors="replace").strip().splitlines()
        raise AudioRejected("corrupt", "The audio could not be decoded" + (f" ({msg[-1][:200]})." if msg else "."))


def iter_blocks(path: str | os.PathLike, block_s: float = DEFAULT_BLOCK_S, mono: bool = True,
                sample_rate: int | None = None, timeout: float = FFMPEG_TIMEOUT_S) -> Iterator[np.ndarray]:
    """Yield float32 blocks of about ``block_s`` seconds.

    Mono blocks are 1-D; with ``mono=False`` they are (frames, channels). WAV/FLAC at
    their own rate stream through soundfile; other formats, or a different
    ``sample_rate``, stream through an ffmpeg pipe with a time limit.
    """
    path = Path(path)
    if _uses_soundfile(path) and sample_rate is None:
        info = sf.info(str(path))
        yield from _iter_soundfile(path, max(1, int(block_s * info.samplerate)), mono)
        return
    channels = 1 if mono else max(1, probe(path).channels)
    if sample_rate is None:
        sample_rate = probe(path).sample_rate or 48000
    yield from _iter_ffmpeg(path, block_s, mono, sample_rate, channels, timeout)


def read_all(path: str | os.PathLike, mono: bool = True, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Decode a whole (short) file into memory; use ``iter_blocks`` for long files."""
    rate = sample_rate or probe(path).sample_rate
    blocks = list(iter_blocks(path, mono=mono, sample_rate=sample_rate))
    if not blocks:
        return np.zeros(0 if mono else (0, 1), np.float32), rate
    return np.concatenate(blocks), rate


def to_wav(src: str | os.PathLike, dst: str | os.PathLike, *, sample_rate: int | None = None,
           subtype: str = "PCM_24", mono: bool = False) -> AudioInfo:
    """Convert any readable audio to WAV, streaming, and write it atomically.

    Used when a browser sends WebM/Opus. Channels are kept unless ``mono`` (Chromium's
    MediaRecorder writes a mono microphone as two-channel Opus); returns the new file's info.
    """
    src, dst = Path(src), Path(dst)
    if dst.exists() and dst.resolve() == src.resolve():
        raise ValueError("to_wav would overwrite its source")
    info = probe(src)
    rate = sample_rate or info.sample_rate
    channels = 1 if mono else max(1, info.channels)
    with atomic_path(dst, suffix=".wav") as tmp:
        with sf.SoundFile(str(tmp), "w", samplerate=rate, channels=channels, subtype=subtype, format="WAV") as out:
            for block in iter_blocks(src, mono=mono, sample_rate=sample_rate):
                out.write(np.clip(block, -1.0, 1.0))
    return probe(dst)


# --- validation ------------------------------------------------------------

def validate(path: str | os.PathLike, *, max_bytes: int = 2 * 1024**3, min_s: float = 0.5,
             max_s: float = 4 * 3600.0, min_rate: int = 16000) -> AudioInfo:
    """Check that a file is real, whole, sane audio; raise ``AudioRejected`` if not.

    Decodes the whole file once (streaming) to catch truncation, corruption and
    NaN/inf samples, and returns the measured ``AudioInfo``.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioRejected("missing", "The file was not found.")
    size = path.stat().st_size
    if size == 0:
        raise AudioRejected("empty", "The file is empty (0 bytes). Please record or upload again.")
    if size > max_bytes:
        raise AudioRejected("too_large", f"The file is {size / 1e6:.0f} MB; the limit is {max_bytes / 1e6:.0f} MB.")
    head = _read_head(path)
    fmt = sniff(head)
    if fmt is None:
        raise AudioRejected("not_audio", f"This file is {_describe_non_audio(head)}. Please send WAV, FLAC, MP3 or WebM/Opus audio.")
    if fmt == "wav":
        chunk = _wav_data_chunk(path)
        if chunk is None:
            raise AudioRejected("corrupt", "The WAV file has no audio data chunk; it is damaged or incomplete.")
        offset, declared = chunk
        actual = size - offset
        if declared in (0xFFFFFFFF, 0xFFFFFFFE) or declared > max_bytes:
            raise AudioRejected("bad_header", "The WAV header claims an impossible data size "
                                f"({declared} bytes); the recording was not finished properly.")
        if declared > actual:
            raise AudioRejected("truncated", f"The WAV file is cut short: the header promises {declared} bytes "
                                f"of audio but only {actual} are there. Please upload it again.")
    info = probe(path)
    if info.channels < 1 or info.sample_rate <= 0:
        raise AudioRejected("not_audio", "This file has no audio stream.")
    if info.channels > MAX_CHANNELS:
        raise AudioRejected("too_many_channels", f"The file has {info.channels} channels; please send mono or stereo.")
    if info.sample_rate < min_rate:
        raise AudioRejected("low_sample_rate", f"The sample rate is {info.sample_rate} Hz; at least {min_rate} Hz is needed "
                            "(44.1 or 48 kHz expected). Check your recorder settings.")
    if info.duration_s > max_s * 1.5 + 60:  # header says far too long: refuse before decoding
        raise AudioRejected("too_long", f"The recording is {info.duration_s:.0f} s; the limit is {max_s:.0f} s.")
    frames = 0
    try:
        for block in iter_blocks(path, mono=False):
            if not np.isfinite(block).all():
                raise AudioRejected("invalid_samples", "The audio contains invalid samples (NaN or infinity); "
                                    "the file is damaged.")
            frames += len(block)
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise AudioRejected("corrupt", f"The audio could not be decoded ({exc}).") from exc
    if frames == 0:
        raise AudioRejected("empty", "The file contains no audio samples.")
    if info.frames and fmt in ("wav", "flac", "aiff") and frames < info.frames:
        raise AudioRejected("truncated", "The audio stops before the end the header promises; the file is cut short.")
    duration = frames / info.sample_rate
    if duration < min_s:
        raise AudioRejected("too_short", f"The recording is only {duration:.2f} s long; at least {min_s:g} s is needed.")
    if duration > max_s:
        raise AudioRejected("too_long", f"The recording is {duration:.0f} s long; the limit is {max_s:.0f} s.")
    return AudioInfo(**{**info.as_dict(), "duration_s": duration, "frames": frames})


def ffmpeg_available() -> bool:
    return shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None
