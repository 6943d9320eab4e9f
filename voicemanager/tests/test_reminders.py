"""Beat reminders: contractors before the due date, admins when overdue, each once."""
from datetime import timedelta

import pytest
from django.utils import timezone

from e2e.services import free_port, message_text
from tasks.reminders import notify_overdue, remind_contractors, send_reminders
from voicemanager.models import Invitation, RecordingTask
from voicemanager.tests.factories import RecordingTaskFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def set_due(task, days, **extra):
    RecordingTask.objects.filter(pk=task.pk).update(due_date=timezone.localdate() + timedelta(days=days), **extra)


def test_contractor_reminded_once_for_task_due_within_48h(cast, mail):
    set_due(cast.task_a, 1)
    set_due(cast.task_b, 5)
    assert remind_contractors() == 1
    [msg] = mail.wait_for("contractor-a@example.com")
    assert "Script X" in message_text(msg) and "/booth/" in message_text(msg)
    assert remind_contractors() == 0
    assert len(mail.to("contractor-a@example.com")) == 1 and not mail.to("contractor-b@example.com")
    cast.task_a.refresh_from_db()
    assert cast.task_a.contractor_reminded_at is not None


def test_invited_contractor_reminder_carries_the_link(cast, mail, settings):
    settings.SITE_URL = "http://vm.example"
    invitation = Invitation.objects.create(organisation=cast.org_x, email="late@example.com")
    task = RecordingTaskFactory(organisation=cast.org_x, script=cast.script_x, speaker=None, invitation=invitation,
                                contractor_email="late@example.com", status="invited")
    set_due(task, 0)
    remind_contractors()
    [msg] = mail.wait_for("late@example.com")
    assert f"http://vm.example/invite/{invitation.make_token()}/" in message_text(msg)


def test_admins_told_once_about_overdue_tasks(cast, mail):
    set_due(cast.task_a, -1)
    set_due(cast.task_b, -3, status="submitted")
    assert notify_overdue() == 1
    [msg] = mail.wait_for("admin-x@example.com")
    assert "contractor-a@example.com" in message_text(msg) and cast.task_a.public_id in message_text(msg)
    assert not mail.to("member-x@example.com") and not mail.to("admin-y@example.com")
    assert notify_overdue() == 0
    assert len(mail.to("admin-x@example.com")) == 1


def test_cancelled_tasks_get_no_reminders(cast, mail):
    set_due(cast.task_a, -1, status="cancelled")
    set_due(cast.task_b, 1, status="cancelled")
    assert send_reminders.apply().get() == {"contractors": 0, "overdue": 0}
    assert not mail.messages


def test_failed_send_releases_the_claim(cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    set_due(cast.task_a, 1)
    with pytest.raises(OSError):
        remind_contractors()
    cast.task_a.refresh_from_db()
    assert cast.task_a.contractor_reminded_at is None


def test_reminders_are_on_the_beat_schedule():
    from config.beat import SCHEDULE

    assert any(entry["task"] == "tasks.reminders.send_reminders" for entry in SCHEDULE.values())
