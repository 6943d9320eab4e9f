"""Assign a recording task (invite a contractor by email) and manage it: resend, revoke, cancel, extend.

Every function here is one flow: it changes rows in a transaction, writes the audit
event, and sends email only after the transaction commits.
"""
from __future__ import annotations

import logging
import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from voicemanager.core import audit
from voicemanager.core.emails import email_job, send_after_commit, send_templated_email
from voicemanager.core.links import site_url
from voicemanager.models import Invitation, RecordingTask, Script, Speaker, User

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")
MAX_PATH = 300


log = logging.getLogger(__name__)


class AssignmentError(Exception):
    """A request that cannot be done as asked; the message is safe to show."""


# --- email -----------------------------------------------------------------------------------


def invitation_link(invitation: Invitation) -> str:
    return site_url("invitation", invitation.make_token())


@email_job
def send_invitation(invitation_pk: int, task_pk: int) -> None:
    """Email the signed link for the invitation's current nonce, then stamp ``sent_at``."""
    invitation = Invitation.objects.select_related("organisation", "invited_by").get(pk=invitation_pk)
    task = RecordingTask.objects.select_related("script", "organisation").get(pk=task_pk)
    send_templated_email("invitation", {
        "invitation": invitation, "task": task, "link": invitation_link(invitation),
        "expires_at": invitation.expires_at, "inviter": invitation.invited_by,
    }, [invitation.email])
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())


@email_job
def send_task_notice(task_pk: int) -> None:
    """Tell an existing contractor that a new task is in their booth (no link to accept)."""
    task = RecordingTask.objects.select_related("script", "organisation", "created_by").get(pk=task_pk)
    send_templated_email("task_notice", {"task": task, "booth_url": site_url("booth:home")},
                         [task.contractor_email])


# --- validation ------------------------------------------------------------------------------


def default_file_path(script: Script | None, email: str) -> str:
    """``recordings/<script-title>/<contractor>``: readable and unique enough per assignment."""
    script_part = slugify(script.title)[:60] if script else "script"
    person = slugify(re.sub(r"[._+]", "-", (email or "").split("@")[0]))[:60] or "contractor"
    return f"recordings/{script_part or 'script'}/{person}"


def validate_file_path(path: str) -> str:
    """A relative folder inside the file manager: no ``..``, no absolute path, no empty segments."""
    raw = (path or "").strip()
    if not raw:
        raise ValidationError("Give a folder for the recordings.")
    if raw.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", raw):
        raise ValidationError("Use a folder inside the file manager, not an absolute path.")
    if "\\" in raw:
        raise ValidationError("Use / to separate folders.")
    raw = raw.rstrip("/")
    segments = raw.split("/")
    for segment in segments:
        if segment in ("", ".", ".."):
            raise ValidationError("Folder names cannot be empty, '.' or '..'.")
        if not _SEGMENT.match(segment) or segment != segment.strip():
            raise ValidationError(f"“{segment}”: use letters, digits, spaces, dot, dash and underscore only.")
    if len(raw) > MAX_PATH:
        raise ValidationError(f"The folder path is longer than {MAX_PATH} characters.")
    return raw


def validate_due_date(due: date | None) -> date | None:
    if due and due < timezone.localdate():
        raise ValidationError("The due date cannot be in the past.")
    return due


# --- flows -----------------------------------------------------------------------------------


def assign_task(*, actor, organisation, script: Script, email: str, file_path: str,
                due_date: date | None = None, screening_sections: int | None = None) -> RecordingTask:
    """Create the task. A contractor who already works for this organisation (has accepted one of its
    tasks) gets it straight in their booth and a plain notice. Anyone else gets an invitation link to
    accept, whatever account the email has or has not: another organisation cannot put work in
    someone's booth (or tag API uploads with their speaker id) without their consent, and the answer
    never tells the admin what kind of account an email belongs to. ``screening_sections``: recording
    pauses after that many sections until an admin approves the setup (``reviews.release_screening``)."""
    email = User.objects.normalize_email(email).strip().lower()
    file_path = validate_file_path(file_path)
    validate_due_date(due_date)
    with transaction.atomic():
        # Lock the script so a concurrent section edit sees it as assigned (and versions instead).
        script = Script.objects.select_for_update().get(pk=script.pk)
        if Script.objects.filter(previous_version=script).exists():
            raise AssignmentError("A newer version of this script exists: assign that one.")
        existing = User.objects.filter(email__iexact=email, kind=User.Kind.CONTRACTOR).first()
        if existing is not None and not RecordingTask.objects.filter(organisation=organisation, speaker__user=existing).exclude(
                status__in=[RecordingTask.Status.INVITED, RecordingTask.Status.CANCELLED]).exists():
            existing = None  # not (yet) this organisation's contractor: they accept by the emailed link
        # A new task starts accepted for this organisation's known contractor, invited otherwise.
        status = RecordingTask.Status.ACCEPTED if existing is not None else RecordingTask.Status.INVITED
        task = RecordingTask(organisation=organisation, script=script, contractor_email=email, file_path=file_path,
                             due_date=due_date, created_by=actor, status=status,
                             screening_sections=screening_sections or None)
        invitation = None
        if existing is not None:
            task.speaker = contractor_speaker(existing)
            task.save()
            send_after_commit(send_task_notice, task.pk)
        else:
            invitation = Invitation.objects.create(organisation=organisation, email=email,
                                                   kind=Invitation.Kind.CONTRACTOR, invited_by=actor)
            task.invitation = invitation
            task.save()
            send_after_commit(send_invitation, invitation.pk, task.pk)
        audit.record("task.assigned", actor=actor, organisation=organisation, target=task, script=script.public_id,
                     email=email, file_path=file_path, due_date=due_date.isoformat() if due_date else None,
                     existing_contractor=existing is not None)
    return task


def contractor_speaker(user: User, full_name: str = "", native_languages: list[str] | None = None) -> Speaker:
    """The contractor's speaker record: theirs, or an unclaimed contractor speaker with their email."""
    speaker = Speaker.objects.filter(user=user).first()
    if speaker is None:
        speaker = Speaker.objects.filter(email__iexact=user.email, user=None,
                                         kind=Speaker.Kind.CONTRACTOR).first()
    if speaker is None:
        speaker = Speaker(kind=Speaker.Kind.CONTRACTOR, email=user.email)
    speaker.user = user
    speaker.full_name = full_name or speaker.full_name or user.full_name
    if native_languages is not None:
        speaker.native_languages = native_languages
    speaker.save()
    return speaker


def _locked_task(task: RecordingTask) -> RecordingTask:
    return RecordingTask.objects.select_for_update(of=("self",)).select_related("invitation").get(pk=task.pk)


def resend_invitation(task: RecordingTask, actor) -> Invitation:
    """New link, old one dead, expiry restarted."""
    with transaction.atomic():
        task = _locked_task(task)
        invitation = task.invitation
        if invitation is None:
            raise AssignmentError("This task was added to an existing contractor's booth: there is no invitation.")
        if task.status == RecordingTask.Status.CANCELLED:
            raise AssignmentError("The task is cancelled.")
        if invitation.state in ("accepted", "revoked"):
            raise AssignmentError(f"The invitation has been {invitation.state}; it cannot be resent.")
        invitation.rotate()
        audit.record("invitation.resent", actor=actor, organisation=task.organisation, target=invitation,
                     target_id=str(invitation.pk), task=task.public_id, email=invitation.email)
        send_after_commit(send_invitation, invitation.pk, task.pk)
    return invitation


def revoke_invitation(task: RecordingTask, actor) -> Invitation:
    """Kill the link. Tasks still waiting for it are cancelled: nobody can accept them any more."""
    with transaction.atomic():
        task = _locked_task(task)
        invitation = Invitation.objects.select_for_update().filter(pk=task.invitation_id).first()
        if invitation is None:
            raise AssignmentError("This task has no invitation to revoke.")
        if invitation.state in ("accepted", "revoked"):
            raise AssignmentError(f"The invitation has already been {invitation.state}.")
        now = timezone.now()
        invitation.revoked_at = now
        invitation.save(update_fields=["revoked_at"])
        invitation.recording_tasks.all().cancel_invited()
        audit.record("invitation.revoked", actor=actor, organisation=task.organisation, target=invitation,
                     target_id=str(invitation.pk), task=task.public_id, email=invitation.email)
    return invitation


def cancel_task(task: RecordingTask, actor) -> RecordingTask:
    """Stop the task; it leaves the booth. Its pending invitation dies with it. Recordings are kept."""
    with transaction.atomic():
        task = _locked_task(task)
        if task.status == RecordingTask.Status.CANCELLED:
            raise AssignmentError("The task is already cancelled.")
        previous = task.cancel()
        now = task.cancelled_at
        invitation = task.invitation
        if (invitation and invitation.state in ("pending", "expired")
                and not invitation.recording_tasks.exclude(status=RecordingTask.Status.CANCELLED).exists()):
            Invitation.objects.filter(pk=invitation.pk).update(revoked_at=now)
        audit.record("task.cancelled", actor=actor, organisation=task.organisation, target=task,
                     previous_status=previous)
    return task


def extend_due_date(task: RecordingTask, actor, due_date: date | None) -> RecordingTask:
    """Move the due date (or clear it); reminders are re-armed for the new date."""
    validate_due_date(due_date)
    with transaction.atomic():
        task = _locked_task(task)
        if task.status == RecordingTask.Status.CANCELLED:
            raise AssignmentError("The task is cancelled.")
        previous = task.due_date
        task.due_date = due_date
        task.contractor_reminded_at = None
        task.admin_overdue_notified_at = None
        task.save(update_fields=["due_date", "contractor_reminded_at", "admin_overdue_notified_at"])
        audit.record("task.due_date_changed", actor=actor, organisation=task.organisation, target=task,
                     previous=previous.isoformat() if previous else None,
                     due_date=due_date.isoformat() if due_date else None)
    return task
