"""Deletion emails: subject / text / HTML triples under templates/emails/deletion_*."""
from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from voicemanager.models import User


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def send(kind: str, to: list[str], context: dict) -> None:
    """Render ``emails/deletion_<kind>*`` and send it (raises on SMTP failure so a job can retry)."""
    if not to:
        return
    context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    subject = " ".join(render_to_string(f"emails/deletion_{kind}_subject.txt", context).split())
    text = render_to_string(f"emails/deletion_{kind}.txt", context)
    html = render_to_string(f"emails/deletion_{kind}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, to)
    message.attach_alternative(html, "text/html")
    message.send()


def staff_addresses() -> list[str]:
    return sorted(User.objects.filter(is_staff=True, is_active=True).values_list("email", flat=True))
