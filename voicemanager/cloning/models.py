"""Voices, the packages forwarded to a cloning provider, and credit ledger entries."""
from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from voicemanager.core.ids import new_public_id, voice_id
from voicemanager.core.languages import LANGUAGE_CHOICES


class StageError(ValueError):
    """A stage the voice cannot move to from where it is."""


class VoiceQuerySet(models.QuerySet):
    def for_org(self, organisation) -> VoiceQuerySet:
        return self.filter(organisation=organisation)

    # The packaging worker's claims: conditional updates, so a redelivered job changes nothing.
    def mark_packaged(self) -> int:
        return self.filter(stage=Voice.Stage.NEW).update(
            stage=Voice.Stage.PACKAGED, status=Voice.Status.PROCESSING, updated_at=timezone.now())

    def mark_forwarded(self, provider_ref: str) -> int:
        return self.filter(stage__in=[Voice.Stage.NEW, Voice.Stage.PACKAGED]).update(
            stage=Voice.Stage.FORWARDED, status=Voice.Status.PROCESSING, provider_ref=provider_ref[:200],
            updated_at=timezone.now())


class Voice(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Type(models.TextChoices):
        INSTANT = "instant", "Instant"
        PROFESSIONAL = "professional", "Professional"

    class Stage(models.TextChoices):
        """The operator queue's finer stages for professional voices."""

        NEW = "new", "New"
        PACKAGED = "packaged", "Packaged"
        FORWARDED = "forwarded", "Forwarded"
        RECEIVED = "received", "Received"
        TRAINING = "training", "Training"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    public_id = models.CharField(max_length=40, unique=True, default=voice_id, editable=False)
    organisation = models.ForeignKey("voicemanager.Organisation", on_delete=models.CASCADE, related_name="voices")
    alias = models.CharField(max_length=100, unique=True, help_text="Unique across all organisations.")
    engine = models.CharField(max_length=40, default="voice_engine_3")
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.INSTANT)
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.NEW)
    failure_reason = models.TextField(blank=True)
    files_used = models.JSONField(default=list, blank=True, help_text="Public ids of files used.")
    discarded_files = models.JSONField(default=list, blank=True, help_text="[{fileId, reason}]")
    qc_included = models.JSONField(default=list, blank=True,
                                   help_text="Flagged files an admin included on purpose: [{fileId, codes, by, at}]")
    task = models.ForeignKey(
        "voicemanager.RecordingTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="voices"
    )
    speaker = models.ForeignKey(
        "voicemanager.Speaker", null=True, blank=True, on_delete=models.SET_NULL, related_name="voices"
    )
    expected_ready_at = models.DateField(null=True, blank=True)
    provider = models.CharField(max_length=20, blank=True)
    provider_ref = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    language_warning_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    speaker_mismatch_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Admin who sent the set although some files did not sound like the consenting speaker.",
    )

    objects = VoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.alias

    def advance(self, stage: str, *, reason: str = "", provider_ref: str = "") -> bool:
        """Move a forwarded voice to ``stage`` (ready: succeeded; failed: keeps the reason).

        Return False when it is already there (a repeated callback or double click changes
        nothing); raise StageError for a move its stage does not allow.
        """
        with transaction.atomic():
            locked = Voice.objects.select_for_update().get(pk=self.pk)
            if locked.stage == stage:
                return False
            if stage not in NEXT_STAGES.get(locked.stage, set()):
                raise StageError(f"A voice that is {locked.get_stage_display().lower()} cannot become {stage}.")
            if stage == Voice.Stage.FAILED and not reason.strip():
                raise StageError("Give the reason the voice failed.")
            locked.stage = stage
            if provider_ref:
                locked.provider_ref = provider_ref[:200]
            if stage == Voice.Stage.READY:
                locked.status, locked.succeeded_at = Voice.Status.SUCCEEDED, timezone.now()
            elif stage == Voice.Stage.FAILED:
                locked.status, locked.failure_reason = Voice.Status.FAILED, reason.strip()[:2000]
            else:
                locked.status = Voice.Status.PROCESSING
            locked.save()
        self.refresh_from_db()
        return True

    def fail(self, reason: str) -> bool:
        """Packaging or forwarding cannot go on; False when the voice had already finished."""
        with transaction.atomic():
            locked = Voice.objects.select_for_update().get(pk=self.pk)
            if locked.status in (Voice.Status.SUCCEEDED, Voice.Status.FAILED):
                return False
            locked.status, locked.stage, locked.failure_reason = Voice.Status.FAILED, Voice.Stage.FAILED, reason[:2000]
            locked.save(update_fields=["status", "stage", "failure_reason", "updated_at"])
        self.refresh_from_db()
        return True


NEXT_STAGES = {
    Voice.Stage.FORWARDED: {Voice.Stage.RECEIVED, Voice.Stage.TRAINING, Voice.Stage.READY, Voice.Stage.FAILED},
    Voice.Stage.RECEIVED: {Voice.Stage.TRAINING, Voice.Stage.READY, Voice.Stage.FAILED},
    Voice.Stage.TRAINING: {Voice.Stage.READY, Voice.Stage.FAILED},
}


def package_upload_to(instance: VoicePackage, filename: str) -> str:
    return f"orgs/{instance.voice.organisation.public_id}/packages/{instance.voice.public_id}.zip"


class VoicePackage(models.Model):
    """The archive built for a voice; forwarded exactly once (claimed by conditional update)."""

    voice = models.OneToOneField(Voice, on_delete=models.CASCADE, related_name="package")
    file = models.FileField(upload_to=package_upload_to, max_length=500, blank=True)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    manifest = models.JSONField(default=dict, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    forward_claimed_at = models.DateTimeField(null=True, blank=True)
    forwarded_at = models.DateTimeField(null=True, blank=True)
    forward_attempts = models.PositiveIntegerField(default=0)
    forward_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Package of {self.voice}"


class CreditEntry(models.Model):
    """Ledger: the balance of an organisation is the sum of its entries."""

    organisation = models.ForeignKey(
        "voicemanager.Organisation", on_delete=models.CASCADE, related_name="credit_entries"
    )
    amount = models.IntegerField()
    reason = models.CharField(max_length=200)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    voice = models.ForeignKey(Voice, null=True, blank=True, on_delete=models.SET_NULL, related_name="credit_entries")
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "credit entries"

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.reason}"


# --- the admin's download of a finished set: the same archive the cloning provider gets ---------------


def export_id() -> str:
    return new_public_id("set")


def export_upload_to(instance: DataSetExport, filename: str) -> str:
    return f"orgs/{instance.organisation.public_id}/exports/{instance.public_id}.zip"


class DataSetExport(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Building"
        DONE = "done", "Ready to download"
        FAILED = "failed", "Failed"

    public_id = models.CharField(max_length=40, unique=True, default=export_id, editable=False)
    organisation = models.ForeignKey("voicemanager.Organisation", on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey("voicemanager.RecordingTask", on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    files_used = models.JSONField(default=list, blank=True)
    done_members = models.PositiveIntegerField(default=0)
    total_members = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=export_upload_to, max_length=500, blank=True)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    manifest = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.state})"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return round(100 * self.done_members / self.total_members) if self.total_members else 0

    def claim(self) -> bool:
        """queued -> running once (a redelivered job finds it claimed)."""
        return bool(DataSetExport.objects.filter(pk=self.pk, state=self.State.QUEUED).update(
            state=self.State.RUNNING, started_at=timezone.now()))

    def report_progress(self, done: int, total: int) -> None:
        DataSetExport.objects.filter(pk=self.pk).update(done_members=done, total_members=total)

    def finish(self, *, name: str, size: int, sha256: str, manifest: dict) -> bool:
        return bool(DataSetExport.objects.filter(pk=self.pk, state=self.State.RUNNING).update(
            state=self.State.DONE, file=name, size=size, sha256=sha256, manifest=manifest,
            finished_at=timezone.now()))

    def fail(self, reason: str) -> None:
        DataSetExport.objects.filter(pk=self.pk).exclude(state=self.State.DONE).update(
            state=self.State.FAILED, error=reason[:2000], finished_at=timezone.now())
