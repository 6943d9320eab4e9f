"""Whose voice is on a take or a file, and how it drifted: one ``VoiceCheck`` per recording."""
from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone


class VoiceCheck(models.Model):
    """A booth take or an uploaded file of a known speaker, compared with that speaker's consent recording.

    Created (pending) in the transaction that stores the recording, with its job in the
    outbox; the worker claims it (``claim``), then ``finish`` or ``fail`` it. ``verdict``
    is "same", "unsure" or "different" (``tasks.audio.speaker.compare``); drift
    ``measures`` and ``warnings`` come from ``tasks.audio.drift``.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Not checked"

    class Verdict(models.TextChoices):
        SAME = "same", "Same speaker"
        UNSURE = "unsure", "Unsure"
        DIFFERENT = "different", "Different speaker"

    take = models.OneToOneField("voicemanager.Take", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="voice_check")
    audio_file = models.OneToOneField("voicemanager.AudioFile", null=True, blank=True, on_delete=models.CASCADE,
                                      related_name="voice_check")
    organisation = models.ForeignKey("voicemanager.Organisation", on_delete=models.CASCADE, related_name="+")
    speaker = models.ForeignKey("voicemanager.Speaker", on_delete=models.CASCADE, related_name="voice_checks")
    task = models.ForeignKey("voicemanager.RecordingTask", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="voice_checks")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING, db_index=True)
    verdict = models.CharField(max_length=16, choices=Verdict.choices, blank=True)
    similarity = models.FloatField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="speaker.compare() as returned")
    embedding = models.JSONField(default=list, blank=True)
    measures = models.JSONField(default=dict, blank=True, help_text="drift.measure()")
    warnings = models.JSONField(default=list, blank=True, help_text="drift.compare() warnings")
    is_reference = models.BooleanField(default=False, help_text="An admin picked this take as a drift reference.")
    error = models.TextField(blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    STALE = timedelta(minutes=10)

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(take__isnull=False) | Q(audio_file__isnull=False),
                                              name="voice_check_has_subject")]
        indexes = [models.Index(fields=["task", "state"]), models.Index(fields=["speaker", "state"])]

    def __str__(self) -> str:
        return f"voice check {self.pk} ({self.state} {self.verdict})"

    @property
    def is_flagged(self) -> bool:
        return self.verdict == self.Verdict.DIFFERENT

    def claim(self, *, reclaim: bool = False) -> bool:
        """Take the check for this worker; False when someone else has it or it is done."""
        now = timezone.now()
        free = Q(state=self.State.PENDING) | Q(state=self.State.RUNNING, started_at__lt=now - self.STALE)
        if reclaim:
            free |= Q(state=self.State.RUNNING)
        claimed = type(self).objects.filter(free, pk=self.pk).update(state=self.State.RUNNING, started_at=now)
        if claimed:
            self.state, self.started_at = self.State.RUNNING, now
        return bool(claimed)

    def finish(self, *, result: dict, embedding: list, measures: dict, warnings: list) -> None:
        self.state, self.checked_at, self.error = self.State.DONE, timezone.now(), ""
        self.result, self.verdict, self.similarity = result, result["verdict"], result["similarity"]
        self.embedding, self.measures, self.warnings = embedding, measures, warnings
        self.save(update_fields=["state", "checked_at", "error", "result", "verdict", "similarity", "embedding",
                                 "measures", "warnings"])

    def fail(self, reason: str, *, measures: dict | None = None) -> None:
        """Not checked (no consent recording yet, no speech...): shown, never blocks a set on its own."""
        self.state, self.checked_at, self.error = self.State.FAILED, timezone.now(), reason[:1000]
        self.verdict, self.similarity = "", None
        if measures is not None:
            self.measures = measures
        self.save(update_fields=["state", "checked_at", "error", "verdict", "similarity", "measures"])

    def release(self) -> None:
        """Give a claimed check back after a transient failure, so the retry can claim it."""
        type(self).objects.filter(pk=self.pk, state=self.State.RUNNING).update(state=self.State.PENDING)
        self.state = self.State.PENDING

    def set_reference(self, on: bool) -> None:
        type(self).objects.filter(pk=self.pk).update(is_reference=on)
        self.is_reference = on
