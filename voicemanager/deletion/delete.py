"""Step 3: delete the rows, then the stored objects, one by one, recording each.

Safe to repeat: a row already gone is skipped, a key already absent is recorded as such.
Each row deletion commits together with its audit event (and with any rows or keys the
collector found that identification had not listed, so nothing deleted goes unrecorded).
A worker killed between two objects leaves the status at the previous step; the next run
records ``deletion.delete_resumed`` and finishes the list.
"""
from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import router, transaction
from django.db.models.deletion import Collector
from django.utils import timezone

from voicemanager.core import audit
from voicemanager.deletion import claims
from voicemanager.deletion.backup import planned_keys
from voicemanager.deletion.identify import Collected, gather, get_model
from voicemanager.models import AuditEvent, DeletionRequest

S = DeletionRequest.Status


def from_status(req: DeletionRequest) -> str:
    """Urgent requests skip the backup, so they go straight from identified."""
    return S.IDENTIFIED if req.urgent else S.BACKED_UP


def _delete_root(req: DeletionRequest, root: dict) -> int:
    db = router.db_for_write(DeletionRequest)
    with transaction.atomic(using=db):
        obj = get_model(root["model"]).objects.select_for_update().filter(pk=root["pk"]).first()
        if obj is None:
            return 0  # gone with an earlier root's cascade, or by an interrupted run (audited then)
        collector = Collector(using=db, origin=obj)
        collector.collect([obj])
        got = Collected()
        gather(collector, got)
        collector.delete()
        locked = DeletionRequest.objects.select_for_update().get(pk=req.pk)
        found = locked.found
        planned = {f"{r['model']}:{r['pk']}" for r in found.get("rows", []) + found.get("late_rows", [])}
        known_keys = set(planned_keys(found))
        late_rows = [r for ref, r in got.rows.items() if ref not in planned]
        late_keys = [k for k in got.keys if k not in known_keys]
        if late_rows or late_keys:
            found["late_rows"] = found.get("late_rows", []) + late_rows
            found["late_keys"] = found.get("late_keys", []) + late_keys
            locked.found = found
            locked.save(update_fields=["found"])
            req.found = found
        audit.record(
            "deletion.rows_deleted", organisation=req.organisation, target=req,
            root=f"{root['model']}:{root['id']}",
            deleted=[f"{r['model']}:{r['id']}" for r in got.rows.values() if r["action"] == "delete"],
            unlinked=[f"{r['model']}:{r['id']}:{','.join(r['fields'])}" for r in got.rows.values()
                      if r["action"] == "unlink"],
            late=[f"{r['model']}:{r['id']}" for r in late_rows],
        )
    return len(got.rows)


def run(pk: int) -> None:
    """backed_up (or identified when urgent and approved) → deleted."""
    current = DeletionRequest.objects.filter(pk=pk).first()
    if current is None or current.status != from_status(current) or not current.approved_at:
        return
    start = from_status(current)
    req = claims.claim(pk, start, approved_at__isnull=False)
    if req is None:
        return
    resumed = AuditEvent.objects.filter(target_id=req.public_id, action="deletion.delete_started").exists()
    audit.record("deletion.delete_resumed" if resumed else "deletion.delete_started",
                 organisation=req.organisation, target=req, urgent=req.urgent)
    remaining_rows = req.found.get("remaining", {}).get("rows", [])
    for root in req.found.get("roots", []) + remaining_rows:
        claims.test_pause()
        claims.renew(req)
        _delete_root(req, root)
    for row in req.found.get("remaining", {}).get("unlinks", []):
        with transaction.atomic():
            if get_model(row["model"]).objects.filter(pk=row["pk"]).update(**{row["field"]: None}):
                audit.record("deletion.rows_deleted", organisation=req.organisation, target=req, root="", deleted=[],
                             unlinked=[f"{row['model']}:{row['id']}:{row['field']}"], late=[])
    for key in planned_keys(req.found):
        claims.test_pause()
        claims.renew(req)
        if default_storage.exists(key):
            default_storage.delete(key)
            audit.record("deletion.object_deleted", organisation=req.organisation, target=req,
                         storage_locations=[key])
        else:
            audit.record("deletion.object_absent", organisation=req.organisation, target=req,
                         storage_locations=[key], note="already absent when this run reached it")
    with transaction.atomic():
        if claims.finish(req, start, S.DELETED, deleted_at=timezone.now()):
            audit.record("deletion.deleted", organisation=req.organisation, target=req,
                         storage_locations=planned_keys(req.found), roots=len(req.found.get("roots", [])))
