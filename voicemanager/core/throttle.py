"""Throttle the public forms that send email, by client address and by email address.

``/forget/`` and password reset send a message to whatever address is typed, so without a limit
anyone can make the app mail someone twenty times a minute. Each request that would send one is
written to the audit log (``record``) with the client address (``config.client_ip``: proxy-aware)
and a keyed hash of the email (the log does not keep addresses people merely typed); ``allowed``
counts those events of the last hour. Counting audit rows needs no new store and is exact across
processes. Limits (per hour): ``THROTTLE_PER_EMAIL`` (3) and ``THROTTLE_PER_ADDRESS`` (20).
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from config.client_ip import client_ip
from voicemanager.core import audit

WINDOW = timedelta(hours=1)


def email_key(email: str) -> str:
    return salted_hmac("voicemanager.throttle.email", (email or "").strip().lower()).hexdigest()[:32]


def allowed(action: str, request, email: str) -> bool:
    """Whether another ``action`` for this client address and this email fits in the last hour."""
    recent = audit.AuditEvent.objects.filter(action=action, created_at__gte=timezone.now() - WINDOW)
    ip = client_ip(request) or ""
    per_email = int(getattr(settings, "THROTTLE_PER_EMAIL", 3))
    per_address = int(getattr(settings, "THROTTLE_PER_ADDRESS", 20))
    return (recent.filter(details__email_key=email_key(email)).count() < per_email
            and recent.filter(details__ip=ip).count() < per_address)


def record(action: str, request, email: str, **details) -> None:
    audit.record(action, actor_label="public", ip=client_ip(request) or "", email_key=email_key(email), **details)
