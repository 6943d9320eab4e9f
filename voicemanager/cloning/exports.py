"""The admin's download of a finished set: the same archive the cloning provider gets.

``request_export`` picks the task's usable takes (the version chosen to go forward, past the
quality gate: approved or passed QC) and queues ``tasks.cloning.build_task_export`` through the
outbox. The worker writes audio, ``metadata.csv`` and ``manifest.json`` with checksums with the
provider's writer (``tasks.cloning.write_archive``), reporting progress member by member. When
the set meets the professional limits the members are the provider's (short takes joined in
section order into files of at least 10 minutes); a set too short for that is packaged take by
take, so the admin can still have their data.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from tasks.audio.decode import AudioRejected
from voicemanager.cloning import engines
from voicemanager.cloning import gate as quality_gate
from voicemanager.consent.gate import consent_evidence
from voicemanager.core import audit, outbox
from voicemanager.models import AudioFile, DataSetExport, RecordingTask, Take


class ExportError(Exception):
    pass


def task_files(task: RecordingTask) -> list[AudioFile]:
    """The task's submitted takes in section order, each as the version chosen to go forward."""
    takes = (Take.objects.filter(task=task, status=Take.Status.SUBMITTED, kind=Take.Kind.TAKE,
                                 audio_file__isnull=False)
             .select_related("audio_file__forward_variant", "section").order_by("section__position"))
    return [t.audio_file.forward_variant or t.audio_file for t in takes]


def members_for(files: list[AudioFile]) -> tuple[list[engines.Member], engines.Evaluation]:
    from voicemanager.cloning.voices import file_facts

    ev = engines.evaluate(file_facts(files), engines.DEFAULT_ENGINE, "professional")
    if ev.ok:
        return ev.members, ev
    return [engines.Member([f.public_id], f.duration or 0.0, f.size) for f in files], ev


def request_export(task: RecordingTask, user) -> DataSetExport:
    """Queue the build of the task's set (one at a time per task); raise ``ExportError`` if nothing can go."""
    from voicemanager.cloning.voices import qc_decisions

    files = task_files(task)
    gate = quality_gate.apply(files, qc_decisions(files))
    if not gate.usable:
        raise ExportError("Nothing to download yet: no take of this task passed QC or was approved.")
    with transaction.atomic():
        RecordingTask.objects.select_for_update().get(pk=task.pk)
        running = DataSetExport.objects.filter(task=task, state__in=(DataSetExport.State.QUEUED,
                                                                     DataSetExport.State.RUNNING)).first()
        if running:
            return running
        export = DataSetExport.objects.create(
            organisation=task.organisation, task=task, requested_by=user,
            files_used=[f.public_id for f in gate.usable],
            manifest={"discardedFiles": gate.discarded},
            total_members=len(members_for(gate.usable)[0]))
        audit.record("dataset.export_requested", actor=user, organisation=task.organisation, target=task,
                     export=export.public_id, files=export.files_used,
                     qc_discarded={d["fileId"]: d["code"] for d in gate.discarded})
        outbox.enqueue("tasks.cloning.build_task_export", export.pk)
    return export


def latest_export(task: RecordingTask) -> DataSetExport | None:
    return DataSetExport.objects.filter(task=task).first()


# --- the build (tasks.cloning.build_task_export) ---------------------------------------------------------


def _manifest(export: DataSetExport, entries: list[dict], ev: engines.Evaluation, files: list[AudioFile]) -> dict:
    from voicemanager.cloning.packaging import _qc_summary

    task = export.task
    speaker = task.speaker
    levels = [_qc_summary(f)["summary"] for f in files]
    return {
        "format": "voicemanager-package/1",
        "createdAt": timezone.now().isoformat(),
        "purpose": "download",
        "voice": None,
        "organisation": export.organisation.public_id,
        "language": task.script.language,
        "script": {"id": task.script.public_id, "title": task.script.title, "language": task.script.language,
                   "version": task.script.version},
        "task": task.public_id,
        "speaker": ({"id": speaker.public_id, "name": speaker.full_name, "kind": speaker.kind,
                     "nativeLanguages": speaker.native_languages} if speaker else None),
        "files": entries,
        "sampleRates": sorted({e["sampleRate"] for e in entries if e["sampleRate"]}),
        "totals": {"files": len(entries), "durationSeconds": round(sum(e["durationSeconds"] for e in entries), 3),
                   "bytes": sum(e["size"] for e in entries)},
        "meetsProfessionalLimits": ev.ok,
        "discardedFiles": (export.manifest or {}).get("discardedFiles", []) + (ev.discarded if ev.ok else []),
        "qcSummary": {level: levels.count(level) for level in sorted(set(levels))},
        "consent": consent_evidence(speaker, task=task, organisation=export.organisation) if speaker else None,
        "metadataCsv": "metadata.csv (LJSpeech: id|text)",
    }


def build(export_pk: int, *, may_reclaim: bool = False) -> None:
    """Build an admin's download once (claimed queued -> running), with progress per member.

    ``may_reclaim``: a redelivered or retried job may take over the row its own earlier attempt left running.
    """
    from voicemanager.cloning.packaging import PackagingError, store_archive, write_archive

    export = DataSetExport.objects.select_related("task__script", "task__speaker", "organisation").filter(
        pk=export_pk).first()
    if export is None or export.state in (DataSetExport.State.DONE, DataSetExport.State.FAILED):
        return
    if not export.claim() and not (may_reclaim and export.state == DataSetExport.State.RUNNING):
        return
    by_id = {f.public_id: f for f in AudioFile.objects.filter(organisation=export.organisation,
                                                             public_id__in=export.files_used)}
    missing = [fid for fid in export.files_used if fid not in by_id]
    if missing:
        export.fail(f"Files were deleted before packaging: {', '.join(missing)}.")
        return
    files = [by_id[fid] for fid in export.files_used]
    members, ev = members_for(files)
    export.report_progress(0, len(members))
    try:
        zip_path, manifest, tmp = write_archive(members, by_id, lambda entries: _manifest(export, entries, ev, files),
                                                progress=export.report_progress)
    except (PackagingError, AudioRejected) as exc:
        export.fail(f"The set could not be packaged: {exc}")
        return
    size, sha = store_archive(zip_path, tmp, export.file, f"{export.public_id}.zip")
    if not export.finish(name=export.file.name, size=size, sha256=sha, manifest=manifest):
        export.file.storage.delete(export.file.name)  # another delivery finished first
        return
    audit.record("dataset.exported", organisation=export.organisation, target=export.task,
                 export=export.public_id, storage_locations=[export.file.name], size=size)
