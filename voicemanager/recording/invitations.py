"""Invitations: signed, single-use, expiring links sent by email."""
from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import models, transaction
from django.utils import timezone

TOKEN_SALT = "voicemanager.invitation"


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class InvitationError(Exception):
    """A link that cannot be used: the message is safe to show."""


class Invitation(models.Model):
    class Kind(models.TextChoices):
        CONTRACTOR = "contractor", "Record their voice"
        TEAM = "team", "Team member"

    organisation = models.ForeignKey("voicemanager.Organisation", on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CONTRACTOR)
    role = models.CharField(max_length=16, blank=True, help_text="Membership role for team invitations.")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nonce = models.CharField(max_length=64, default=new_nonce, help_text="Rotated on resend: old links die.")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation} ({self.kind})"

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        if not self.expires_at:
            self.expires_at = timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
        super().save(*args, **kwargs)

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.accepted_at:
            return "accepted"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"

    def make_token(self) -> str:
        return signing.dumps({"i": self.pk, "n": self.nonce}, salt=TOKEN_SALT, compress=True)

    @classmethod
    def from_token(cls, token: str) -> Invitation:
        """Return the usable invitation for a token, or raise InvitationError."""
        try:
            data = signing.loads(token, salt=TOKEN_SALT)
        except signing.BadSignature as exc:
            raise InvitationError("This invitation link is not valid.") from exc
        invitation = cls.objects.filter(pk=data.get("i"), nonce=data.get("n")).first()
        if invitation is None:
            raise InvitationError("This invitation link is no longer valid (a newer one may have been sent).")
        if invitation.state != "pending":
            raise InvitationError(f"This invitation has been {invitation.state}.")
        return invitation

    def rotate(self) -> None:
        """Kill the old link and extend the expiry (resend)."""
        self.nonce = new_nonce()
        self.expires_at = timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
        self.save(update_fields=["nonce", "expires_at"])

    def accept(self, user) -> None:
        """Mark accepted once; a second accept (replay, race) raises."""
        with transaction.atomic():
            locked = Invitation.objects.select_for_update().get(pk=self.pk)
            if locked.state != "pending":
                raise InvitationError(f"This invitation has been {locked.state}.")
            if user.email.lower() != locked.email:
                raise InvitationError("This invitation was sent to a different email address.")
            now = timezone.now()
            locked.accepted_at = now
            locked.accepted_by = user
            locked.save(update_fields=["accepted_at", "accepted_by"])
            self.accepted_at, self.accepted_by = now, user
