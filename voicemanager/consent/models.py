"""Consent documents, signatures and spoken consent recordings."""
from __future__ import annotations

import hashlib

from django.db import models
from django.utils import timezone


class ConsentDocumentQuerySet(models.QuerySet):
    def current(self) -> list[ConsentDocument]:
        """The newest published version of each kind (all kinds must exist to sign)."""
        latest: dict[str, ConsentDocument] = {}
        for doc in self.filter(published_at__lte=timezone.now()).order_by("kind", "-version"):
            latest.setdefault(doc.kind, doc)
        if set(latest) != set(ConsentDocument.Kind.values):
            return []
        return [latest[kind] for kind in ConsentDocument.Kind.values]


class ConsentDocument(models.Model):
    class Kind(models.TextChoices):
        TERMS = "terms", "Terms of Service"
        PRIVACY = "privacy", "Privacy Policy"
        ACCEPTABLE_USE = "acceptable_use", "Acceptable Use Policy"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    text = models.TextField()
    text_hash = models.CharField(max_length=64, editable=False)
    published_at = models.DateTimeField(default=timezone.now)

    objects = ConsentDocumentQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="unique_document_version")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"

    def save(self, *args, **kwargs):
        self.text_hash = hashlib.sha256(self.text.encode()).hexdigest()
        super().save(*args, **kwargs)


class ConsentSignature(models.Model):
    speaker = models.ForeignKey("voicemanager.Speaker", on_delete=models.CASCADE, related_name="signatures")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="signatures")
    typed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True)
    document_version = models.PositiveIntegerField()
    text_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["speaker", "document"], name="unique_signature")]

    def __str__(self) -> str:
        return f"{self.typed_name} signed {self.document}"


class ConsentRecording(models.Model):
    """The spoken consent statement, for a booth task or a voice owner of an organisation."""

    speaker = models.ForeignKey("voicemanager.Speaker", on_delete=models.CASCADE, related_name="consent_recordings")
    organisation = models.ForeignKey("voicemanager.Organisation", on_delete=models.CASCADE, related_name="+")
    task = models.OneToOneField(
        "voicemanager.RecordingTask", null=True, blank=True, on_delete=models.CASCADE,
        related_name="consent_recording",
    )
    audio = models.ForeignKey("voicemanager.AudioFile", on_delete=models.PROTECT, related_name="+")
    statement = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    voice_reference = models.JSONField(
        default=dict, blank=True, help_text="Speaker embedding of this recording (tasks.audio.speaker.reference).")

    def __str__(self) -> str:
        return f"Consent recording of {self.speaker}"
