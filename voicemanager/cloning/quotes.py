"""Credit quotes for professional clones: staff quote, the organisation's admin accepts (and is charged)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from voicemanager.core.languages import LANGUAGE_CHOICES


class CreditQuoteQuerySet(models.QuerySet):
    def for_org(self, organisation) -> CreditQuoteQuerySet:
        return self.filter(organisation=organisation)

    def pending(self) -> CreditQuoteQuerySet:
        return self.filter(status=CreditQuote.Status.PENDING)

    def withdraw_pending(self, actor) -> int:
        """A new quote replaces the open one (e.g. a corrected amount)."""
        return self.pending().update(status=CreditQuote.Status.WITHDRAWN, decided_by=actor, decided_at=timezone.now())


class CreditQuote(models.Model):
    """The price of one professional voice; it depends on language, amount of data and service level."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the admin"
        ACCEPTED = "accepted", "Accepted (charged)"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn by staff"

    class ServiceLevel(models.TextChoices):
        STANDARD = "standard", "Standard"
        PRIORITY = "priority", "Priority"
        CONCIERGE = "concierge", "Concierge (managed)"

    organisation = models.ForeignKey("voicemanager.Organisation", on_delete=models.CASCADE, related_name="quotes")
    voice = models.ForeignKey("voicemanager.Voice", on_delete=models.CASCADE, related_name="quotes")
    amount = models.PositiveIntegerField(help_text="Credits charged when the admin accepts.")
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, blank=True)
    data_minutes = models.PositiveIntegerField(default=0, help_text="Minutes of audio in the set.")
    service_level = models.CharField(max_length=16, choices=ServiceLevel.choices, default=ServiceLevel.STANDARD)
    note = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    credit_entry = models.OneToOneField(
        "voicemanager.CreditEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="quote"
    )

    objects = CreditQuoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one open or accepted quote per voice: a voice is never charged twice.
            models.UniqueConstraint(
                fields=["voice"], condition=models.Q(status__in=["pending", "accepted"]), name="one_live_quote_per_voice"
            ),
        ]

    def __str__(self) -> str:
        return f"Quote {self.pk}: {self.amount} credits for {self.voice} ({self.status})"

    # Status changes; the callers (voicemanager/cloning/credits.py) hold the row lock and charge first.
    def accept(self, user, entry) -> None:
        """Accepted and charged by ``entry``."""
        self.status, self.decided_by, self.decided_at = CreditQuote.Status.ACCEPTED, user, timezone.now()
        self.credit_entry = entry
        self.save(update_fields=["status", "decided_by", "decided_at", "credit_entry"])

    def decline(self, user) -> None:
        self.status, self.decided_by, self.decided_at = CreditQuote.Status.DECLINED, user, timezone.now()
        self.save(update_fields=["status", "decided_by", "decided_at"])
