"""Email goes through the outbox: sent right after the commit, retried by a real worker when the
mail server was down, and never lost in between."""
from __future__ import annotations

import pytest

from e2e.services import free_port, wait_until
from voicemanager.core import emails
from voicemanager.models import Invitation, OutboxMessage


def post_team_invite(client, cast, email):
    client.force_login(cast.admin_x)
    return client.post("/vm/team/invite/", {"organisation": cast.org_x.public_id, "email": email, "role": "member"})


def deliveries():
    return OutboxMessage.objects.filter(task_name=emails.DELIVER)


def test_an_email_sent_at_once_leaves_its_outbox_message_done(client, cast, mail, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_team_invite(client, cast, "now@example.com").status_code == 302
    mail.wait_for("now@example.com")
    [message] = deliveries()
    assert message.args[0] == "voicemanager.accounts.team.send_team_invitation"
    assert message.done_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_the_email_the_request_could_not_send(client, cast, mail, settings, celery_worker):
    sink_port = settings.EMAIL_PORT
    settings.EMAIL_PORT, settings.EMAIL_TIMEOUT, settings.EMAIL_RETRY_AFTER_S = free_port(), 2, 0.5
    assert post_team_invite(client, cast, "later@example.com").status_code == 302  # the rows are saved
    assert Invitation.objects.filter(email="later@example.com").exists()
    [message] = deliveries()
    assert message.done_at is None and not mail.to("later@example.com")
    settings.EMAIL_PORT = sink_port  # the mail server is back: the worker's retry gets through
    mail.wait_for("later@example.com", timeout=30)
    wait_until(lambda: deliveries().get().done_at is not None, timeout=10, message="delivery marked done")


def test_an_outbox_row_cannot_name_a_function_that_is_not_an_email_job():
    with pytest.raises(ValueError):
        emails.deliver("django.core.management.call_command", "flush")
