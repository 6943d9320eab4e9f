"""Recording tasks (a script assigned to a contractor, saved into an organisation's files) and their takes."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count, Q, Sum
from django.utils import timezone

from voicemanager.core.ids import take_id, task_id


class RecordingTaskQuerySet(models.QuerySet):
    def for_org(self, organisation) -> RecordingTaskQuerySet:
        return self.filter(organisation=organisation)

    def for_admin(self, user) -> RecordingTaskQuerySet:
        from voicemanager.accounts.models import Organisation

        return self.filter(organisation__in=Organisation.objects.for_user(user))

    def for_contractor(self, user) -> RecordingTaskQuerySet:
        return self.filter(speaker__user=user).exclude(status=RecordingTask.Status.CANCELLED)

    def open(self) -> RecordingTaskQuerySet:
        return self.exclude(status__in=RecordingTask.CLOSED_STATUSES)

    def overdue(self) -> RecordingTaskQuerySet:
        return self.open().filter(due_date__lt=timezone.localdate())

    def due_soon(self, hours: int = 48) -> RecordingTaskQuerySet:
        today = timezone.localdate()
        return self.open().filter(due_date__gte=today, due_date__lte=(timezone.now() + timedelta(hours=hours)).date())

    def with_progress(self) -> RecordingTaskQuerySet:
        """Annotate section counts, submitted counts and seconds recorded in one query.

        Correlated subqueries, not joins: joining sections and takes together would
        multiply the seconds by the number of sections.
        """
        from django.apps import apps
        from django.db.models import FloatField, IntegerField, OuterRef, Subquery, Value
        from django.db.models.functions import Coalesce

        take_model = apps.get_model("voicemanager", "Take")
        section_model = apps.get_model("voicemanager", "Section")
        takes = take_model.objects.filter(task=OuterRef("pk"), kind="take").order_by().values("task")

        def sub(queryset, field):
            return Coalesce(Subquery(queryset.values("v")[:1], output_field=field), Value(0), output_field=field)

        return self.annotate(
            n_sections=sub(section_model.objects.filter(script=OuterRef("script")).order_by().values("script")
                           .annotate(v=Count("pk")), IntegerField()),
            n_submitted=sub(takes.filter(status="submitted").annotate(v=Count("section", distinct=True)),
                            IntegerField()),
            seconds_recorded=sub(takes.exclude(status="deleted").annotate(v=Sum("duration")), FloatField()),
        )


class RecordingTask(models.Model):
    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        ACCEPTED = "accepted", "Accepted"
        RECORDING = "recording", "Recording"
        SUBMITTED = "submitted", "Submitted"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        CANCELLED = "cancelled", "Cancelled"

    CLOSED_STATUSES = (Status.SUBMITTED, Status.PROCESSING, Status.READY, Status.CANCELLED)

    public_id = models.CharField(max_length=40, unique=True, default=task_id, editable=False)
    organisation = models.ForeignKey(
        "voicemanager.Organisation", on_delete=models.CASCADE, related_name="recording_tasks",
        help_text="The organisation the recordings are saved to.",
    )
    script = models.ForeignKey("voicemanager.Script", on_delete=models.PROTECT, related_name="recording_tasks")
    speaker = models.ForeignKey(
        "voicemanager.Speaker", null=True, blank=True, on_delete=models.SET_NULL, related_name="recording_tasks"
    )
    invitation = models.ForeignKey(
        "voicemanager.Invitation", null=True, blank=True, on_delete=models.SET_NULL, related_name="recording_tasks"
    )
    contractor_email = models.EmailField()
    file_path = models.CharField(max_length=500, help_text="Folder in the organisation's file manager.")
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INVITED, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    room_tone = models.ForeignKey(
        "voicemanager.AudioFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    room_tone_report = models.JSONField(default=dict, blank=True)
    current_section = models.PositiveIntegerField(default=0, help_text="Where the booth resumes.")
    contractor_reminded_at = models.DateTimeField(null=True, blank=True)
    admin_overdue_notified_at = models.DateTimeField(null=True, blank=True)
    language_warning_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Admin who assigned despite the script language not being the speaker's native language.",
    )

    objects = RecordingTaskQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "status"]), models.Index(fields=["due_date"])]

    def __str__(self) -> str:
        return f"{self.public_id} {self.script} → {self.contractor_email}"

    @property
    def is_overdue(self) -> bool:
        return bool(self.due_date and self.status not in self.CLOSED_STATUSES and self.due_date < timezone.localdate())

    def touch(self) -> None:
        RecordingTask.objects.filter(pk=self.pk).update(last_activity_at=timezone.now())


def take_upload_to(instance: Take, filename: str) -> str:
    """Generated storage key; the browser's file name is never used."""
    task = instance.task
    return f"orgs/{task.organisation.public_id}/takes/{task.public_id}/{instance.public_id}.wav"


class Take(models.Model):
    """One recording uploaded from the booth: a script take, the consent statement or room tone."""

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
        db_table = "booth_take"  # the table the booth app created; the model moved, the rows did not
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
