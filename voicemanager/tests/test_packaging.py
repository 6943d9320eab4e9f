"""The package: audio members, checksums, metadata.csv and manifest match the task; joined takes; S3."""
import hashlib
import io
import json
import zipfile

import pytest
import soundfile as sf

from config.celery import app
from voicemanager.cloning import voices as cloning
from voicemanager.models import Voice, VoicePackage
from voicemanager.tests.cloning_fixtures import add_credits, booth_takes, give_full_consent, run_chain


@pytest.fixture
def eager():
    """Run the queued jobs inline (package → forward) so the test reads the result at once."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def finished_task(cast, seconds_each=2.0, denoised=False):
    task = cast.task_a
    task.status = task.Status.SUBMITTED
    task.save()
    add_credits(cast.org_x)
    give_full_consent(task.speaker, cast.org_x, task)
    return task, booth_takes(task, seconds_each, denoised=denoised)


def open_package(voice):
    package = VoicePackage.objects.get(voice=voice)
    with package.file.open("rb") as fh:
        data = fh.read()
    assert hashlib.sha256(data).hexdigest() == package.sha256 and len(data) == package.size
    return package, zipfile.ZipFile(io.BytesIO(data))


def check_package_matches_task(voice, task, takes):
    package, zf = open_package(voice)
    names = zf.namelist()
    assert names[-2:] == ["metadata.csv", "manifest.json"]
    wavs = [n for n in names if n.startswith("wavs/")]
    assert len(wavs) == len(takes)
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest == package.manifest | {"createdAt": manifest["createdAt"]}
    sections = list(task.script.sections.order_by("position"))
    rows = zf.read("metadata.csv").decode().splitlines()
    assert [row.split("|", 1)[1] for row in rows] == [s.text for s in sections]
    for entry, take, row, wav in zip(manifest["files"], takes, rows, wavs, strict=True):
        member = zf.read(entry["name"])
        assert entry["name"] == wav and row.split("|")[0] == entry["id"]
        assert hashlib.sha256(member).hexdigest() == entry["sha256"] == take.sha256
        assert entry["sources"][0]["fileId"] == take.public_id
        assert entry["sampleRate"] == 16000 and entry["durationSeconds"] == pytest.approx(take.duration)
    assert manifest["script"]["id"] == task.script.public_id
    assert manifest["language"] == "en" and manifest["speaker"]["id"] == task.speaker.public_id
    assert {s["document"] for s in manifest["consent"]["signatures"]} == {"terms", "privacy", "acceptable_use"}
    assert manifest["consent"]["consentRecording"]["fileId"] == task.consent_recording.audio.public_id
    assert manifest["qcSummary"] == {"ok": len(takes)}
    return manifest


def test_package_of_a_finished_task_matches_its_takes(cast, eager):
    task, takes = finished_task(cast)
    voice = cloning.request_voice(cast.org_x, cast.admin_x, files=takes, alias="task-a-voice", task=task,
                                  metadata={"gender": "female"})
    # on_commit does not fire inside the test transaction: run the job as the worker would
    from tasks.cloning import package_voice

    run_chain(package_voice, voice.pk)
    voice.refresh_from_db()
    assert voice.stage == Voice.Stage.FORWARDED and voice.status == Voice.Status.PROCESSING
    check_package_matches_task(voice, task, takes)


def test_package_on_real_s3(s3_storage, cast, eager):
    task, takes = finished_task(cast)
    assert "X-Amz" in takes[0].file.url  # the files really live in the bucket
    voice = cloning.request_voice(cast.org_x, cast.admin_x, files=takes, alias="s3-voice", task=task)
    from tasks.cloning import package_voice

    run_chain(package_voice, voice.pk)
    voice.refresh_from_db()
    manifest = check_package_matches_task(voice, task, takes)
    assert manifest["totals"]["files"] == 3


def test_redelivered_package_job_builds_once(cast, eager):
    task, takes = finished_task(cast)
    voice = cloning.request_voice(cast.org_x, cast.admin_x, files=takes, alias="twice", task=task)
    from tasks.cloning import package_voice

    run_chain(package_voice, voice.pk)
    first = VoicePackage.objects.get(voice=voice)
    run_chain(package_voice, voice.pk)
    again = VoicePackage.objects.get(voice=voice)
    assert (again.file.name, again.sha256, again.built_at, again.forward_attempts) == (
        first.file.name, first.sha256, first.built_at, 1)


def test_professional_booth_takes_are_joined_into_10_minute_files_in_section_order(cast, eager):
    from voicemanager.tests.factories import ScriptFactory

    script = ScriptFactory(organisation=cast.org_x, sections=[f"Sentence number {i}." for i in range(1, 8)])
    task = cast.task_a
    task.script = script
    task.status = task.Status.SUBMITTED
    task.save()
    add_credits(cast.org_x)
    give_full_consent(task.speaker, cast.org_x, task)
    takes = booth_takes(task, 300.0)  # 7 × 5 min
    voice = cloning.request_voice(cast.org_x, cast.admin_x, files=list(reversed(takes)), alias="pro-joined",
                                  task=task, voice_type="professional")
    from tasks.cloning import package_voice

    run_chain(package_voice, voice.pk)
    package, zf = open_package(voice)
    manifest = package.manifest
    assert [len(e["sources"]) for e in manifest["files"]] == [2, 2, 3]
    assert [s["fileId"] for e in manifest["files"] for s in e["sources"]] == [t.public_id for t in takes]
    rows = zf.read("metadata.csv").decode().splitlines()
    assert rows[0].split("|")[1] == "Sentence number 1. Sentence number 2."
    for entry in manifest["files"]:
        audio, rate = sf.read(io.BytesIO(zf.read(entry["name"])))
        assert rate == 16000 and len(audio) / rate == pytest.approx(entry["durationSeconds"], abs=0.01)
        assert entry["durationSeconds"] >= 600
        assert hashlib.sha256(zf.read(entry["name"])).hexdigest() == entry["sha256"]


def test_files_deleted_before_packaging_fail_the_voice_with_a_reason(cast, eager):
    task, takes = finished_task(cast)
    voice = cloning.request_voice(cast.org_x, cast.admin_x, files=takes, alias="gone", task=task)
    takes[0].delete()
    from tasks.cloning import package_voice

    run_chain(package_voice, voice.pk)
    voice.refresh_from_db()
    assert voice.status == Voice.Status.FAILED and takes[0].public_id in voice.failure_reason
