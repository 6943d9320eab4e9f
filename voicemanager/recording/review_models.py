"""Reviews of takes: approved, or a retake requested with a note; requests go out in rounds.

History is kept: a new decision on a take withdraws the earlier open request, a new take
for the section answers it (``answered_by``); nothing is deleted. A round collects the
retake requests a reviewer makes and sends them to the talent together, in one email.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReviewRound(models.Model):
    """Retake requests sent to the talent together (one email per round)."""

    task = models.ForeignKey("voicemanager.RecordingTask", on_delete=models.CASCADE, related_name="review_rounds")
    number = models.PositiveIntegerField()
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    class Meta:
        ordering = ["task", "number"]
        constraints = [
            models.UniqueConstraint(fields=["task", "number"], name="unique_review_round_number"),
            models.UniqueConstraint(fields=["task"], condition=models.Q(sent_at=None), name="one_open_review_round"),
        ]

    def __str__(self) -> str:
        return f"round {self.number} of {self.task_id}"

    def pending_requests(self) -> models.QuerySet:
        return self.reviews.filter(decision=Review.Decision.RETAKE, withdrawn_at=None, answered_by=None)


class ReviewQuerySet(models.QuerySet):
    def open_requests(self) -> ReviewQuerySet:
        """Retake requests the talent has not answered yet (nor the reviewer withdrawn)."""
        return self.filter(decision=Review.Decision.RETAKE, withdrawn_at=None, answered_by=None)

    def sent(self) -> ReviewQuerySet:
        return self.filter(round__sent_at__isnull=False)


class Review(models.Model):
    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        RETAKE = "retake", "Retake requested"

    task = models.ForeignKey("voicemanager.RecordingTask", on_delete=models.CASCADE, related_name="reviews")
    section = models.ForeignKey("voicemanager.Section", on_delete=models.PROTECT, related_name="reviews")
    take = models.ForeignKey("voicemanager.Take", on_delete=models.CASCADE, related_name="reviews")
    decision = models.CharField(max_length=16, choices=Decision.choices)
    note = models.TextField(blank=True, max_length=2000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    round = models.ForeignKey(ReviewRound, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews")
    answered_by = models.ForeignKey("voicemanager.Take", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="answers", help_text="The new take that answered this request.")
    answered_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True, help_text="A later decision on the same take.")

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["task", "section"]), models.Index(fields=["take", "created_at"])]

    def __str__(self) -> str:
        return f"{self.decision} {self.take_id}"

    @property
    def by_label(self) -> str:
        return (self.by.get_full_name() or self.by.email) if self.by else "system"

    def answer(self, take) -> None:
        """The talent submitted ``take`` for this section: the request is answered (kept in history)."""
        if self.answered_by_id is None and self.withdrawn_at is None:
            self.answered_by, self.answered_at = take, timezone.now()
            self.save(update_fields=["answered_by", "answered_at"])

    def withdraw(self) -> None:
        if self.withdrawn_at is None and self.answered_by_id is None:
            self.withdrawn_at = timezone.now()
            self.save(update_fields=["withdrawn_at"])
