"""Transactional outbox: a job recorded in the same transaction as the data it is about."""
from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """One Celery job to send; its id is the Celery task id, so the worker can mark it done."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="Last time the broker took it.")
    done_at = models.DateTimeField(null=True, blank=True, help_text="A worker finished it (success or final failure).")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True,
                                        help_text="A worker is running it and said so at this time (every few seconds).")
    takeovers = models.PositiveIntegerField(default=0, help_text="Re-sent because its worker stopped beating.")

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["done_at", "sent_at"], name="outbox_pending")]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)} ({'done' if self.done_at else 'sent' if self.sent_at else 'unsent'})"
