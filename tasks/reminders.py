"""Reminder emails (Celery beat): contractors before the due date, admins once a task is overdue.

Each reminder goes out once per task and due date: the task row is claimed with a
conditional update (``contractor_reminded_at`` / ``admin_overdue_notified_at`` still
empty) before sending, so two beats or a redelivered job never send twice. If the
mail server fails, the claim is released and the job retries. Changing the due
date re-arms both reminders (see ``voicemanager.recording.assignments.extend_due_date``).
"""
from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from voicemanager.core.links import site_url

log = logging.getLogger(__name__)


def _progress(task) -> dict:
    return {"n_sections": task.n_sections, "n_submitted": task.n_submitted}


def remind_contractors(hours: int = 48) -> int:
    """Email contractors whose task is due within ``hours``; returns how many were sent."""
    from voicemanager.core.emails import send_templated_email
    from voicemanager.models import RecordingTask
    from voicemanager.recording.assignments import invitation_link

    sent = 0
    due = (RecordingTask.objects.due_soon(hours).filter(contractor_reminded_at=None)
           .select_related("script", "organisation", "invitation").with_progress())
    for task in due:
        if not RecordingTask.objects.filter(pk=task.pk, contractor_reminded_at=None).update(
                contractor_reminded_at=timezone.now()):
            continue  # someone else sent it
        pending = task.invitation if task.invitation and task.invitation.state == "pending" else None
        context = {"task": task, "link": invitation_link(pending) if pending else "",
                   "booth_url": site_url("booth:home"), **_progress(task)}
        try:
            send_templated_email("reminder_due", context, [task.contractor_email])
        except Exception:
            RecordingTask.objects.filter(pk=task.pk).update(contractor_reminded_at=None)
            raise
        sent += 1
    return sent


def notify_overdue() -> int:
    """Email the organisation's admins about each overdue task, once."""
    from voicemanager.core.emails import send_templated_email
    from voicemanager.models import RecordingTask

    sent = 0
    overdue = (RecordingTask.objects.overdue().filter(admin_overdue_notified_at=None)
               .select_related("script", "organisation").with_progress())
    for task in overdue:
        admins = task.organisation.admin_emails()
        if not admins:
            continue
        if not RecordingTask.objects.filter(pk=task.pk, admin_overdue_notified_at=None).update(
                admin_overdue_notified_at=timezone.now()):
            continue
        context = {"task": task, "task_url": site_url("task_detail", task.public_id),
                   **_progress(task)}
        try:
            send_templated_email("reminder_overdue", context, admins)
        except Exception:
            RecordingTask.objects.filter(pk=task.pk).update(admin_overdue_notified_at=None)
            raise
        sent += 1
    return sent


@shared_task(name="tasks.reminders.send_reminders", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def send_reminders() -> dict:
    """Beat entry point: both kinds of reminder."""
    return {"contractors": remind_contractors(), "overdue": notify_overdue()}
