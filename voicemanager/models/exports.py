"""A finished set packaged for the admin to download: the same archive the cloning provider gets."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from voicemanager.ids import new_public_id


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
