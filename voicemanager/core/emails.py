"""Every email is a subject / text / HTML triple under ``templates/emails/<name>*``.

Emails go through the outbox like every other job (``send_after_commit``): the message row
commits with the data it is about, the request's process sends it right after the commit, and
if the mail server fails (or the process dies first) a worker retries it
(``tasks.emails.deliver``, with backoff). A function may be sent this way only when it is
marked ``@email_job``: the outbox row names it by its dotted path.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.module_loading import import_string

from voicemanager.core import outbox

log = logging.getLogger(__name__)

DELIVER = "tasks.emails.deliver"


def send_templated_email(template: str, context: dict, to: list[str]) -> int:
    """Render ``emails/<template>_subject.txt``, ``.txt`` and ``.html`` and send them as one message.

    Raises on an SMTP failure: callers decide whether to retry (jobs) or log (requests).
    """
    if not to:
        return 0
    context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(subject, render_to_string(f"emails/{template}.txt", context),
                                     settings.DEFAULT_FROM_EMAIL, to)
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return message.send()


def email_job(send):
    """Mark ``send`` (ids in, one email out) as deliverable through the outbox."""
    send.is_email_job = True
    return send


def job_path(send) -> str:
    if not getattr(send, "is_email_job", False):
        raise ValueError(f"{send!r} is not an @email_job")
    return f"{send.__module__}.{send.__name__}"


def deliver(path: str, *args, **kwargs):
    """Run the email job named by ``path`` (only functions marked ``@email_job``)."""
    send = import_string(path)
    job_path(send)  # refuses anything else an outbox row might name
    return send(*args, **kwargs)


def send_after_commit(send, *args, **kwargs) -> None:
    """Send once the rows are committed, through the outbox.

    The request's process tries first, right after the commit; a mail server failure is logged,
    not raised (the rows are saved: an error page would hide that), and the outbox hands the
    email to a worker, which retries it."""
    path = job_path(send)
    message = outbox.record(DELIVER, path, *args, **kwargs)

    def run():
        try:
            deliver(path, *args, **kwargs)
        except Exception:  # noqa: BLE001 - any SMTP/network failure: a worker retries it
            log.exception("Email %s%r could not be sent now; a worker retries it", path, args)
            outbox.send(message.pk)
        else:
            outbox.mark_done(message.pk)

    transaction.on_commit(run, robust=True)
