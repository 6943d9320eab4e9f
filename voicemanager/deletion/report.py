"""Step 5: the report to the requester (email + signed link to a downloadable HTML page).

Built from the request's ``found`` list and its audit events (the audit log is the record
of what was deleted when), and it states that assets generated with the voice before the
deletion are not affected and must be removed by their holders.
"""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.apps import apps
from django.core import signing
from django.db import transaction
from django.utils import timezone

from voicemanager.core import audit
from voicemanager.core.links import site_url
from voicemanager.deletion import claims, emails
from voicemanager.models import AuditEvent, DeletionRequest

S = DeletionRequest.Status
REPORT_SALT = "voicemanager.deletion.report"
REPORT_MAX_AGE = timedelta(days=365)


def make_report_token(req: DeletionRequest) -> str:
    return signing.dumps({"d": req.public_id}, salt=REPORT_SALT)


def request_from_report_token(token: str) -> DeletionRequest | None:
    try:
        data = signing.loads(token, salt=REPORT_SALT, max_age=REPORT_MAX_AGE)
    except signing.BadSignature:
        return None
    return DeletionRequest.objects.filter(public_id=data.get("d"), status=S.COMPLETED).first()


def report_url(req: DeletionRequest) -> str:
    return site_url("forget_report", make_report_token(req))


def _kind(label: str) -> str:
    try:
        return str(apps.get_model(label)._meta.verbose_name_plural).capitalize()
    except LookupError:
        return label


def events(req: DeletionRequest):
    return AuditEvent.objects.filter(target_type=DeletionRequest._meta.label, target_id=req.public_id).order_by(
        "created_at", "id")


def build(req: DeletionRequest) -> dict:
    found = req.found
    deleted_rows, unlinked, deleted_keys, absent_keys = [], [], {}, {}
    for ev in events(req):
        when = ev.created_at.isoformat()
        if ev.action == "deletion.rows_deleted":
            deleted_rows += [{"ref": ref, "at": when} for ref in ev.details.get("deleted", [])]
            unlinked += [{"ref": ref, "at": when} for ref in ev.details.get("unlinked", [])]
        elif ev.action == "deletion.object_deleted":
            deleted_keys.update({k: when for k in ev.storage_locations})
        elif ev.action == "deletion.object_absent":
            absent_keys.update({k: when for k in ev.storage_locations if k not in deleted_keys})
    rows = found.get("rows", []) + found.get("late_rows", [])
    counts = Counter(_kind(r["model"]) for r in rows if r["action"] == "delete")
    backup = (
        {"made": True, "at": req.backed_up_at.isoformat(), "expires_at": req.backup_expires_at.isoformat()}
        if req.backed_up_at else {"made": False, "reason": "urgent request: no backup kept" if req.urgent else ""}
    )
    return {
        "generated_at": timezone.now().isoformat(),
        "request": {"id": req.public_id, "scope": req.get_scope_display(), "urgent": req.urgent,
                    "organisation": req.organisation_ref, "voice_alias": req.voice_alias,
                    "created_at": req.created_at.isoformat(),
                    "confirmed_at": req.confirmed_at.isoformat() if req.confirmed_at else None},
        "found": {"at": req.identified_at.isoformat() if req.identified_at else None,
                  "voices": found.get("voices", []), "counts": dict(sorted(counts.items())),
                  "rows": [f"{_kind(r['model'])}: {r['id']}" + (" (link removed)" if r["action"] == "unlink" else "")
                           for r in rows],
                  "keys": [k["key"] for k in found.get("keys", [])] + found.get("late_keys", []),
                  "forwarded": found.get("forwarded", []), "kept": found.get("kept", [])},
        "backup": backup,
        "deleted": {"at": req.deleted_at.isoformat() if req.deleted_at else None, "rows": deleted_rows,
                    "unlinked": unlinked, "keys": sorted(deleted_keys), "already_absent": sorted(absent_keys)},
        "verified": {"at": req.verified_at.isoformat() if req.verified_at else None},
    }


def run(pk: int) -> None:
    """verified → completed: email the requester (sent before the status moves, so it is never lost)."""
    req = claims.claim(pk, S.VERIFIED)
    if req is None:
        return
    report = build(req)
    req.report = report
    emails.send("report", [req.email], {"req": req, "report": report, "link": report_url(req)})
    with transaction.atomic():
        if claims.finish(req, S.VERIFIED, S.COMPLETED, report=report, completed_at=timezone.now()):
            audit.record("deletion.reported", organisation=req.organisation, target=req, email=req.email)
