"""Browser: the admin builds the finished set on the task page, watches it being packaged by a real worker,
and downloads the zip: the provider's package with checksums, the clipped take set aside."""
from __future__ import annotations

import hashlib
import json
import zipfile

import pytest
from playwright.sync_api import expect

from e2e.booth_fixtures import logged_in_context
from voicemanager.models import AudioFile, RecordingTask
from voicemanager.tests.cloning_fixtures import booth_takes
from voicemanager.tests.test_quality_gate import CLIPPED

pytestmark = pytest.mark.e2e
WAIT = 60_000


def test_the_admin_builds_and_downloads_the_set_from_the_task_page(live_server, transactional_db, cast,
                                                                   launch_browser, celery_worker, tmp_path):
    task = cast.task_a
    files = booth_takes(task, 10.0)
    AudioFile.objects.filter(pk=files[1].pk).update(qc=CLIPPED)
    RecordingTask.objects.filter(pk=task.pk).update(status=RecordingTask.Status.REVIEW)
    browser = launch_browser()
    context = logged_in_context(browser, live_server, cast.admin_x)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/vm/tasks/{task.public_id}/")

    page.click("[data-testid=export-start]")
    # The answer is the packaging panel with its progress (it asks again every second) until the link is there.
    expect(page.locator("[data-testid=export-progress]")).to_be_visible(timeout=WAIT)
    assert page.locator("#export progress").count() == 1
    ready = page.locator("[data-testid=export-ready]")
    expect(ready).to_be_visible(timeout=WAIT)
    assert "2 audio files" in ready.inner_text()

    with page.expect_download(timeout=WAIT) as info:
        ready.locator("a").click()
    path = tmp_path / "set.zip"
    info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for entry in manifest["files"]:
            assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
        assert len(archive.read("metadata.csv").decode().splitlines()) == 2
    assert [d["fileId"] for d in manifest["discardedFiles"]] == [files[1].public_id]
    assert not errors, errors
