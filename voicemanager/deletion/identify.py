"""Step 1: find every instance tied to the voice (and, for the wider scope, its recordings).

The list is what a real delete would touch: Django's deletion collector runs on each root in
a transaction that is rolled back, so cascades and nulled links (credit entries keep their
amount but lose the voice) come out exactly, with every storage key held by a file field.
The storage backend is also listed under the voice's, tasks' and files' prefixes so stray
objects (copies, leftovers of interrupted jobs) are found too.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.apps import apps
from django.core import serializers
from django.core.files.storage import default_storage
from django.db import models, router, transaction
from django.db.models.deletion import Collector

from voicemanager.core.links import site_url
from voicemanager.models import (
    AudioFile,
    ConsentRecording,
    DeletionRequest,
    RecordingTask,
    Speaker,
    Take,
    Voice,
    VoicePackage,
)


@dataclass
class Collected:
    """Rows a delete removes or unlinks, keyed ``label:pk``; ``data`` keeps each row as first seen."""

    rows: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)  # storage key -> label:pk of the row holding it

    def add(self, inst: models.Model, action: str, field_name: str = "", serialize: bool = False) -> None:
        ref = row_ref(inst)
        entry = self.rows.get(ref)
        if entry is None:
            entry = self.rows[ref] = {"model": inst._meta.label, "pk": inst.pk, "id": public_ref(inst),
                                      "action": action, "fields": []}
            if serialize:
                entry["data"] = json.loads(serializers.serialize("json", [inst]))[0]
        if action == "delete":
            entry["action"] = "delete"
            for f in inst._meta.concrete_fields:
                if isinstance(f, models.FileField) and getattr(inst, f.attname):
                    self.keys.setdefault(str(getattr(inst, f.attname)), ref)
        elif field_name and field_name not in entry["fields"]:
            entry["fields"].append(field_name)


def row_ref(inst: models.Model) -> str:
    return f"{inst._meta.label}:{inst.pk}"


def public_ref(inst: models.Model) -> str:
    return str(getattr(inst, "public_id", "") or inst.pk)


def get_model(label: str):
    return apps.get_model(label)


def gather(collector: Collector, into: Collected, serialize: bool = False) -> None:
    """Record what ``collector.delete()`` would remove or null (querysets are evaluated here)."""
    for (fld, _value), batches in collector.field_updates.items():
        for batch in batches:
            for inst in list(batch):
                into.add(inst, "unlink", fld.name, serialize)
    for qs in collector.fast_deletes:
        for inst in list(qs):
            into.add(inst, "delete", serialize=serialize)
    for _model, instances in collector.data.items():
        for inst in instances:
            into.add(inst, "delete", serialize=serialize)


def collect(roots: list[dict], serialize: bool = False) -> Collected:
    """Delete the roots in order inside a transaction that is rolled back, recording what went."""
    out = Collected()
    db = router.db_for_write(DeletionRequest)
    with transaction.atomic(using=db):
        for root in roots:
            obj = get_model(root["model"]).objects.filter(pk=root["pk"]).first()
            if obj is None:
                continue
            collector = Collector(using=db, origin=obj)
            collector.collect([obj])
            gather(collector, out, serialize)
            collector.delete()
        transaction.set_rollback(True, using=db)
    return out


# --- what is in scope -------------------------------------------------------------------------


def voices_for(req: DeletionRequest) -> list[Voice]:
    """The named voice of the named organisation; without an alias, the voices whose speaker is the requester."""
    if req.organisation_id is None:
        return []
    qs = Voice.objects.filter(organisation_id=req.organisation_id).select_related("speaker", "organisation")
    if req.voice_alias:
        return list(qs.filter(alias=req.voice_alias))
    return list(qs.filter(speaker__email__iexact=req.email))


def scope_objects(req: DeletionRequest) -> dict:
    """Voices, tasks, files, consent recordings and speakers the request covers."""
    voices = voices_for(req)
    out = {"voices": voices, "tasks": [], "files": [], "consents": [], "speakers": [], "kept": []}
    if req.scope != DeletionRequest.Scope.VOICE_AND_RECORDINGS or req.organisation_id is None:
        return out
    org_id = req.organisation_id
    file_ids = {fid for v in voices for fid in (v.files_used or [])}
    task_ids = {v.task_id for v in voices if v.task_id}
    task_ids |= set(AudioFile.objects.filter(organisation_id=org_id, public_id__in=file_ids, task__isnull=False)
                    .values_list("task_id", flat=True))
    if not req.voice_alias:
        task_ids |= set(RecordingTask.objects.filter(organisation_id=org_id, speaker__email__iexact=req.email)
                        .values_list("pk", flat=True))
    tasks = list(RecordingTask.objects.filter(organisation_id=org_id, pk__in=task_ids).order_by("pk"))
    files = AudioFile.objects.filter(organisation_id=org_id).filter(
        models.Q(public_id__in=file_ids) | models.Q(task_id__in=task_ids)
        | models.Q(pk__in=Take.objects.filter(task_id__in=task_ids).values("audio_file_id"))
        | models.Q(pk__in=RecordingTask.objects.filter(pk__in=task_ids).values("room_tone_id"))
    )
    consents = list(ConsentRecording.objects.filter(task_id__in=task_ids).order_by("pk"))
    files = files | AudioFile.objects.filter(pk__in=[c.audio_id for c in consents])
    out.update(tasks=tasks, files=list(files.distinct().order_by("pk")), consents=consents)
    speaker_ids = {v.speaker_id for v in voices if v.speaker_id} | {t.speaker_id for t in tasks if t.speaker_id}
    for speaker in Speaker.objects.filter(pk__in=speaker_ids).order_by("pk"):
        other_tasks = speaker.recording_tasks.exclude(pk__in=task_ids).exists()
        other_voices = speaker.voices.exclude(pk__in=[v.pk for v in voices]).exists()
        other_consents = speaker.consent_recordings.exclude(pk__in=[c.pk for c in consents]).exists()
        if other_tasks or other_voices or other_consents:
            out["kept"].append({"model": "voicemanager.Speaker", "id": speaker.public_id,
                                "reason": "still linked to other recordings or voices (possibly of another organisation)"})
        else:
            out["speakers"].append(speaker)
    return out


def roots_for(objs: dict) -> list[dict]:
    """Deletion order: consent recordings protect their audio, so they go first; speakers last."""
    ordered = [*objs["consents"], *objs["voices"], *objs["tasks"], *objs["files"], *objs["speakers"]]
    return [{"model": o._meta.label, "pk": o.pk, "id": public_ref(o)} for o in ordered]


# --- storage ----------------------------------------------------------------------------------


def walk(storage, prefix: str) -> list[str]:
    """Every key under a folder prefix (S3: listdir pages through list_objects_v2)."""
    try:
        dirs, files = storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return []
    keys = [f"{prefix.rstrip('/')}/{name}" for name in files]
    for d in dirs:
        keys += walk(storage, f"{prefix.rstrip('/')}/{d}")
    return keys


def scan_storage(req: DeletionRequest, voice_ids: list[str], task_ids: list[str], file_ids: list[str]) -> list[str]:
    """Keys found by listing the storage under the organisation's voice, package, take and file prefixes."""
    if req.organisation is None:
        return []
    base = f"orgs/{req.organisation.public_id}"
    found: list[str] = []
    for vid in voice_ids:
        found += walk(default_storage, f"{base}/voices/{vid}")
        found += [k for k in walk(default_storage, f"{base}/packages") if k.rsplit("/", 1)[-1].startswith(vid)]
    for tid in task_ids:
        found += walk(default_storage, f"{base}/takes/{tid}")
    if file_ids:
        wanted = tuple(f"{fid}." for fid in file_ids) + tuple(f"{fid}_" for fid in file_ids)
        found += [k for k in walk(default_storage, f"{base}/files") if k.rsplit("/", 1)[-1].startswith(wanted)]
    return sorted(set(found))


def ids_of(collected: Collected, label: str) -> list[str]:
    return sorted({r["id"] for r in collected.rows.values() if r["model"] == label and r["action"] == "delete"})


def identify(req: DeletionRequest) -> dict:
    """Build the ``found`` list shown to staff and driving the later steps."""
    objs = scope_objects(req)
    roots = roots_for(objs)
    collected = collect(roots)
    voice_ids = ids_of(collected, Voice._meta.label)
    task_ids = ids_of(collected, RecordingTask._meta.label)
    file_ids = ids_of(collected, AudioFile._meta.label)
    scanned = scan_storage(req, voice_ids, task_ids, file_ids)
    keys = [{"key": k, "row": ref} for k, ref in sorted(collected.keys.items())]
    keys += [{"key": k, "row": ""} for k in scanned if k not in collected.keys]
    forwarded = [
        {"voice": p.voice.public_id, "alias": p.voice.alias, "provider": p.voice.provider,
         "provider_ref": p.voice.provider_ref, "forwarded_at": p.forwarded_at.isoformat() if p.forwarded_at else None,
         "package_sha256": p.sha256}
        for p in VoicePackage.objects.filter(voice__in=objs["voices"]).select_related("voice")
    ]
    return {
        "scope": req.scope,
        "organisation": req.organisation.public_id if req.organisation else None,
        "voices": [{"id": v.public_id, "alias": v.alias, "type": v.type, "status": v.status} for v in objs["voices"]],
        "roots": roots,
        "rows": sorted(collected.rows.values(), key=lambda r: (r["model"], str(r["pk"]))),
        "keys": keys,
        "forwarded": forwarded,
        "kept": objs["kept"],
        "late_rows": [],
        "late_keys": [],
    }


def run(pk: int) -> None:
    """confirmed → identified (or rejected when nothing of the organisation matches)."""
    from django.utils import timezone

    from voicemanager.core import audit
    from voicemanager.deletion import claims, emails

    S = DeletionRequest.Status
    req = claims.claim(pk, S.CONFIRMED)
    if req is None:
        return
    found = identify(req)
    now = timezone.now()
    with transaction.atomic():
        if not found["roots"]:
            reason = ("No voice matching the request was found in the named organisation "
                      "(check the organisation id and the voice alias).")
            if claims.finish(req, S.CONFIRMED, S.REJECTED, found=found, identified_at=now, failure_reason=reason):
                audit.record("deletion.nothing_found", organisation=req.organisation, target=req,
                             organisation_ref=req.organisation_ref, voice_alias=req.voice_alias)
                transaction.on_commit(lambda: emails.send("rejected", [req.email], {"req": req, "reason": reason}))
            return
        if claims.finish(req, S.CONFIRMED, S.IDENTIFIED, found=found, identified_at=now):
            audit.record(
                "deletion.identified", organisation=req.organisation, target=req,
                storage_locations=[k["key"] for k in found["keys"]],
                voices=[v["id"] for v in found["voices"]], rows=[f"{r['model']}:{r['id']}" for r in found["rows"]],
                kept=found["kept"], forwarded=found["forwarded"],
            )
            transaction.on_commit(lambda: emails.send("review", emails.staff_addresses(), {
                "req": req, "found": found, "url": site_url("ops_deletion_detail", req.public_id),
            }))
