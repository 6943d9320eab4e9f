"""Step 4: scan the database and the storage backend; anything of the scope left fails the request.

Checks every row and key that was listed (and any found late), re-runs the scope queries
(a voice with the alias, the requester's tasks) and lists the storage prefixes again.
A failure sets ``failed``, writes an audit event and emails every staff user.
"""
from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from voicemanager.core import audit
from voicemanager.core.links import site_url
from voicemanager.deletion import claims, emails
from voicemanager.deletion.backup import planned_keys
from voicemanager.deletion.identify import get_model, public_ref, scan_storage, scope_objects
from voicemanager.models import AudioFile, DeletionRequest, RecordingTask, Voice

S = DeletionRequest.Status


def _ids(rows: list[dict], label: str) -> list[str]:
    return sorted({r["id"] for r in rows if r["model"] == label})


def scan(req: DeletionRequest) -> dict:
    """What of the scope is still there: ``{"rows": [...], "keys": [...], "checked_rows", "checked_keys"}``."""
    found = req.found
    rows = found.get("rows", []) + found.get("late_rows", []) + found.get("remaining", {}).get("rows", [])
    left_rows: list[dict] = []
    seen = set()
    for r in rows:
        ref = (r["model"], r["pk"])
        if ref in seen:
            continue
        seen.add(ref)
        qs = get_model(r["model"]).objects.filter(pk=r["pk"])
        if r.get("action", "delete") == "unlink":
            for name in r.get("fields", []):
                if qs.exclude(**{f"{name}__isnull": True}).exists():
                    left_rows.append({"model": r["model"], "pk": r["pk"], "id": r["id"], "field": name})
        elif qs.exists():
            left_rows.append({"model": r["model"], "pk": r["pk"], "id": r["id"]})
    objs = scope_objects(req)
    for kind in ("consents", "voices", "tasks", "files", "speakers"):
        for obj in objs[kind]:
            ref = (obj._meta.label, obj.pk)
            if ref not in {(x["model"], x["pk"]) for x in left_rows}:
                left_rows.append({"model": obj._meta.label, "pk": obj.pk, "id": public_ref(obj)})
    keys = planned_keys(found)
    left_keys = [k for k in keys if default_storage.exists(k)]
    scanned = scan_storage(req, _ids(rows, Voice._meta.label), _ids(rows, RecordingTask._meta.label),
                           _ids(rows, AudioFile._meta.label))
    left_keys += [k for k in scanned if k not in left_keys]
    return {"rows": left_rows, "keys": left_keys, "checked_rows": len(seen), "checked_keys": len(set(keys) | set(scanned))}


def run(pk: int) -> None:
    """deleted → verified, or → failed with staff alerted."""
    req = claims.claim(pk, S.DELETED)
    if req is None:
        return
    result = scan(req)
    now = timezone.now()
    with transaction.atomic():
        if result["rows"] or result["keys"]:
            found = {**req.found, "remaining": {"rows": [r for r in result["rows"] if "field" not in r],
                                                "unlinks": [r for r in result["rows"] if "field" in r],
                                                "keys": result["keys"]}}
            reason = (f"Verification found {len(result['rows'])} row(s) and {len(result['keys'])} stored object(s) "
                      "of the scope still present.")
            if claims.finish(req, S.DELETED, S.FAILED, found=found, failure_reason=reason):
                audit.record("deletion.verify_failed", organisation=req.organisation, target=req,
                             storage_locations=result["keys"],
                             rows=[f"{r['model']}:{r['id']}" for r in result["rows"]])
                transaction.on_commit(lambda: emails.send("alert", emails.staff_addresses(), {
                    "req": req, "reason": reason, "result": result,
                    "url": site_url("ops_deletion_detail", req.public_id),
                }))
            return
        if claims.finish(req, S.DELETED, S.VERIFIED, verified_at=now):
            audit.record("deletion.verified", organisation=req.organisation, target=req,
                         checked_rows=result["checked_rows"], checked_keys=result["checked_keys"],
                         storage_locations=[])
