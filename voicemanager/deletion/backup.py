"""Step 2 (skipped when urgent): an encrypted archive of the rows and files about to go.

Kept for ``DELETION_BACKUP_DAYS`` under a restricted prefix that no URL serves (or in the
``deletion_backups`` storage when one is configured); staff can restore it within the
window, putting back the same rows and the same bytes; beat purges it afterwards.
"""
from __future__ import annotations

import hashlib
import tempfile
from datetime import datetime, timedelta

from django.conf import settings
from django.core import serializers
from django.core.files import File
from django.core.files.storage import default_storage, storages
from django.db import transaction
from django.utils import timezone

from voicemanager.core import audit
from voicemanager.deletion import archive, claims
from voicemanager.deletion.identify import collect
from voicemanager.models import DeletionRequest

S = DeletionRequest.Status
PREFIX = "restricted/deletion-backups"
BACKUP_ALIAS = "deletion_backups"


class RestoreError(Exception):
    """The backup cannot be restored (expired, purged, tampered or would overwrite other data)."""


def backup_storage():
    return storages[BACKUP_ALIAS] if BACKUP_ALIAS in settings.STORAGES else default_storage


def request_prefix(req: DeletionRequest) -> str:
    return f"{PREFIX}/{req.public_id}"


def planned_keys(found: dict) -> list[str]:
    keys = [k["key"] for k in found.get("keys", [])] + list(found.get("late_keys", []))
    keys += list(found.get("remaining", {}).get("keys", []))
    return list(dict.fromkeys(keys))


def _sha256(fh) -> str:
    sha = hashlib.sha256()
    fh.seek(0)
    while chunk := fh.read(archive.CHUNK):
        sha.update(chunk)
    fh.seek(0)
    return sha.hexdigest()


def _remove_stale_archives(req: DeletionRequest) -> None:
    """An interrupted earlier run may have left an archive nobody points to."""
    from voicemanager.deletion.identify import walk

    for key in walk(backup_storage(), request_prefix(req)):
        if key != req.backup_key:
            backup_storage().delete(key)


def run(pk: int) -> None:
    """identified (approved, not urgent) → backed_up."""
    req = claims.claim(pk, S.IDENTIFIED, approved_at__isnull=False, urgent=False)
    if req is None:
        return
    _remove_stale_archives(req)
    collected = collect(req.found.get("roots", []), serialize=True)
    keys = list(dict.fromkeys(planned_keys(req.found) + list(collected.keys)))
    files, missing = [], []
    now = timezone.now()
    with tempfile.TemporaryFile() as tmp:
        writer = archive.Writer(tmp)
        for key in keys:
            claims.renew(req)
            if not default_storage.exists(key):
                missing.append(key)
                continue
            with default_storage.open(key, "rb") as src:
                files.append(writer.add_file(key, src))
        rows = list(collected.rows.values())
        writer.finish({"request": req.public_id, "created_at": now.isoformat(), "rows": rows,
                       "files": files, "missing": missing})
        digest = _sha256(tmp)
        name = backup_storage().save(f"{request_prefix(req)}/backup-{now:%Y%m%dT%H%M%S%f}.vmbak", File(tmp))
    expires = now + timedelta(days=settings.DELETION_BACKUP_DAYS)
    with transaction.atomic():
        done = claims.finish(req, S.IDENTIFIED, S.BACKED_UP, backup_key=name, backup_sha256=digest,
                             backed_up_at=now, backup_expires_at=expires)
        if done:
            audit.record("deletion.backed_up", organisation=req.organisation, target=req,
                         storage_locations=[name], rows=len(rows), files=len(files),
                         bytes=sum(f["size"] for f in files), missing=missing, expires_at=expires.isoformat(),
                         archive_sha256=digest)
    if not done:
        backup_storage().delete(name)


# --- restore and purge ------------------------------------------------------------------------


def restorable(req: DeletionRequest, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(req.backup_key and not req.backup_purged_at and not req.restored_at
                and req.backup_expires_at and req.backup_expires_at > now
                and req.status in (S.DELETED, S.VERIFIED, S.COMPLETED, S.FAILED))


def restore(pk: int, actor=None) -> dict:
    """Put back exactly what was deleted: same keys, same bytes (checked), same rows."""
    now = timezone.now()
    req = DeletionRequest.objects.filter(pk=pk).first()
    if req is None or not restorable(req, now):
        raise RestoreError("This request has no backup that can still be restored.")
    req = claims.claim(pk, req.status, restored_at__isnull=True, backup_purged_at__isnull=True,
                       backup_expires_at__gt=now)
    if req is None:
        raise RestoreError("This request has no backup that can still be restored.")
    try:
        return _restore(req, actor)
    finally:
        claims.release(req)


def _restore(req: DeletionRequest, actor) -> dict:
    storage = default_storage
    with tempfile.TemporaryFile() as tmp:
        with backup_storage().open(req.backup_key, "rb") as src:
            while chunk := src.read(archive.CHUNK):
                tmp.write(chunk)
        if _sha256(tmp) != req.backup_sha256:
            raise RestoreError("The backup archive's checksum does not match the one recorded: not restored.")
        manifest = archive.read_manifest(tmp)
        if manifest.get("request") != req.public_id:
            raise RestoreError("The backup archive belongs to another request: not restored.")
        for entry in manifest["files"]:
            if storage.exists(entry["key"]):
                with storage.open(entry["key"], "rb") as fh:
                    if _sha256(fh) != entry["sha256"]:
                        raise RestoreError(f"{entry['key']} exists with other content: not overwritten.")
        restored_keys = []
        for entry, fh in archive.iter_files(tmp):
            if storage.exists(entry["key"]):
                continue  # put back by an interrupted restore; content checked above
            name = storage.save(entry["key"], File(fh))
            if name != entry["key"]:
                storage.delete(name)
                raise RestoreError(f"Storage would not write {entry['key']} at its original key.")
            restored_keys.append(name)
    checks = {}
    for entry in manifest["files"]:
        with storage.open(entry["key"], "rb") as fh:
            checks[entry["key"]] = _sha256(fh) == entry["sha256"]
    if not all(checks.values()):
        raise RestoreError("Restored files do not match their checksums: " +
                           ", ".join(k for k, ok in checks.items() if not ok))
    import json

    with transaction.atomic():
        for obj in serializers.deserialize("json", json.dumps([r["data"] for r in manifest["rows"]])):
            obj.save()
        DeletionRequest.objects.filter(pk=req.pk).update(restored_at=timezone.now())
        audit.record("deletion.restored", actor=actor, organisation=req.organisation, target=req,
                     storage_locations=[f["key"] for f in manifest["files"]], backup=req.backup_key,
                     rows=[f"{r['model']}:{r['id']}" for r in manifest["rows"]], checksums_equal=True)
    return {"rows": len(manifest["rows"]), "files": len(manifest["files"]), "written": restored_keys}


def purge_expired(now: datetime | None = None) -> list[str]:
    """Delete every backup whose window has closed; returns the purged request ids."""
    from voicemanager.deletion.identify import walk

    now = now or timezone.now()
    purged = []
    due = DeletionRequest.objects.filter(backup_purged_at__isnull=True, backup_expires_at__lte=now).exclude(
        backup_key="")
    for req in due:
        keys = sorted(set(walk(backup_storage(), request_prefix(req))) | {req.backup_key})
        for key in keys:
            backup_storage().delete(key)
        with transaction.atomic():
            if DeletionRequest.objects.filter(pk=req.pk, backup_purged_at__isnull=True).update(backup_purged_at=now):
                audit.record("deletion.backup_purged", organisation=req.organisation, target=req,
                             storage_locations=keys, expired_at=req.backup_expires_at.isoformat())
                purged.append(req.public_id)
    return purged
