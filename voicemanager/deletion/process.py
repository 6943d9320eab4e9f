"""Running the flow: the next step for a request, and the staff decisions between steps."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from voicemanager.core import audit, outbox
from voicemanager.core.links import site_url
from voicemanager.deletion import backup, delete, emails, identify, report, verify
from voicemanager.deletion.claims import Busy, LostClaim  # noqa: F401 - re-exported for the tasks
from voicemanager.models import DeletionRequest

S = DeletionRequest.Status
OPEN = (S.UNCONFIRMED, S.CONFIRMED, S.IDENTIFIED)
TERMINAL = (S.COMPLETED, S.REJECTED, S.FAILED)


def next_step(req: DeletionRequest):
    """The step function to run now, or None when the request waits or has ended."""
    if req.status == S.CONFIRMED:
        return identify.run
    if req.status == S.IDENTIFIED:
        if not req.approved_at:
            return None  # staff look at the list first
        return delete.run if req.urgent else backup.run
    return {S.BACKED_UP: delete.run, S.DELETED: verify.run, S.VERIFIED: report.run}.get(req.status)


def advance(pk: int) -> str:
    """Run steps until the request waits for staff, ends or fails; returns the status reached."""
    for _ in range(8):
        req = DeletionRequest.objects.filter(pk=pk).first()
        if req is None:
            return "gone"
        step = next_step(req)
        if step is None:
            return req.status
        try:
            step(pk)
        except LostClaim:
            pass
        after = DeletionRequest.objects.filter(pk=pk).values_list("status", flat=True).first()
        if after == req.status:
            return after  # the step did not move it (e.g. rejected meanwhile): stop here
    return DeletionRequest.objects.get(pk=pk).status


def enqueue(req: DeletionRequest) -> None:
    outbox.enqueue("tasks.deletion.advance_deletion", req.pk)


def approve(req: DeletionRequest, actor) -> bool:
    """Staff approve the identified list; the worker continues (backup, or straight to deletion if urgent)."""
    with transaction.atomic():
        ok = DeletionRequest.objects.filter(pk=req.pk, status=S.IDENTIFIED, approved_at__isnull=True).update(
            approved_at=timezone.now(), approved_by=actor)
        if ok:
            audit.record("deletion.approved", actor=actor, organisation=req.organisation, target=req,
                         urgent=req.urgent)
            enqueue(req)
    return bool(ok)


def reject(req: DeletionRequest, actor, reason: str) -> bool:
    """Close a request before anything was deleted (e.g. not the voice owner)."""
    with transaction.atomic():
        ok = DeletionRequest.objects.filter(pk=req.pk).reject(reason)
        if ok:
            audit.record("deletion.rejected", actor=actor, organisation=req.organisation, target=req, reason=reason)
    return bool(ok)


def resume_status(req: DeletionRequest) -> str:
    if not req.identified_at:
        return S.CONFIRMED
    if req.backup_key and not req.urgent:
        return S.BACKED_UP
    return S.IDENTIFIED


def retry(req: DeletionRequest, actor) -> bool:
    """After a failure: go back to the step that must run again (deletion re-runs on what remains)."""
    with transaction.atomic():
        ok = DeletionRequest.objects.filter(pk=req.pk).retry(resume_status(req))
        if ok:
            audit.record("deletion.retried", actor=actor, organisation=req.organisation, target=req,
                         previous_failure=req.failure_reason)
            enqueue(req)
    return bool(ok)


def resume(req: DeletionRequest, actor) -> None:
    """Re-enqueue a request whose job was lost; harmless when a worker is on it (steps claim)."""
    audit.record("deletion.resume_requested", actor=actor, organisation=req.organisation, target=req,
                 status=req.status)
    enqueue(req)


def fail(pk: int, reason: str) -> None:
    """A step could not complete (bad data or retries exhausted): failed, audited, staff alerted."""
    req = DeletionRequest.objects.filter(pk=pk).first()
    if req is None:
        return
    with transaction.atomic():
        ok = DeletionRequest.objects.filter(pk=pk).fail(reason)
        if ok:
            audit.record("deletion.failed", organisation=req.organisation, target=req, reason=reason[:2000],
                         status_before=req.status)
            transaction.on_commit(lambda: emails.send("alert", emails.staff_addresses(), {
                "req": req, "reason": reason, "result": None,
                "url": site_url("ops_deletion_detail", req.public_id),
            }))


def stalled(req: DeletionRequest) -> bool:
    """Waiting for a worker with no lease held (its job may have been lost)."""
    if req.status in (S.BACKED_UP, S.DELETED, S.VERIFIED, S.CONFIRMED) or (req.status == S.IDENTIFIED
                                                                          and req.approved_at):
        return not req.lease_until or req.lease_until <= timezone.now()
    return False


def restore(req: DeletionRequest, actor) -> None:
    """Staff asked for a restore: run it in a worker."""

    audit.record("deletion.restore_requested", actor=actor, organisation=req.organisation, target=req)
    actor_pk = actor.pk if actor else None
    outbox.enqueue("tasks.deletion.restore_deletion_backup", req.pk, actor_pk)


__all__ = ["advance", "approve", "reject", "retry", "resume", "fail", "stalled", "restore", "backup", "Busy"]
