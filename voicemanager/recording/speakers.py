"""Speakers: the people whose voices are recorded."""
from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from voicemanager.core.ids import speaker_id


class Speaker(models.Model):
    """A contractor with a booth account, or a voice owner who only signs consent by link."""

    class Kind(models.TextChoices):
        CONTRACTOR = "contractor", "Contractor (booth)"
        VOICE_OWNER = "voice_owner", "Voice owner (recorded elsewhere)"

    public_id = models.CharField(max_length=40, unique=True, default=speaker_id, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CONTRACTOR)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="speaker"
    )
    organisation = models.ForeignKey(
        "voicemanager.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="voice_owners",
        help_text="Set for voice owners named by an organisation; contractors may work for several.",
    )
    full_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField()
    native_languages = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    consent_link_nonce = models.CharField(
        max_length=64, blank=True, default="",
        help_text="In the signed owner-consent link; rotated on every (re)send so older links die.",
    )

    def __str__(self) -> str:
        return self.full_name or self.email

    def unsigned_documents(self) -> list:
        """The current consent documents this speaker has not signed (a new version must be signed again)."""
        from voicemanager.consent.models import ConsentDocument

        current = ConsentDocument.objects.current()
        signed = set(self.signatures.filter(document__in=current).values_list("document_id", flat=True))
        return [doc for doc in current if doc.pk not in signed]

    def has_signed_current_documents(self) -> bool:
        """True once every current document is signed; False while none are published."""
        from voicemanager.consent.models import ConsentDocument

        return bool(ConsentDocument.objects.current()) and not self.unsigned_documents()

    def rotate_consent_link_nonce(self) -> str:
        """A new nonce for the next consent link; every link signed with the old one stops working."""
        self.consent_link_nonce = secrets.token_urlsafe(24)
        type(self).objects.filter(pk=self.pk).update(consent_link_nonce=self.consent_link_nonce)
        return self.consent_link_nonce
