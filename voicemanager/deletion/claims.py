"""Claiming a step: a conditional update on the status plus a renewable lease.

A step runs only while its request is in the step's ``from`` status and nobody else holds
an unexpired lease; moving to the next status clears the lease. A worker killed mid-step
leaves the status where it was, so the redelivered job (or the staff "resume" button)
takes the step over once the lease has run out.
"""
from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from voicemanager.models import DeletionRequest

S = DeletionRequest.Status


class Busy(Exception):
    """Another worker holds this step; try again after ``seconds``."""

    def __init__(self, seconds: float):
        super().__init__(f"step busy for {seconds:.0f}s")
        self.seconds = max(1.0, seconds)


class LostClaim(Exception):
    """The request left the step's status while we worked (e.g. rejected): stop quietly."""


def lease() -> timedelta:
    return timedelta(seconds=settings.DELETION_LEASE_SECONDS)


def claim(pk: int, from_status: str, **extra_filter) -> DeletionRequest | None:
    """Take the step, or return None when the request is already past it (redelivery: no-op)."""
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    taken = DeletionRequest.objects.filter(free, pk=pk, status=from_status, **extra_filter).update(
        lease_until=now + lease()
    )
    req = DeletionRequest.objects.select_related("organisation").filter(pk=pk).first()
    if taken:
        return req
    if req is not None and req.status == from_status and req.lease_until and req.lease_until > now:
        raise Busy((req.lease_until - now).total_seconds())
    return None


def renew(req: DeletionRequest) -> None:
    """Keep the lease while working through a long list; stop if the request moved on."""
    if not DeletionRequest.objects.filter(pk=req.pk, status=req.status).update(lease_until=timezone.now() + lease()):
        raise LostClaim(req.public_id)


def finish(req: DeletionRequest, from_status: str, to_status: str, **fields) -> bool:
    """Move to the next status (and release the lease); False if someone else already did."""
    return bool(DeletionRequest.objects.filter(pk=req.pk).finish(from_status, to_status, **fields))


def release(req: DeletionRequest) -> None:
    DeletionRequest.objects.filter(pk=req.pk, status=req.status).update(lease_until=None)


def test_pause() -> None:
    """Tests set DELETION_TEST_PAUSE_SECONDS to kill a worker between two objects deterministically."""
    if settings.DELETION_TEST_PAUSE_SECONDS:
        time.sleep(settings.DELETION_TEST_PAUSE_SECONDS)
