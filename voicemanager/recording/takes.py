"""Choosing takes: submit the preferred take of a section, delete a take, finish the task.

Submitting locks the task row (``select_for_update``) so two tabs cannot submit two
takes of one section at once; the partial unique constraint on ``Take`` is the last
line of defence. The submitted take is copied into the organisation's file manager
under the task's path (``001_<section-slug>.wav``); choosing another take later puts
the new bytes into the same file-manager entry, so its id stays valid.
"""
from __future__ import annotations

import logging

from django.core.files import File
from django.db import transaction
from django.utils.text import slugify

from voicemanager.core import audit, outbox
from voicemanager.core.emails import email_job, send_after_commit, send_templated_email
from voicemanager.core.links import site_url
from voicemanager.models import AudioFile, RecordingTask, Section, Take
from voicemanager.recording import reviews

log = logging.getLogger(__name__)

EDITABLE = (RecordingTask.Status.INVITED, RecordingTask.Status.ACCEPTED, RecordingTask.Status.RECORDING,
            RecordingTask.Status.SUBMITTED, RecordingTask.Status.CHANGES_REQUESTED)


class TakeError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def file_name_for(section: Section, width: int = 3) -> str:
    """``001_the-quick-brown-fox.wav``: the number keeps section order in a plain listing."""
    slug = slugify(section.text)[:48].strip("-") or "section"
    return f"{section.position:0{width}d}_{slug}.wav"


def _width(task: RecordingTask) -> int:
    last = task.script.sections.order_by("-position").values_list("position", flat=True).first() or 0
    return max(3, len(str(last)))


def _locked_take(task: RecordingTask, take_pk: int) -> tuple[RecordingTask, Take]:
    task = RecordingTask.objects.select_for_update().get(pk=task.pk)
    if task.status not in EDITABLE:
        raise TakeError("task_closed", "This task is being processed; its takes can no longer be changed.")
    take = Take.objects.select_for_update().filter(pk=take_pk, task=task).first()
    if take is None or take.kind != Take.Kind.TAKE:
        raise TakeError("not_found", "That take does not exist.")
    return task, take


def submit_take(task: RecordingTask, take: Take, *, user=None) -> bool:
    """Make ``take`` the section's preferred take; return True when this finished the task.

    The previous choice goes back to "recorded" (history is kept). The file manager
    entry is created or updated, the file worker is queued on commit, and when every
    section has a submitted take the task is submitted and the admins are emailed.
    """
    with transaction.atomic():
        task, take = _locked_take(task, take.pk)
        if take.status == Take.Status.DELETED:
            raise TakeError("deleted", "A deleted take cannot be submitted; record a new one.")
        if take.status == Take.Status.SUBMITTED:
            return False
        previous = Take.objects.filter(task=task, section=take.section, status=Take.Status.SUBMITTED).first()
        if previous is None and (paused := reviews.screening_blocks(task, take.section)):
            raise TakeError("screening", paused)
        audio = previous.audio_file if previous else None
        if previous:
            previous.mark_recorded()
        take.mark_submitted(_publish(task, take, audio, user))
        n_sections = task.script.sections.count()
        n_submitted = Take.objects.filter(task=task, kind=Take.Kind.TAKE, status=Take.Status.SUBMITTED).count()
        all_in = n_submitted >= n_sections
        answered_all = reviews.on_take_submitted(task, take, all_submitted=all_in)
        if task.status == RecordingTask.Status.CHANGES_REQUESTED:  # other retake requests are still open
            finished = False
        else:
            finished = all_in and (answered_all or task.status != RecordingTask.Status.SUBMITTED)
        task.submit_take(finished=finished)
        reviews.after_submit_screening(task, n_submitted)
        audit.record("take.submitted", actor=user, organisation=task.organisation, target=take,
                     task=task.public_id, section=take.section.position, file=take.audio_file.public_id,
                     replaced=previous.public_id if previous else "")
        audio_pk = take.audio_file.pk
        outbox.enqueue("tasks.files.process_new_file", audio_pk)
        if finished:
            audit.record("task.submitted", actor=user, organisation=task.organisation, target=task)
            # robust: the submission is committed; a mail or status hiccup must not turn it into an error
            send_after_commit(notify_admins_task_submitted, task.pk)
            transaction.on_commit(lambda: _refresh_status(task.pk), robust=True)
    return finished


def _refresh_status(task_pk: int) -> None:
    """Every take may already be processed by the time the last one is submitted."""
    from voicemanager.files.denoising import refresh_task_status

    refresh_task_status(task_pk, mark_processing=False)


def copy_to_file_manager(take: Take, audio: AudioFile) -> AudioFile:
    """Give ``audio`` its own copy of the take's bytes and figures, and save it: the one way a take
    becomes a file-manager file (submitted takes, consent statements, room tone)."""
    with take.file.open("rb") as src:
        audio.file.save(f"{audio.public_id}.wav", File(src), save=False)
    audio.size, audio.sha256, audio.duration = take.size, take.sha256, take.duration
    audio.sample_rate, audio.channels, audio.bit_depth = take.sample_rate, take.channels, take.bit_depth
    audio.save()
    return audio


def _publish(task: RecordingTask, take: Take, audio: AudioFile | None, user) -> AudioFile:
    """Copy the take's bytes into the file manager (new entry, or the section's existing one)."""
    stale: list[str] = []
    if audio is None:
        audio = AudioFile(organisation=task.organisation, source=AudioFile.Source.BOOTH, created_by=user)
    else:
        stale.append(audio.file.name)
        for derived in audio.derivatives.all():  # denoised from the old bytes: no longer true
            stale.append(derived.file.name)
            derived.delete()
        audio.qc, audio.analysis_state, audio.analysis_error = {}, AudioFile.Analysis.PENDING, ""
    audio.path = task.file_path.strip("/")
    audio.name = file_name_for(take.section, _width(task))
    audio.task, audio.speaker, audio.derived_from = task, task.speaker, None
    audio.transcript = take.section.text
    audio.label = f"Section {take.section.position}"
    copy_to_file_manager(take, audio)
    storage = audio.file.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in stale if name and name != audio.file.name])
    return audio


def delete_take(task: RecordingTask, take: Take, *, user=None) -> None:
    """Mark a take deleted (kept in history). The submitted take must be replaced first."""
    with transaction.atomic():
        task, take = _locked_take(task, take.pk)
        if take.status == Take.Status.SUBMITTED:
            raise TakeError("submitted", "This is the submitted take. Submit another take first, then delete this one.")
        if take.status == Take.Status.DELETED:
            return
        take.mark_deleted()
        audit.record("take.deleted", actor=user, organisation=task.organisation, target=take, task=task.public_id)


@email_job
def notify_admins_task_submitted(task_pk: int) -> int:
    """Email every admin of the task's organisation that the recordings are in; return how many."""
    task = RecordingTask.objects.select_related("organisation", "script", "speaker").get(pk=task_pk)
    emails = task.organisation.admin_emails()
    if not emails:
        return 0
    ctx = {
        "task": task, "organisation": task.organisation, "script": task.script,
        "speaker_name": (task.speaker.full_name or task.speaker.email) if task.speaker else task.contractor_email,
        "n_sections": task.script.sections.count(),
        "seconds": sum(Take.objects.filter(task=task, kind=Take.Kind.TAKE, status=Take.Status.SUBMITTED)
                       .values_list("duration", flat=True)),
        "task_url": site_url("task_detail", task.public_id),
        "files_path": task.file_path.strip("/"),
    }
    send_templated_email("task_submitted", ctx, emails)  # a failure is retried through the outbox
    return len(emails)


def seconds_recorded(task: RecordingTask) -> float:
    return sum(Take.objects.filter(task=task, kind=Take.Kind.TAKE).exclude(status=Take.Status.DELETED)
               .values_list("duration", flat=True))
