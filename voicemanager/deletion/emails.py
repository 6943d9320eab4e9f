"""Deletion emails: subject / text / HTML triples under templates/emails/deletion_*."""
from __future__ import annotations

from voicemanager.core.emails import send_templated_email
from voicemanager.models import User


def send(kind: str, to: list[str], context: dict) -> None:
    """Render ``emails/deletion_<kind>*`` and send it (raises on SMTP failure so a job can retry)."""
    send_templated_email(f"deletion_{kind}", context, to)


def staff_addresses() -> list[str]:
    return sorted(User.objects.filter(is_staff=True, is_active=True).values_list("email", flat=True))
