"""The organisation's admins are emailed once when a submitted task's files are all processed (task → ready)."""
from __future__ import annotations

import threading
import uuid

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from e2e.services import message_html, message_text, speech_wav
from tasks import files as jobs
from voicemanager.files import denoising
from voicemanager.models import AudioFile, AuditEvent, RecordingTask, Take
from voicemanager.tests.factories import MembershipFactory, UserFactory


def take_file(task: RecordingTask, position: int, data: bytes = b"RIFF" + bytes(40),
              state: str = AudioFile.Analysis.DONE, qc: dict | None = None) -> AudioFile:
    """A submitted booth take and its file-manager entry, as the booth creates them."""
    section = task.script.sections.get(position=position)
    af = AudioFile(organisation=task.organisation, path=task.file_path, name=f"{position:03d}_take.wav",
                   source=AudioFile.Source.BOOTH, task=task, speaker=task.speaker, analysis_state=state,
                   qc=qc or {"summary": "ok"})
    af.file.save("take.wav", ContentFile(data), save=False)
    af.save()
    Take.objects.create(task=task, section=section, client_id=uuid.uuid4(), file=af.file.name, size=len(data),
                        sha256="0" * 64, status=Take.Status.SUBMITTED, audio_file=af, submitted_at=timezone.now())
    return af


def submitted(task: RecordingTask, sections: int) -> RecordingTask:
    """The task as the booth leaves it when every section is in: its script cut to ``sections``
    sections, one take each (ready needs a take for every section)."""
    task.script.sections.filter(position__gt=sections).delete()
    RecordingTask.objects.filter(pk=task.pk).update(status=RecordingTask.Status.SUBMITTED)
    return task


def ready_mails(mail) -> list:
    return [m for m in mail.messages if "are processed" in (m["Subject"] or "")]


def test_admins_get_one_email_with_the_task_link_when_the_task_becomes_ready(cast, mail, settings,
                                                                             django_capture_on_commit_callbacks):
    task = submitted(cast.task_a, sections=2)
    take_file(task, 1)
    take_file(task, 2, qc={"summary": "warn"})
    second_admin = UserFactory(email="second-admin-x@example.com")
    MembershipFactory(user=second_admin, organisation=cast.org_x, role="admin")
    with django_capture_on_commit_callbacks(execute=True):
        assert denoising.refresh_task_status(task.pk) == "ready"
    with django_capture_on_commit_callbacks(execute=True):
        assert denoising.refresh_task_status(task.pk) == "ready"  # a second worker finishing: no second email
    messages = mail.wait_for("admin-x@example.com")
    mail.wait_for("second-admin-x@example.com")
    assert len(ready_mails(mail)) == 1
    msg = ready_mails(mail)[0]
    url = f"{settings.SITE_URL.rstrip('/')}/vm/tasks/{task.public_id}/"
    assert task.script.title in msg["Subject"]
    assert url in message_text(msg) and f'href="{url}"' in message_html(msg)
    assert "2 recordings" in message_text(msg) and "1 file has quality warnings" in message_text(msg)
    assert messages[0] is msg
    recipients = (msg["X-Envelope-To"] or "").lower()
    for nobody in ("member-x@example.com", "admin-y@example.com", cast.contractor_a.email):
        assert nobody not in recipients
    assert AuditEvent.objects.filter(action="task.ready", target_id=task.public_id).count() == 1


def test_no_email_while_files_are_still_being_analysed(cast, mail, django_capture_on_commit_callbacks):
    task = submitted(cast.task_a, sections=2)
    take_file(task, 1)
    take_file(task, 2, state=AudioFile.Analysis.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        assert denoising.refresh_task_status(task.pk) == "processing"
    assert not ready_mails(mail) and not AuditEvent.objects.filter(action="task.ready").exists()


def test_no_email_when_the_callers_transaction_rolls_back(cast, mail, django_capture_on_commit_callbacks):
    task = submitted(cast.task_a, sections=1)
    take_file(task, 1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            denoising.refresh_task_status(task.pk)
            raise RuntimeError("the caller failed after the update")
    assert callbacks == []
    task.refresh_from_db()
    assert task.status == RecordingTask.Status.SUBMITTED and not ready_mails(mail)


@pytest.mark.django_db(transaction=True)
def test_two_workers_finishing_at_once_send_one_email(mail):
    """Two threads (two DB connections) race on the conditional update; only the winner emails."""
    from voicemanager.tests.factories import make_cast

    cast = make_cast()
    task = submitted(cast.task_a, sections=1)
    take_file(task, 1)
    barrier, results = threading.Barrier(2), []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(denoising.refresh_task_status(task.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results == ["ready", "ready"]
    mail.wait_for("admin-x@example.com")
    assert len(ready_mails(mail)) == 1
    assert AuditEvent.objects.filter(action="task.ready", target_id=task.public_id).count() == 1


def test_the_last_file_job_of_a_submitted_task_sends_the_email(cast, mail, tmp_path,
                                                                django_capture_on_commit_callbacks):
    """Through the real job: analysing the last take moves the task to ready and emails the admins."""
    cast.org_x.auto_process_takes = False
    cast.org_x.save()
    task = submitted(cast.task_a, sections=2)
    take_file(task, 1)
    wav = speech_wav(tmp_path / "take.wav", "Please call Stella.", pad_s=0.3).read_bytes()
    last = take_file(task, 2, data=wav, state=AudioFile.Analysis.PENDING, qc={})
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.process_new_file.apply(args=[last.pk]).get() == "done"
    task.refresh_from_db()
    assert task.status == RecordingTask.Status.READY
    msg = mail.wait_for("admin-x@example.com")[0]
    assert f"/vm/tasks/{task.public_id}/" in message_text(msg)
