"""Recording tasks: a script assigned to a contractor, saved into an organisation's files."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count, Sum
from django.utils import timezone

from voicemanager.ids import task_id


class RecordingTaskQuerySet(models.QuerySet):
    def for_org(self, organisation) -> RecordingTaskQuerySet:
        return self.filter(organisation=organisation)

    def for_admin(self, user) -> RecordingTaskQuerySet:
        from voicemanager.models.accounts import Organisation

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

        take_model = apps.get_model("booth", "Take")
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
        REVIEW = "review", "Needs review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        READY = "ready", "Ready"
        CANCELLED = "cancelled", "Cancelled"

    CLOSED_STATUSES = (Status.SUBMITTED, Status.PROCESSING, Status.REVIEW, Status.READY, Status.CANCELLED)

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
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INVITED, db_index=True)
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
    screening_sections = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Pause recording after this many sections until an admin approves the "
        "setup (empty: no screening).")
    screening_paused_at = models.DateTimeField(null=True, blank=True)
    screening_released_at = models.DateTimeField(null=True, blank=True)
    screening_released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
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

    # --- review and screening (the rules are in voicemanager/reviews.py) ----------------------

    REVIEWABLE = (Status.RECORDING, Status.SUBMITTED, Status.PROCESSING, Status.REVIEW, Status.READY,
                  Status.CHANGES_REQUESTED)

    @property
    def screening_waiting(self) -> bool:
        """Recording is paused until an admin approves the setup."""
        return bool(self.screening_paused_at and not self.screening_released_at)

    def request_changes(self) -> bool:
        """A review round went out: the task shows "changes requested" until every request is answered."""
        return bool(RecordingTask.objects.filter(pk=self.pk, status__in=self.REVIEWABLE).update(
            status=self.Status.CHANGES_REQUESTED, last_activity_at=timezone.now()))

    def changes_answered(self, *, all_submitted: bool) -> bool:
        """The last open request is answered: back to submitted (every section in) or recording."""
        to = self.Status.SUBMITTED if all_submitted else self.Status.RECORDING
        return bool(RecordingTask.objects.filter(pk=self.pk, status=self.Status.CHANGES_REQUESTED).update(
            status=to, last_activity_at=timezone.now()))

    def mark_reviewed(self, *, acceptable: bool) -> bool:
        """Files processed: ready when every section is acceptable, else waiting for the review."""
        to = self.Status.READY if acceptable else self.Status.REVIEW
        return bool(RecordingTask.objects.filter(
            pk=self.pk, status__in=(self.Status.SUBMITTED, self.Status.PROCESSING, self.Status.REVIEW)
        ).exclude(status=to).update(status=to))

    def pause_for_screening(self) -> bool:
        """The first N sections are in: pause once (True only for the caller that paused it)."""
        return bool(RecordingTask.objects.filter(pk=self.pk, screening_sections__isnull=False,
                                                 screening_paused_at=None).update(screening_paused_at=timezone.now()))

    def release_screening(self, user) -> bool:
        """The admin approved the setup: recording goes on (True only for the caller that released it)."""
        now = timezone.now()
        done = RecordingTask.objects.filter(pk=self.pk, screening_paused_at__isnull=False,
                                            screening_released_at=None).update(
            screening_released_at=now, screening_released_by=user, last_activity_at=now)
        if done:
            self.screening_released_at, self.screening_released_by = now, user
        return bool(done)
