"""Scripts and their ordered sections (one section = one thing to record)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from voicemanager.core.ids import script_id
from voicemanager.core.languages import LANGUAGE_CHOICES


class ScriptQuerySet(models.QuerySet):
    def for_org(self, organisation) -> ScriptQuerySet:
        return self.filter(organisation=organisation)

    def current(self) -> ScriptQuerySet:
        """Latest version of each script (older versions stay for tasks already assigned)."""
        return self.filter(superseded_by__isnull=True)


class Script(models.Model):
    public_id = models.CharField(max_length=40, unique=True, default=script_id, editable=False)
    organisation = models.ForeignKey("voicemanager.Organisation", on_delete=models.CASCADE, related_name="scripts")
    title = models.CharField(max_length=300)
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, default="en")
    version = models.PositiveIntegerField(default=1)
    previous_version = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="superseded_by"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    created_by_staff = models.BooleanField(default=False, help_text="Created by an operator for the organisation.")

    objects = ScriptQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def is_assigned(self) -> bool:
        """Once assigned, sections are frozen: edits create a new version."""
        return self.recording_tasks.exists()


class Section(models.Model):
    script = models.ForeignKey(Script, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField()
    text = models.TextField()
    external_id = models.CharField(max_length=100, blank=True, help_text="Id column from an uploaded CSV.")

    class Meta:
        ordering = ["script", "position"]
        indexes = [models.Index(fields=["script", "position"])]

    def __str__(self) -> str:
        return f"{self.script_id}#{self.position}: {self.text[:40]}"
