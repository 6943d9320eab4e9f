"""Deletion emails: subject / text / HTML triples under templates/emails/deletion_*."""
from __future__ import annotations

from voicemanager.core.emails import email_job, send_templated_email
from voicemanager.models import DeletionRequest, User


def send(kind: str, to: list[str], context: dict) -> None:
    """Render ``emails/deletion_<kind>*`` and send it (raises on SMTP failure so a job can retry)."""
    send_templated_email(f"deletion_{kind}", context, to)


def staff_addresses() -> list[str]:
    return sorted(User.objects.filter(is_staff=True, is_active=True).values_list("email", flat=True))


@email_job
def send_rejected(request_pk: int, reason: str) -> None:
    """Tell the requester their request was closed with nothing deleted (staff rejected it)."""
    req = DeletionRequest.objects.filter(pk=request_pk).first()
    if req is not None:
        send("rejected", [req.email], {"req": req, "reason": reason})
