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

from voicemanager import engines, outbox, quality_gate
from voicemanager.models import AudioFile, DataSetExport, RecordingTask, audit


class ExportError(Exception):
    pass


def task_files(task: RecordingTask) -> list[AudioFile]:
    """The task's submitted takes in section order, each as the version chosen to go forward."""
    from booth.models import Take

    takes = (Take.objects.filter(task=task, status=Take.Status.SUBMITTED, kind=Take.Kind.TAKE,
                                 audio_file__isnull=False)
             .select_related("audio_file__forward_variant", "section").order_by("section__position"))
    return [t.audio_file.forward_variant or t.audio_file for t in takes]


def members_for(files: list[AudioFile]) -> tuple[list[engines.Member], engines.Evaluation]:
    from voicemanager.cloning import file_facts

    ev = engines.evaluate(file_facts(files), engines.DEFAULT_ENGINE, "professional")
    if ev.ok:
        return ev.members, ev
    return [engines.Member([f.public_id], f.duration or 0.0, f.size) for f in files], ev


def request_export(task: RecordingTask, user) -> DataSetExport:
    """Queue the build of the task's set (one at a time per task); raise ``ExportError`` if nothing can go."""
    from voicemanager.cloning import qc_decisions

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
