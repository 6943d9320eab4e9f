"""Append-only audit log. Rows cannot be changed or removed through the app.

On PostgreSQL a trigger (migration ``0002_audit_append_only``) also refuses UPDATE
and DELETE at the database level.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def delete(self):
        raise PermissionError("Audit events are append-only.")


class AuditEvent(models.Model):
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, help_text="e.g. 'system', 'staff:ops@example.com'.")
    by_staff = models.BooleanField(default=False, help_text="An operator acted for the organisation.")
    organisation = models.ForeignKey(
        "voicemanager.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=100, blank=True, db_index=True)
    storage_locations = models.JSONField(default=list, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.target_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")


def record(action: str, *, actor=None, organisation=None, target=None, target_type: str = "", target_id: str = "",
           storage_locations: list | None = None, actor_label: str = "", **details) -> AuditEvent:
    """Write one audit event. ``actor`` None means the system, or ``actor_label`` (e.g. an API key)."""
    if target is not None:
        target_type = target_type or target._meta.label
        target_id = target_id or str(getattr(target, "public_id", None) or target.pk)
    if actor is None or not getattr(actor, "is_authenticated", False):
        label, by_staff, actor = actor_label or "system", False, None
    else:
        by_staff = bool(actor.is_staff)
        label = f"{'staff' if by_staff else 'user'}:{actor.email}"
    return AuditEvent.objects.create(
        actor=actor, actor_label=label, by_staff=by_staff, organisation=organisation, action=action,
        target_type=target_type, target_id=target_id, storage_locations=storage_locations or [], details=details,
    )
