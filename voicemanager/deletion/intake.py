"""Filing a request and confirming it by the emailed, signed, single-use link.

Filing changes nothing but creating an ``unconfirmed`` request and sending the link;
nothing is identified or deleted until the requester confirms.
"""
from __future__ import annotations

from datetime import timedelta

from django.core import signing
from django.db import transaction
from django.utils import timezone

from voicemanager.core import audit, outbox
from voicemanager.core.links import site_url
from voicemanager.deletion import emails
from voicemanager.models import DeletionRequest, Organisation

CONFIRM_SALT = "voicemanager.deletion.confirm"
CONFIRM_MAX_AGE = timedelta(days=7)


class ConfirmError(Exception):
    """A confirmation link that cannot be used; the message is safe to show."""


def file_request(*, first_name: str, last_name: str, email: str, organisation_ref: str, voice_alias: str = "",
                 scope: str = DeletionRequest.Scope.VOICE, urgent: bool = False, submitted_by=None,
                 via: str = "public", organisation: Organisation | None = None) -> DeletionRequest:
    """Create an unconfirmed request and email the confirmation link to the requester.

    ``organisation`` is resolved from the public ``org_…`` id; an unknown id still creates the
    request (the requester is not told which organisations exist) and identification finds nothing.
    """
    organisation_ref = organisation_ref.strip()
    if organisation is None:
        organisation = Organisation.objects.filter(public_id=organisation_ref).first()
    with transaction.atomic():
        req = DeletionRequest.objects.create(
            first_name=first_name.strip(), last_name=last_name.strip(), email=email.strip().lower(),
            organisation_ref=organisation_ref, organisation=organisation, voice_alias=voice_alias.strip(),
            scope=scope, urgent=urgent, submitted_by=submitted_by if getattr(submitted_by, "pk", None) else None,
        )
        audit.record("deletion.requested", actor=submitted_by, organisation=organisation, target=req,
                     via=via, scope=scope, urgent=urgent, voice_alias=req.voice_alias)
        transaction.on_commit(lambda: send_confirmation(req))
    return req


def make_confirm_token(req: DeletionRequest) -> str:
    return signing.dumps({"d": req.public_id, "n": req.confirm_nonce}, salt=CONFIRM_SALT, compress=True)


def confirm_url(req: DeletionRequest) -> str:
    return site_url("forget_confirm", make_confirm_token(req))


def send_confirmation(req: DeletionRequest) -> None:
    emails.send("confirm", [req.email], {
        "req": req, "link": confirm_url(req), "expires_at": timezone.now() + CONFIRM_MAX_AGE,
    })


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
