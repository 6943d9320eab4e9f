"""Right-to-be-forgotten requests and their step-by-step state."""
from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
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
        MAIL_NOT_SENT = "mail_not_sent", "Confirmation email not sent"
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
    organisation_ref = models.CharField(
        max_length=200, blank=True,
        help_text="The studio as the requester named it (free text), or the filing organisation's id (API).")
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
    matched = models.JSONField(
        default=dict, blank=True,
        help_text="What staff (or the API's filing organisation) matched the request to: "
                  "{'speakers': [pk], 'voices': [pk], 'organisations': [pk]}. Empty until matched.")
    mail_error = models.CharField(max_length=500, blank=True, help_text="Why the confirmation email was not sent.")
    mail_failed_at = models.DateTimeField(null=True, blank=True)

    objects = DeletionRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.public_id} {self.first_name} {self.last_name} ({self.scope})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_matched(self) -> bool:
        return bool(self.matched.get("voices") or self.matched.get("speakers"))

    def _move(self, from_statuses, **fields) -> bool:
        """Conditional update from one of ``from_statuses``; refreshes self when it took."""
        ok = type(self).objects.filter(pk=self.pk, status__in=from_statuses).update(**fields)
        if ok:
            self.refresh_from_db()
        return bool(ok)

    def mark_mail_not_sent(self, error: str) -> bool:
        """unconfirmed → mail_not_sent: the link could not be emailed; the request waits for a resend."""
        from voicemanager.core import audit

        with transaction.atomic():
            ok = self._move([self.Status.UNCONFIRMED], status=self.Status.MAIL_NOT_SENT, mail_error=error[:500],
                            mail_failed_at=timezone.now())
            if ok:
                audit.record("deletion.mail_not_sent", organisation=self.organisation, target=self,
                             email=self.email, error=error[:500])
        return ok

    def mark_mail_sent(self, actor=None) -> bool:
        """mail_not_sent → unconfirmed: the confirmation link went out on a resend."""
        from voicemanager.core import audit

        with transaction.atomic():
            ok = self._move([self.Status.MAIL_NOT_SENT], status=self.Status.UNCONFIRMED, mail_error="")
            if ok:
                audit.record("deletion.mail_resent", actor=actor, organisation=self.organisation, target=self,
                             email=self.email)
        return ok

    def match(self, *, speakers: list[int], voices: list[int], organisations: list[int], actor=None) -> bool:
        """confirmed (or identified, not yet approved) → confirmed with the speakers, voices and
        organisations staff chose; the worker then identifies every instance behind them."""
        from voicemanager.core import audit, outbox
        from voicemanager.models import Organisation

        matched = {"speakers": sorted(set(speakers)), "voices": sorted(set(voices)),
                   "organisations": sorted(set(organisations))}
        orgs = list(Organisation.objects.filter(pk__in=matched["organisations"]))
        S = self.Status
        with transaction.atomic():
            ok = type(self).objects.filter(pk=self.pk, approved_at__isnull=True, lease_until__isnull=True,
                                           status__in=[S.CONFIRMED, S.IDENTIFIED]).update(
                status=S.CONFIRMED, matched=matched, found={}, identified_at=None,
                organisation=orgs[0] if len(orgs) == 1 else None)
            if not ok:
                return False
            self.refresh_from_db()
            audit.record("deletion.matched", actor=actor, organisation=self.organisation, target=self,
                         speakers=matched["speakers"], voices=matched["voices"],
                         organisations=[o.public_id for o in orgs])
            outbox.enqueue("tasks.deletion.advance_deletion", self.pk)
        return True


class DeletionNotice(models.Model):
    """What an organisation is told in place of the items a deletion request removed.

    Holds no recording, no speaker name or email: the organisation's own labels (the voice's
    alias, the script's title) and the removed items' public ids, so its task and voice pages
    can say what happened. ``restored_at`` is set when staff restore the backup.
    """

    class Kind(models.TextChoices):
        VOICE = "voice", "Voice"
        TASK = "task", "Recording task"
        FILES = "files", "Audio files"

    organisation = models.ForeignKey("voicemanager.Organisation", on_delete=models.CASCADE,
                                     related_name="deletion_notices")
    request = models.ForeignKey(DeletionRequest, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    item_id = models.CharField(max_length=40, db_index=True, help_text="Public id of the removed voice or task.")
    label = models.CharField(max_length=300, help_text="The organisation's own name for it: alias or script title.")
    details = models.JSONField(default=dict, blank=True, help_text="Counts of what went with it (takes, files).")
    deleted_at = models.DateTimeField(default=timezone.now)
    restored_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-deleted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["request", "kind", "item_id"],
                                               name="one_deletion_notice_per_item")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label} removed ({self.request_id})"
