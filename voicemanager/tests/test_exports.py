"""The admin downloads a task's finished set (built by a real worker with progress) and starts an instant clone."""
from __future__ import annotations

import io
import json
import time
import zipfile

from booth.tests.helpers import login
from voicemanager.models import AudioFile, AuditEvent, DataSetExport, RecordingTask, Voice
from voicemanager.tests.cloning_fixtures import add_credits, booth_takes, give_full_consent
from voicemanager.tests.test_quality_gate import CLIPPED


def wait_built(task, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        export = DataSetExport.objects.filter(task=task).first()
        if export and export.state in (DataSetExport.State.DONE, DataSetExport.State.FAILED):
            return export
        time.sleep(0.3)
    raise AssertionError(f"export not built: {export}")


def test_admin_downloads_the_usable_takes_as_the_providers_package(cast, celery_worker):
    task = cast.task_a
    files = booth_takes(task, 10.0)
    AudioFile.objects.filter(pk=files[1].pk).update(qc=CLIPPED)
    RecordingTask.objects.filter(pk=task.pk).update(status=RecordingTask.Status.REVIEW)
    admin = login(cast.admin_x)
    assert "Build the download" in admin.get(f"/vm/tasks/{task.public_id}/").content.decode()
    assert login(cast.member_x).post(f"/vm/tasks/{task.public_id}/export").status_code == 403

    r = admin.post(f"/vm/tasks/{task.public_id}/export", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "Packaging" in r.content.decode() and 'hx-trigger="every 1s"' in r.content.decode()
    export = wait_built(task)
    assert export.state == DataSetExport.State.DONE, export.error
    assert (export.done_members, export.total_members) == (2, 2)
    panel = admin.get(f"/vm/tasks/{task.public_id}/export/status").content.decode()
    assert 'data-testid="export-ready"' in panel and "every 1s" not in panel

    assert login(cast.admin_y).get(f"/vm/tasks/{task.public_id}/export/{export.public_id}.zip").status_code == 404
    download = admin.get(f"/vm/tasks/{task.public_id}/export/{export.public_id}.zip")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    manifest = json.loads(archive.read("manifest.json"))
    rows = archive.read("metadata.csv").decode().splitlines()
    sections = list(task.script.sections.order_by("position"))
    assert [row.split("|", 1)[1] for row in rows] == [" ".join(sections[0].text.split()),
                                                      " ".join(sections[2].text.split())]
    import hashlib
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
    assert [(d["fileId"], d["code"]) for d in manifest["discardedFiles"]] == [(files[1].public_id, "clipped")]
    assert manifest["task"] == task.public_id and manifest["purpose"] == "download"
    assert AuditEvent.objects.filter(action="dataset.downloaded", actor=cast.admin_x).exists()


def test_nothing_to_download_is_said_and_creates_nothing(cast):
    task = cast.task_a
    files = booth_takes(task, 10.0)
    AudioFile.objects.filter(pk__in=[f.pk for f in files]).update(qc=CLIPPED)
    r = login(cast.admin_x).post(f"/vm/tasks/{task.public_id}/export", HTTP_HX_REQUEST="true")
    assert r.status_code == 422 and "no take of this task passed QC" in r.content.decode()
    assert not DataSetExport.objects.exists()


def test_instant_clone_from_the_task_page_uses_the_instant_limits(cast):
    task = cast.task_a
    add_credits(cast.org_x)
    give_full_consent(task.speaker, cast.org_x, task)
    booth_takes(task, 10.0)
    RecordingTask.objects.filter(pk=task.pk).update(status=RecordingTask.Status.READY)
    admin = login(cast.admin_x)
    assert "?type=instant" in admin.get(f"/vm/tasks/{task.public_id}/").content.decode()
    page = admin.get(f"/vm/tasks/{task.public_id}/clone/?type=instant").content.decode()
    assert "<h1>Instant clone</h1>" in page and "Create the instant voice" in page
    assert 'name="action" value="submit" disabled' not in page
    r = admin.post(f"/vm/tasks/{task.public_id}/clone/", {"type": "instant", "alias": "quick-jane", "language": "en",
                                                         "gender": "female", "action": "submit"})
    assert r.status_code == 302, r.content.decode()[-2000:]
    voice = Voice.objects.get(alias="quick-jane")
    assert voice.type == "instant" and len(voice.files_used) == 3


def test_instant_clone_from_the_file_manager_selection(cast):
    from voicemanager.tests.cloning_fixtures import make_audio_file, voice_owner

    add_credits(cast.org_x)
    owner = voice_owner(cast.org_x)
    clip = make_audio_file(cast.org_x, 4.0, speaker=owner, qc={"summary": "ok", "verdicts": []})
    clipped = make_audio_file(cast.org_x, 4.0, speaker=owner, qc=CLIPPED, freq=300)
    admin = login(cast.admin_x)
    assert 'name="type" value="instant"' in admin.get(f"/vm/files/?org={cast.org_x.public_id}").content.decode()
    page = admin.get("/vm/files/clone/", {"org": cast.org_x.public_id, "type": "instant",
                                          "files": [clip.public_id, clipped.public_id]}).content.decode()
    assert "<h1>Instant clone</h1>" in page and "1 of 2 files" in page  # the same gate as the API
    r = admin.post("/vm/files/clone/", {"org": cast.org_x.public_id, "type": "instant", "alias": "fm-instant",
                                        "files": [clip.public_id, clipped.public_id], "language": "en",
                                        "gender": "female", "action": "submit",
                                        "include_flagged": [clipped.public_id]})
    assert r.status_code == 302
    voice = Voice.objects.get(alias="fm-instant")
    assert voice.files_used == [clip.public_id, clipped.public_id]
    assert voice.qc_included[0]["fileId"] == clipped.public_id and voice.qc_included[0]["by"] == cast.admin_x.email
    assert AuditEvent.objects.filter(action="file.qc_included", target_id=clipped.public_id,
                                     actor=cast.admin_x).exists()
