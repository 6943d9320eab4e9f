"""Filing a request and confirming it by the emailed, signed, single-use link.

Filing changes nothing but creating an ``unconfirmed`` request and sending the link;
nothing is identified or deleted until the requester confirms.

A talent files with their name, email and, if they like, the voice's alias or the studio's
name: no internal id. Staff then match the request to the speakers, voices and organisations
behind it (``match.py``). The API files for one of the organisation's own voices, so its
requests come matched already.

When the confirmation email cannot be sent the request is kept in ``mail_not_sent``
(``DeletionRequest.mark_mail_not_sent``): a scheduled job tries again every
``RESEND_EVERY`` for ``RESEND_FOR`` (``resend_unsent_confirmations``; a mail server that was
down for an hour costs the requester nothing), staff see it in the queue and can resend at
once, and the requester's status page says so. Nothing typed into the form is lost.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.core import signing
from django.db import transaction
from django.utils import timezone

from voicemanager.core import audit, outbox
from voicemanager.core.links import site_url
from voicemanager.deletion import emails
from voicemanager.models import DeletionRequest, Organisation, Voice

log = logging.getLogger(__name__)

CONFIRM_SALT = "voicemanager.deletion.confirm"
CONFIRM_MAX_AGE = timedelta(days=7)
RESEND_EVERY = timedelta(minutes=10)
RESEND_FOR = timedelta(days=2)  # then only staff resend (the queue shows it)


class ConfirmError(Exception):
    """A confirmation link that cannot be used; the message is safe to show."""


def file_request(*, first_name: str, last_name: str, email: str, organisation_ref: str = "",
                 voice_alias: str = "", scope: str = DeletionRequest.Scope.VOICE, urgent: bool = False,
                 submitted_by=None, via: str = "public", organisation: Organisation | None = None,
                 voice: Voice | None = None) -> DeletionRequest:
    """Create an unconfirmed request and email the confirmation link to the requester.

    ``organisation_ref`` is what the requester called the studio (free text). ``organisation``
    and ``voice`` are given by the API (an organisation files for one of its voices): the request
    is then matched at once. Otherwise it waits, once confirmed, for staff to match it.
    A failed email leaves the request in ``mail_not_sent`` (see ``send_confirmation``).
    """
    matched = {}
    if voice is not None:
        organisation = voice.organisation
        matched = {"speakers": [], "voices": [voice.pk], "organisations": [voice.organisation_id]}
    with transaction.atomic():
        req = DeletionRequest.objects.create(
            first_name=first_name.strip(), last_name=last_name.strip(), email=email.strip().lower(),
            organisation_ref=organisation_ref.strip(), organisation=organisation, voice_alias=voice_alias.strip(),
            scope=scope, urgent=urgent, submitted_by=submitted_by if getattr(submitted_by, "pk", None) else None,
            matched=matched,
        )
        audit.record("deletion.requested", actor=submitted_by, organisation=organisation, target=req,
                     via=via, scope=scope, urgent=urgent, voice_alias=req.voice_alias,
                     studio=req.organisation_ref)
        transaction.on_commit(lambda: send_confirmation(req))
    req.refresh_from_db()  # the status tells the caller whether the email went
    return req


def make_confirm_token(req: DeletionRequest) -> str:
    return signing.dumps({"d": req.public_id, "n": req.confirm_nonce}, salt=CONFIRM_SALT, compress=True)


def confirm_url(req: DeletionRequest) -> str:
    return site_url("forget_confirm", make_confirm_token(req))


def _send_link(req: DeletionRequest) -> None:
    emails.send("confirm", [req.email], {
        "req": req, "link": confirm_url(req), "expires_at": timezone.now() + CONFIRM_MAX_AGE,
    })


def send_confirmation(req: DeletionRequest) -> bool:
    """Email the link; on any mail failure keep the request in ``mail_not_sent`` (never raises)."""
    try:
        _send_link(req)
    except Exception as exc:  # noqa: BLE001 - any SMTP/network failure: the request must survive it
        log.warning("deletion %s: confirmation email not sent: %s", req.public_id, exc)
        req.mark_mail_not_sent(f"{type(exc).__name__}: {exc}")
        return False
    return True


class ResendError(Exception):
    """The confirmation cannot be resent; the message is safe to show."""


def resend_confirmation(req: DeletionRequest, actor=None) -> None:
    """Staff resend a link that could not be emailed: mail_not_sent → unconfirmed once it went.

    Raises ResendError (with the mail server's error) when it fails again; the request stays.
    """
    if req.status != DeletionRequest.Status.MAIL_NOT_SENT:
        raise ResendError("This request is not waiting for its confirmation email.")
    try:
        _send_link(req)
    except Exception as exc:  # noqa: BLE001 - any SMTP/network failure
        error = f"{type(exc).__name__}: {exc}"
        DeletionRequest.objects.filter(pk=req.pk).update(mail_error=error[:500], mail_failed_at=timezone.now())
        audit.record("deletion.mail_not_sent", actor=actor, organisation=req.organisation, target=req,
                     email=req.email, error=error[:500], resend=True)
        raise ResendError(f"The email could still not be sent ({error}). The request is kept.") from exc
    req.mark_mail_sent(actor)


def resend_unsent_confirmations(limit: int = 100) -> dict:
    """Try again to email the links that could not be sent (scheduled; each request at most every RESEND_EVERY).

    A request that still fails keeps its state with the new error and time; one that goes is
    back to ``unconfirmed``, as after a staff resend. Safe to run twice: a request that went is
    no longer ``mail_not_sent``.
    """
    now = timezone.now()
    due = DeletionRequest.objects.filter(status=DeletionRequest.Status.MAIL_NOT_SENT, created_at__gte=now - RESEND_FOR,
                                         mail_failed_at__lte=now - RESEND_EVERY).order_by("mail_failed_at")[:limit]
    sent = failed = 0
    for req in due:
        try:
            resend_confirmation(req)
        except ResendError:
            failed += 1
        else:
            sent += 1
    return {"sent": sent, "still_failing": failed}


def request_from_token(token: str) -> DeletionRequest:
    """The unconfirmed request a link names, or ConfirmError (forged, expired, used or rotated)."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ConfirmError("This confirmation link has expired. Please file the request again.") from exc
    except signing.BadSignature as exc:
        raise ConfirmError("This confirmation link is not valid.") from exc
    req = DeletionRequest.objects.filter(public_id=data.get("d"), confirm_nonce=data.get("n")).first()
    if req is None or req.status != DeletionRequest.Status.UNCONFIRMED:
        raise ConfirmError("This confirmation link has already been used or is no longer valid.")
    return req


def confirm(token: str, *, ip: str | None = None) -> DeletionRequest:
    """Confirm once: a conditional update on status and nonce; the nonce is rotated so the link dies."""
    req = request_from_token(token)
    with transaction.atomic():
        claimed = DeletionRequest.objects.filter(pk=req.pk).confirm(req.confirm_nonce)
        if not claimed:
            raise ConfirmError("This confirmation link has already been used or is no longer valid.")
        req.refresh_from_db()
        audit.record("deletion.confirmed", organisation=req.organisation, target=req, email=req.email, ip=ip)
        outbox.enqueue("tasks.deletion.advance_deletion", req.pk)
    return req


# --- the requester's status page --------------------------------------------------------------

STATUS_SALT = "voicemanager.deletion.status"
STATUS_MAX_AGE = timedelta(days=30)


def make_status_token(req: DeletionRequest) -> str:
    """The link the form redirects to: it shows whether the email went, without any login."""
    return signing.dumps({"d": req.public_id}, salt=STATUS_SALT)


def request_from_status_token(token: str) -> DeletionRequest | None:
    try:
        data = signing.loads(token, salt=STATUS_SALT, max_age=STATUS_MAX_AGE)
    except signing.BadSignature:
        return None
    return DeletionRequest.objects.filter(public_id=data.get("d")).first()
