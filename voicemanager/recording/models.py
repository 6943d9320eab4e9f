"""Recording tasks (a script assigned to a contractor, saved into an organisation's files) and their takes."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
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

    # Status changes of many tasks at once (conditional updates: a task already moved on is left alone).
    def accept(self, speaker) -> int:
        """Invited tasks move into ``speaker``'s booth (their invitation was accepted)."""
        return self.filter(status=RecordingTask.Status.INVITED).update(
            speaker=speaker, status=RecordingTask.Status.ACCEPTED, last_activity_at=timezone.now())

    def cancel_invited(self) -> int:
        """Tasks still waiting for a revoked invitation are cancelled."""
        now = timezone.now()
        return self.filter(status=RecordingTask.Status.INVITED).update(
            status=RecordingTask.Status.CANCELLED, cancelled_at=now, last_activity_at=now)

    def mark_processing(self) -> int:
        """Submitted tasks whose takes a worker is on."""
        return self.filter(status=RecordingTask.Status.SUBMITTED).update(status=RecordingTask.Status.PROCESSING)

    def mark_review(self) -> int:
        """Processed, but a take failed QC or waits for an approval: the task waits for the review."""
        return self.filter(status__in=(RecordingTask.Status.SUBMITTED, RecordingTask.Status.PROCESSING)).update(
            status=RecordingTask.Status.REVIEW)

    def mark_ready(self) -> int:
        """Submitted or processing tasks whose every take is analysed and denoised."""
        return self.filter(status__in=(RecordingTask.Status.SUBMITTED, RecordingTask.Status.PROCESSING,
                                       RecordingTask.Status.REVIEW)).update(status=RecordingTask.Status.READY)

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
        REVIEW = "review", "Needs review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        READY = "ready", "Ready"
        CANCELLED = "cancelled", "Cancelled"

    CLOSED_STATUSES = (Status.SUBMITTED, Status.PROCESSING, Status.REVIEW, Status.READY, Status.CANCELLED)
    REVIEWABLE = (Status.RECORDING, Status.SUBMITTED, Status.PROCESSING, Status.REVIEW, Status.READY,
                  Status.CHANGES_REQUESTED)

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
    language_warning_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Admin who assigned despite the script language not being the speaker's native language.",
    )
    screening_sections = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Pause recording after this many sections until an admin approves the "
        "setup (empty: no screening).")
    screening_paused_at = models.DateTimeField(null=True, blank=True)
    screening_released_at = models.DateTimeField(null=True, blank=True)
    screening_released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

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

    # Status changes of one task; each locks the row (a booth request and a worker can race).
    def _locked(self) -> RecordingTask:
        return RecordingTask.objects.select_for_update().get(pk=self.pk)

    def _set(self, **fields) -> None:
        RecordingTask.objects.filter(pk=self.pk).update(**fields)
        for name, value in fields.items():
            setattr(self, name, value)

    def start_recording(self) -> None:
        """A take arrived: invited or accepted tasks are now being recorded; every task shows the activity."""
        with transaction.atomic():
            fields: dict = {"last_activity_at": timezone.now()}
            if self._locked().status in (self.Status.INVITED, self.Status.ACCEPTED):
                fields["status"] = self.Status.RECORDING
            self._set(**fields)

    def submit_take(self, *, finished: bool) -> None:
        """A take became its section's preferred one; ``finished``: every section now has one."""
        with transaction.atomic():
            locked = self._locked()
            if finished and locked.status != self.Status.SUBMITTED:
                now = timezone.now()
                self._set(status=self.Status.SUBMITTED, submitted_at=now, last_activity_at=now)
            else:
                self.start_recording()

    # Review and screening (the rules are in recording/reviews.py).
    @property
    def screening_waiting(self) -> bool:
        """Recording is paused until an admin approves the setup."""
        return bool(self.screening_paused_at and not self.screening_released_at)

    def request_changes(self) -> bool:
        """A review round went out: the task shows "changes requested" until every request is answered."""
        with transaction.atomic():
            if self._locked().status not in self.REVIEWABLE:
                return False
            self._set(status=self.Status.CHANGES_REQUESTED, last_activity_at=timezone.now())
        return True

    def changes_answered(self, *, all_submitted: bool) -> bool:
        """The last open request is answered: back to submitted (every section in) or recording."""
        with transaction.atomic():
            if self._locked().status != self.Status.CHANGES_REQUESTED:
                return False
            now = timezone.now()
            if all_submitted:
                self._set(status=self.Status.SUBMITTED, submitted_at=now, last_activity_at=now)
            else:
                self._set(status=self.Status.RECORDING, last_activity_at=now)
        return True

    def pause_for_screening(self) -> bool:
        """The first N sections are in: pause once (True only for the caller that paused it)."""
        now = timezone.now()
        done = RecordingTask.objects.filter(pk=self.pk, screening_sections__isnull=False,
                                            screening_paused_at=None).update(screening_paused_at=now)
        if done:
            self.screening_paused_at = now
        return bool(done)

    def release_screening(self, user) -> bool:
        """The admin approved the setup: recording goes on (True only for the caller that released it)."""
        now = timezone.now()
        done = RecordingTask.objects.filter(pk=self.pk, screening_paused_at__isnull=False,
                                            screening_released_at=None).update(
            screening_released_at=now, screening_released_by=user, last_activity_at=now)
        if done:
            self.screening_released_at, self.screening_released_by = now, user
        return bool(done)

    def cancel(self) -> str:
        """Stop the task (it leaves the booth; recordings are kept); return the status it had."""
        with transaction.atomic():
            previous = self._locked().status
            now = timezone.now()
            self._set(status=self.Status.CANCELLED, cancelled_at=now, last_activity_at=now)
        return previous


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

    # Status changes. The flows that call these (voicemanager/recording/takes.py) lock the take's task
    # first; the methods lock again so a caller that forgets cannot race.
    def mark_recorded(self) -> None:
        """The section's submitted take was replaced by another one; this one is kept in history."""
        with transaction.atomic():
            Take.objects.select_for_update().filter(pk=self.pk).update(
                status=Take.Status.RECORDED, submitted_at=None, audio_file=None)
        self.status, self.submitted_at, self.audio_file = Take.Status.RECORDED, None, None

    def mark_submitted(self, audio_file) -> None:
        """The preferred take of its section, published as ``audio_file`` in the file manager."""
        with transaction.atomic():
            Take.objects.select_for_update().filter(pk=self.pk).first()
            self.status, self.submitted_at, self.audio_file = Take.Status.SUBMITTED, timezone.now(), audio_file
            self.save(update_fields=["status", "submitted_at", "audio_file"])

    def mark_deleted(self) -> None:
        """Deleted by the talent; the row and its file stay for history and deletion requests."""
        with transaction.atomic():
            now = timezone.now()
            Take.objects.select_for_update().filter(pk=self.pk).update(status=Take.Status.DELETED, deleted_at=now)
        self.status, self.deleted_at = Take.Status.DELETED, now
