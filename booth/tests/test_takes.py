"""Choosing takes: submit, replace, delete, finish the task; the booth and consent pages."""
from __future__ import annotations

import hashlib

from django.test import Client

from booth.tests.helpers import form, give_consent, login, tone_wav
from e2e.services import message_text
from tasks.audio.hashing import sha256_file
from voicemanager.models import AudioFile, ConsentSignature, RecordingTask, Take


def record(client, task, section, seconds: float = 1.5) -> Take:
    r = client.post(f"/booth/tasks/{task.public_id}/sections/{section.pk}/takes/", form(tone_wav(seconds)))
    assert r.status_code == 201, r.content
    return Take.objects.get(public_id=r.json()["take_id"])


def submit(client, take, **headers):
    return client.post(f"/booth/tasks/{take.task.public_id}/takes/{take.public_id}/submit/", headers=headers)


def booth_files(task):
    return AudioFile.objects.filter(task=task, source=AudioFile.Source.BOOTH).order_by("name")


def test_submitting_every_section_submits_the_task_files_it_and_emails_the_admins(
        booth, cast, mail, django_capture_on_commit_callbacks):
    task = cast.task_a
    sections = list(task.script.sections.order_by("position"))
    takes = [record(booth, task, s) for s in sections]
    for take in takes[:-1]:
        assert submit(booth, take).status_code == 200
        assert RecordingTask.objects.get(pk=task.pk).status == RecordingTask.Status.RECORDING
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = submit(booth, takes[-1], **{"HX-Request": "true"})
    assert len(callbacks) >= 2  # queue the file worker, email the admins
    assert r.status_code == 200 and b"Every section is submitted" in r.content
    assert r.content.count(b"section is submitted") + r.content.count(b"sections are submitted") == 1  # one line
    task.refresh_from_db()
    assert task.status == RecordingTask.Status.SUBMITTED and task.submitted_at
    files = list(booth_files(task))
    assert [f.name[:4] for f in files] == ["001_", "002_", "003_"]
    assert files[0].name == "001_the-quick-brown-fox-jumps-over-the-lazy-dog.wav"
    for f, s, t in zip(files, sections, takes, strict=True):
        t.refresh_from_db()
        assert t.status == Take.Status.SUBMITTED and t.audio_file_id == f.pk
        assert (f.path, f.transcript, f.speaker_id, f.derived_from_id) == (task.file_path, s.text, cast.speaker_a.pk, None)
        assert f.sha256 == t.sha256 == sha256_file(f.file.path)
    msg = mail.wait_for("admin-x@example.com")[0]
    assert "submitted" in msg["Subject"] and task.public_id in message_text(msg)
    assert not mail.to("admin-y@example.com") and not mail.to("member-x@example.com")


def test_changing_the_submitted_take_keeps_history_and_updates_the_file_manager_entry(booth, cast):
    task = cast.task_a
    section = task.script.sections.order_by("position").first()
    first, second = record(booth, task, section, 1.5), record(booth, task, section, 2.5)
    submit(booth, first)
    entry = booth_files(task).get()
    old_key = entry.file.name
    submit(booth, second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Take.Status.RECORDED, Take.Status.SUBMITTED)
    entry.refresh_from_db()
    assert booth_files(task).count() == 1 and second.audio_file_id == entry.pk
    assert entry.sha256 == second.sha256 == sha256_file(entry.file.path) and entry.file.name != old_key
    assert Take.objects.filter(task=task, section=section, status="submitted").count() == 1


def test_deleting_a_take_keeps_it_in_history_but_not_the_submitted_one(booth, cast):
    task = cast.task_a
    section = task.script.sections.order_by("position").first()
    keep, drop = record(booth, task, section), record(booth, task, section)
    submit(booth, keep)
    r = booth.post(f"/booth/tasks/{task.public_id}/takes/{keep.public_id}/delete/")
    assert r.status_code == 400 and b"Submit another take first" in r.content
    r = booth.post(f"/booth/tasks/{task.public_id}/takes/{drop.public_id}/delete/")
    assert r.status_code == 200
    drop.refresh_from_db()
    assert drop.status == Take.Status.DELETED and drop.deleted_at and drop.file
    assert b"Deleted takes (1)" in r.content
    assert submit(booth, drop).status_code == 400


def test_contractor_cannot_submit_delete_or_play_another_contractors_take(booth, cast):
    take = record(booth, cast.task_a, cast.task_a.script.sections.first())
    other = login(cast.contractor_b)
    base = f"/booth/tasks/{cast.task_a.public_id}/takes/{take.public_id}"
    assert other.post(f"{base}/submit/").status_code == 404
    assert other.post(f"{base}/delete/").status_code == 404
    assert other.get(f"{base}/audio/").status_code == 404
    assert login(cast.admin_x).get(f"{base}/audio/").status_code == 404
    own = booth.get(f"{base}/audio/")
    assert own.status_code == 200 and b"".join(own.streaming_content)[:4] == b"RIFF"
    take.refresh_from_db()
    assert take.status == Take.Status.RECORDED


def test_contractor_cannot_open_other_task(cast):
    assert login(cast.contractor_a).get(f"/booth/tasks/{cast.task_b.public_id}/").status_code == 404
    assert login(cast.contractor_a).get(f"/booth/tasks/{cast.task_y.public_id}/consent/").status_code == 404
    assert login(cast.admin_x).get(f"/booth/tasks/{cast.task_a.public_id}/").status_code == 404
    assert Client().get(f"/booth/tasks/{cast.task_a.public_id}/").status_code == 302


def test_booth_is_locked_until_consent_and_signing_stores_name_ip_agent_version_hash(cast):
    client = login(cast.contractor_a)
    task = cast.task_a
    r = client.get(f"/booth/tasks/{task.public_id}/")
    assert r.status_code == 302 and r["Location"].endswith("/consent/")
    page = client.get(f"/booth/tasks/{task.public_id}/consent/")
    docs = page.context["documents"]
    assert len(docs) == 3
    ids = [str(d.pk) for d in docs]
    r = client.post(f"/booth/tasks/{task.public_id}/consent/",
                    {"action": "sign", "document": ids, "agree": ids[:2], "typed_name": "Ada Lovelace"})
    assert r.status_code == 400 and not ConsentSignature.objects.exists()
    r = client.post(f"/booth/tasks/{task.public_id}/consent/",
                    {"action": "sign", "document": ids, "agree": ids, "typed_name": "  Ada   Lovelace "},
                    headers={"User-Agent": "TestBrowser/1.0"}, REMOTE_ADDR="203.0.113.9")
    assert r.status_code == 302
    sigs = ConsentSignature.objects.filter(speaker=cast.speaker_a)
    assert sigs.count() == 3
    for sig in sigs:
        assert (sig.typed_name, sig.ip_address, sig.user_agent) == ("Ada Lovelace", "203.0.113.9", "TestBrowser/1.0")
        assert (sig.document_version, sig.text_hash) == (sig.document.version, sig.document.text_hash)
    page = client.get(f"/booth/tasks/{task.public_id}/consent/")
    assert "I, Ada Lovelace, am aware that recordings of my voice will be used by Org X" in page.content.decode()
    assert client.get(f"/booth/tasks/{task.public_id}/").status_code == 302  # statement not recorded yet


def test_booth_page_shows_section_k_of_n_and_resumes_where_the_contractor_stopped(booth, cast):
    task = cast.task_a
    r = booth.get(f"/booth/tasks/{task.public_id}/?s=2")
    html = r.content.decode()
    assert "Section 2 of 3" in html and "Please call Stella." in html
    assert "The quick brown fox" in html and "Six spoons" in html  # previous and next, faintly
    r = booth.get(f"/booth/tasks/{task.public_id}/")
    assert "Section 2 of 3" in r.content.decode()
    partial = booth.get(f"/booth/tasks/{task.public_id}/?s=3", headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<div id="panel"') and partial["HX-Push-Url"].endswith("?s=3")


def test_takes_and_file_manager_copies_work_on_s3_storage(cast, s3_storage):
    from django.core.files.storage import default_storage

    client = login(cast.contractor_a)
    give_consent(client, cast.task_a)
    take = record(client, cast.task_a, cast.task_a.script.sections.first())
    assert submit(client, take).status_code == 200
    take.refresh_from_db()
    entry = take.audio_file
    for name, digest in ((take.file.name, take.sha256), (entry.file.name, entry.sha256)):
        with default_storage.open(name, "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest
