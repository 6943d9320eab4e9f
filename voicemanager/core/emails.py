"""Every email is a subject / text / HTML triple under ``templates/emails/<name>*``."""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

log = logging.getLogger(__name__)


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


def send_after_commit(send, *args, **kwargs) -> None:
    """Send once the rows are committed. A mail server failure is logged, not raised: the rows are
    saved (an error page would hide that) and the admin can resend from the page that made them."""

    def run():
        try:
            send(*args, **kwargs)
        except Exception:  # noqa: BLE001 - any SMTP/network failure
            log.exception("Email %s%r could not be sent", getattr(send, "__name__", send), args)

    transaction.on_commit(run)
