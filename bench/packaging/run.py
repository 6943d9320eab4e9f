"""Packaging memory and time: build the package of professional booth sets of 30, 90 and 180 minutes.

Each set is 60-second booth takes (one per section) that the packager joins, in section
order, into 10-minute WAVs, then zips with metadata.csv and manifest.json and saves to
storage. Every size runs in a fresh process on a throwaway SQLite database and media
folder; a sampler thread reads the process's RSS every 10 ms while ``package_voice`` runs.
Flat memory means the peak over the baseline does not grow with the set's length.

    .venv/bin/python bench/packaging/run.py [--rate 16000] [--minutes 30 90 180]

Prints a markdown table and writes results.json next to this file.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE


def one(minutes: int, rate: int) -> dict:
    """Runs inside a fresh process: set up a database, write the takes, build the package."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-pack-"))
    os.environ.update({
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}", "MEDIA_ROOT": str(tmp / "media"), "TESTING": "1",
        "CELERY_TASK_ALWAYS_EAGER": "true", "DJANGO_SETTINGS_MODULE": "config.settings",
    })
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import uuid

    import numpy as np
    import soundfile as sf
    from django.core.management import call_command

    from voicemanager.core.demo import ensure_consent_documents
    from voicemanager.models import AudioFile, Take, Voice, VoicePackage
    from voicemanager.tests.cloning_fixtures import give_full_consent
    from voicemanager.tests.factories import (
        MembershipFactory,
        OrganisationFactory,
        RecordingTaskFactory,
        ScriptFactory,
        UserFactory,
    )

    call_command("migrate", verbosity=0)
    ensure_consent_documents()
    org = OrganisationFactory()
    admin = UserFactory()
    MembershipFactory(user=admin, organisation=org)
    script = ScriptFactory(organisation=org, sections=[f"Sentence {i}." for i in range(1, minutes + 1)])
    task = RecordingTaskFactory(organisation=org, script=script, status="submitted")
    give_full_consent(task.speaker, org, task)
    media = Path(os.environ["MEDIA_ROOT"])
    files = []
    t = np.arange(rate * 60, dtype=np.float32) / rate
    for section in script.sections.order_by("position"):
        x = 0.1 * np.sin(2 * np.pi * (150 + section.position % 50) * t)
        name = f"orgs/{org.public_id}/bench/{section.position:04d}.wav"
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        sf.write(media / name, x, rate, subtype="PCM_16")
        audio = AudioFile.objects.create(
            organisation=org, path=task.file_path, name=f"{section.position:04d}.wav", source="booth", task=task,
            speaker=task.speaker, transcript=section.text, file=name, size=(media / name).stat().st_size,
            duration=60.0, sample_rate=rate, channels=1, bit_depth=16, analysis_state="done",
        )
        Take.objects.create(task=task, section=section, client_id=uuid.uuid4(), file=name, size=audio.size,
                            sha256="", duration=60.0, sample_rate=rate, status="submitted", audio_file=audio)
        files.append(audio)
    voice = Voice.objects.create(organisation=org, alias=f"bench-{minutes}", type="professional", language="en",
                                 files_used=[f.public_id for f in files], task=task, speaker=task.speaker,
                                 provider="operator")
    set_bytes = sum(f.size for f in files)
    del t, x

    from tasks.cloning import package_voice

    baseline = rss_bytes()
    peak = [baseline]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_bytes())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    package_voice(voice.pk)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    package = VoicePackage.objects.get(voice=voice)
    voice.refresh_from_db()
    assert package.built_at, voice.failure_reason
    return {"minutes": minutes, "rate": rate, "takes": len(files), "set_mb": round(set_bytes / 1e6, 1),
            "package_mb": round(package.size / 1e6, 1), "members": len(package.manifest["files"]),
            "seconds": round(elapsed, 2), "baseline_rss_mb": round(baseline / 1e6, 1),
            "peak_over_baseline_mb": round((peak[0] - baseline) / 1e6, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=16000)
    parser.add_argument("--minutes", type=int, nargs="+", default=[30, 90, 180])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.rate)))
        return
    rows = []
    for minutes in args.minutes:
        out = subprocess.run([sys.executable, __file__, "--one", str(minutes), "--rate", str(args.rate)],
                             capture_output=True, text=True, check=True, cwd=ROOT)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| set | takes | audio MB | package MB | files in zip | build s | RSS before MB | peak over it MB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['minutes']} min @ {r['rate']} Hz | {r['takes']} | {r['set_mb']} | {r['package_mb']} | "
              f"{r['members']} | {r['seconds']} | {r['baseline_rss_mb']} | {r['peak_over_baseline_mb']} |")
    (Path(__file__).parent / "results.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
