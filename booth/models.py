"""Takes recorded in the booth. Retakes and deletions keep history."""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from voicemanager.core.ids import take_id


def take_upload_to(instance: Take, filename: str) -> str:
    """Generated storage key; the browser's file name is never used."""
    task = instance.task
    return f"orgs/{task.organisation.public_id}/takes/{task.public_id}/{instance.public_id}.wav"


class Take(models.Model):
    class Kind(models.TextChoices):
        TAKE = "take", "Script take"
        CONSENT = "consent", "Consent statement"
        ROOM_TONE = "room_tone", "Room tone"

    class Status(models.TextChoices):
        RECORDED = "recorded", "Recorded"
        SUBMITTED = "submitted", "Submitted"
        DELETED = "deleted", "Deleted"

    public_id = models.CharField(max_length=40, unique=True, default=take_id, editable=False)
    task = models.ForeignKey("voicemanager.RecordingTask", on_delete=models.CASCADE, related_name="takes")
    section = models.ForeignKey(
        "voicemanager.Section", null=True, blank=True, on_delete=models.PROTECT, related_name="takes"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TAKE)
    client_id = models.UUIDField(help_text="Browser-generated id: the same take uploaded twice is stored once.")
    file = models.FileField(upload_to=take_upload_to, max_length=500)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    received_sha256 = models.CharField(
        max_length=64, blank=True, help_text="Checksum of the bytes the browser sent (differs when converted to WAV).")
    received_format = models.CharField(max_length=40, blank=True, help_text="container/codec as uploaded")
    duration = models.FloatField(default=0)
    sample_rate = models.PositiveIntegerField(default=0)
    channels = models.PositiveSmallIntegerField(default=1)
    bit_depth = models.PositiveSmallIntegerField(null=True, blank=True)
    captured_with = models.CharField(max_length=20, default="worklet", help_text="worklet | mediarecorder")
    qc = models.JSONField(default=dict, blank=True)
    qc_state = models.CharField(max_length=16, default="pending")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECORDED, db_index=True)
    audio_file = models.ForeignKey(
        "voicemanager.AudioFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="takes",
        help_text="The file manager entry created when the take is submitted.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["task", "client_id"], name="unique_take_client_id"),
            models.UniqueConstraint(
                fields=["task", "section"], condition=Q(status="submitted"), name="one_submitted_take_per_section"
            ),
        ]
        indexes = [models.Index(fields=["task", "section", "status"])]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.kind}, {self.status})"
