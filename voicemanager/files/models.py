"""The organisation's file manager: audio files in folders, with their derived versions."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from voicemanager.core.ids import file_id


def audio_upload_to(instance: AudioFile, filename: str) -> str:
    """Storage key: generated, never the user's file name."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"orgs/{instance.organisation.public_id}/files/{instance.public_id}.{suffix[:5]}"


class AudioFileQuerySet(models.QuerySet):
    def for_org(self, organisation) -> AudioFileQuerySet:
        return self.filter(organisation=organisation)

    def in_folder(self, path: str) -> AudioFileQuerySet:
        return self.filter(path=path.strip("/"))


class AudioFile(models.Model):
    class Source(models.TextChoices):
        BOOTH = "booth", "Booth"
        UPLOAD = "upload", "Upload"
        DENOISED = "denoised", "Denoised"
        CONSENT = "consent", "Consent recording"
        ROOM_TONE = "room_tone", "Room tone"

    class Analysis(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    public_id = models.CharField(max_length=40, unique=True, default=file_id, editable=False)
    organisation = models.ForeignKey("voicemanager.Organisation", on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=500, blank=True, db_index=True, help_text="Folder, without leading slash.")
    name = models.CharField(max_length=255)
    label = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.UPLOAD)
    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="derivatives"
    )
    forward_variant = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Which version goes forward for cloning (null: this file itself).",
    )
    file = models.FileField(upload_to=audio_upload_to, max_length=500)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    duration = models.FloatField(null=True, blank=True)
    sample_rate = models.PositiveIntegerField(null=True, blank=True)
    channels = models.PositiveSmallIntegerField(null=True, blank=True)
    bit_depth = models.PositiveSmallIntegerField(null=True, blank=True)
    qc = models.JSONField(default=dict, blank=True)
    analysis_state = models.CharField(max_length=16, choices=Analysis.choices, default=Analysis.PENDING)
    analysis_error = models.TextField(blank=True)
    processing = models.JSONField(default=dict, blank=True, help_text="Denoise engine/strength for derived files.")
    task = models.ForeignKey(
        "voicemanager.RecordingTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="files"
    )
    speaker = models.ForeignKey(
        "voicemanager.Speaker", null=True, blank=True, on_delete=models.SET_NULL, related_name="files"
    )
    transcript = models.TextField(blank=True, help_text="Section text for booth takes.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AudioFileQuerySet.as_manager()

    class Meta:
        ordering = ["path", "name"]
        indexes = [models.Index(fields=["organisation", "path"])]

    def __str__(self) -> str:
        return f"{self.path}/{self.name}" if self.path else self.name

    @property
    def full_path(self) -> str:
        return str(self)


class DenoiseJob(models.Model):
    """One denoise of one file with one engine/strength; claimed by conditional update."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    source = models.ForeignKey(AudioFile, on_delete=models.CASCADE, related_name="denoise_jobs")
    engine = models.CharField(max_length=16)
    strength = models.FloatField(default=0.8)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    output = models.ForeignKey(AudioFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.TextField(blank=True)
    batch = models.CharField(max_length=40, blank=True, db_index=True, help_text="Groups a set for progress.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"denoise {self.source_id} {self.engine}@{self.strength} ({self.state})"
