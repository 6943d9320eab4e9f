"""The encrypted backup archive: a stream of Fernet-encrypted frames in one storage object.

Fernet has no streaming mode, so files are cut into 4 MiB chunks, each its own token:
memory stays flat for 1.5 GB recordings. Frame = 4-byte big-endian length + token; the
decrypted payload starts with a type byte: ``H`` file header (JSON), ``D`` data, ``E`` file
end (JSON with size and sha256), ``M`` the manifest (JSON: rows and files), always last.
"""
from __future__ import annotations

import base64
import hashlib
import json
import struct
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

MAGIC = b"VMDELBAK1\n"
CHUNK = 4 * 1024 * 1024


class ArchiveError(Exception):
    """The archive is unreadable, tampered with or encrypted with another key."""


def fernet() -> Fernet:
    """``DELETION_BACKUP_KEY`` when set, otherwise a key derived from SECRET_KEY."""
    key = settings.DELETION_BACKUP_KEY
    if not key:
        digest = hashlib.sha256(b"voicemanager.deletion-backup:" + settings.SECRET_KEY.encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key)


class Writer:
    def __init__(self, out: BinaryIO):
        self.out, self.f = out, fernet()
        out.write(MAGIC)

    def frame(self, kind: bytes, payload: bytes) -> None:
        token = self.f.encrypt(kind + payload)
        self.out.write(struct.pack(">I", len(token)) + token)

    def add_file(self, key: str, src: BinaryIO) -> dict:
        """Copy one stored object into the archive; returns ``{key, size, sha256}``."""
        self.frame(b"H", json.dumps({"key": key}).encode())
        sha, size = hashlib.sha256(), 0
        while chunk := src.read(CHUNK):
            sha.update(chunk)
            size += len(chunk)
            self.frame(b"D", chunk)
        entry = {"key": key, "size": size, "sha256": sha.hexdigest()}
        self.frame(b"E", json.dumps(entry).encode())
        return entry

    def finish(self, manifest: dict) -> None:
        self.frame(b"M", json.dumps(manifest).encode())
        self.out.flush()


def frames(fh: BinaryIO) -> Iterator[tuple[bytes, bytes]]:
    f = fernet()
    fh.seek(0)
    if fh.read(len(MAGIC)) != MAGIC:
        raise ArchiveError("Not a deletion backup archive.")
    while head := fh.read(4):
        if len(head) != 4:
            raise ArchiveError("Truncated archive.")
        (length,) = struct.unpack(">I", head)
        token = fh.read(length)
        if len(token) != length:
            raise ArchiveError("Truncated archive.")
        try:
            payload = f.decrypt(token)
        except InvalidToken as exc:
            raise ArchiveError("The archive cannot be decrypted with the configured key.") from exc
        yield payload[:1], payload[1:]


def read_manifest(fh: BinaryIO) -> dict:
    """Decrypt every frame (authenticating the whole archive) and return the manifest."""
    manifest = None
    for kind, payload in frames(fh):
        if kind == b"M":
            manifest = json.loads(payload)
    if manifest is None:
        raise ArchiveError("The archive has no manifest (incomplete write).")
    return manifest


def iter_files(fh: BinaryIO) -> Iterator[tuple[dict, BinaryIO]]:
    """Yield ``(entry, temp file positioned at 0)`` for each file, checking size and sha256."""
    current = None
    for kind, payload in frames(fh):
        if kind == b"H":
            current = (json.loads(payload)["key"], tempfile.TemporaryFile(), hashlib.sha256())
        elif kind == b"D" and current:
            current[1].write(payload)
            current[2].update(payload)
        elif kind == b"E" and current:
            entry = json.loads(payload)
            if entry["key"] != current[0] or entry["sha256"] != current[2].hexdigest():
                raise ArchiveError(f"Checksum mismatch for {entry['key']} in the archive.")
            tmp = current[1]
            tmp.seek(0)
            yield entry, tmp
            tmp.close()
            current = None
