"""Right-to-be-forgotten requests and their step-by-step state."""
from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from voicemanager.core.ids import deletion_id


def deadline_default():
    return timezone.now() + timedelta(days=30)


class DeletionRequestQuerySet(models.QuerySet):
    """Every status change of a deletion request: a conditional update on the status it must have,
    so two workers (or a worker and staff) never both move it; each returns how many rows moved."""

    def finish(self, from_status: str, to_status: str, **fields) -> int:
        """One step done: the next status, and the step's lease released."""
        return self.filter(status=from_status).update(status=to_status, lease_until=None, **fields)

    def confirm(self, nonce: str) -> int:
        """The requester clicked the emailed link; the nonce rotates so the link dies."""
        return self.filter(status=DeletionRequest.Status.UNCONFIRMED, confirm_nonce=nonce).update(
            status=DeletionRequest.Status.CONFIRMED, confirmed_at=timezone.now(), confirm_nonce=secrets.token_urlsafe())

    def reject(self, reason: str) -> int:
        """Staff close a request before anything was deleted."""
        S = DeletionRequest.Status  # noqa: N806
        return self.filter(status__in=(S.UNCONFIRMED, S.CONFIRMED, S.IDENTIFIED)).update(
            status=S.REJECTED, failure_reason=reason or "Rejected by staff.", lease_until=None)

    def retry(self, resume_status: str) -> int:
        """After a failure, back to the step that must run again."""
        return self.filter(status=DeletionRequest.Status.FAILED).update(
            status=resume_status, failure_reason="", lease_until=None)

    def fail(self, reason: str) -> int:
        S = DeletionRequest.Status  # noqa: N806
        return self.exclude(status__in=(S.COMPLETED, S.REJECTED, S.FAILED)).update(
            status=S.FAILED, failure_reason=reason[:2000], lease_until=None)


class DeletionRequest(models.Model):
    class Scope(models.TextChoices):
        VOICE = "voice", "Voice only"
        VOICE_AND_RECORDINGS = "voice_and_recordings", "Voice and recordings"

    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", "Waiting for email confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        IDENTIFIED = "identified", "Instances identified"
        BACKED_UP = "backed_up", "Backed up"
        DELETED = "deleted", "Deleted"
        VERIFIED = "verified", "Verified"
        COMPLETED = "completed", "Completed (report sent)"
        FAILED = "failed", "Failed (staff alerted)"
        REJECTED = "rejected", "Rejected"

    public_id = models.CharField(max_length=40, unique=True, default=deletion_id, editable=False)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField()
    organisation_ref = models.CharField(max_length=100, help_text="Organisation id as given by the requester.")
    organisation = models.ForeignKey(
        "voicemanager.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    voice_alias = models.CharField(max_length=100, blank=True)
    scope = models.CharField(max_length=24, choices=Scope.choices, default=Scope.VOICE)
    urgent = models.BooleanField(default=False, help_text="Delete immediately, keep no backup.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UNCONFIRMED, db_index=True)
    confirm_nonce = models.CharField(max_length=64, default=secrets.token_urlsafe)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(default=deadline_default)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True, help_text="Staff approved deletion of the listed instances.")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker holds the current step until then (claimed by conditional update)."
    )
    identified_at = models.DateTimeField(null=True, blank=True)
    found = models.JSONField(default=dict, blank=True, help_text="Every instance found, by kind.")
    backup_key = models.CharField(max_length=500, blank=True, help_text="Storage key of the encrypted backup.")
    backup_sha256 = models.CharField(max_length=64, blank=True)
    backed_up_at = models.DateTimeField(null=True, blank=True)
    backup_expires_at = models.DateTimeField(null=True, blank=True)
    backup_purged_at = models.DateTimeField(null=True, blank=True)
    restored_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    report = models.JSONField(default=dict, blank=True)

    objects = DeletionRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.public_id} {self.first_name} {self.last_name} ({self.scope})"
