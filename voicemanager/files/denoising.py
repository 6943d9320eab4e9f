"""The denoise flow: request denoising for files or a task, follow a batch, choose what goes forward.

Views and workers call these functions; the heavy work is in ``voicemanager.files.jobs``.
A *batch* groups the DenoiseJobs of one request so its progress can be shown;
automatic processing of booth takes uses one batch per task, ``auto-<task id>``.
The raw file stays the source of truth: denoised versions are new files beside it,
and ``AudioFile.forward_variant`` records which version goes forward for cloning
(null: the raw file itself).
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q

from tasks.audio.denoise import ENGINES
from voicemanager.core import audit, outbox
from voicemanager.core.emails import email_job, send_after_commit, send_templated_email
from voicemanager.core.links import site_url
from voicemanager.models import AudioFile, DenoiseJob, RecordingTask

ENGINE_LABELS = {
    "spectral": "Spectral gating (uses the room tone)",
    "neural": "Neural (best available: DeepFilterNet3 + 70 Hz low-cut, else RNNoise)",
    "dfn3+lowcut": "DeepFilterNet3 + 70 Hz low-cut",
    "dfn3": "DeepFilterNet3",
    "dfn3-native": "DeepFilterNet3 (reference C runtime, slower)",
    "rnnoise": "RNNoise",
}
ACTIVE = (DenoiseJob.State.QUEUED, DenoiseJob.State.RUNNING)
FINISHED = (DenoiseJob.State.DONE, DenoiseJob.State.FAILED)


class DenoiseRequestError(ValueError):
    """A denoise request that cannot be honoured; the message is for the admin."""


def engine_choices() -> list[tuple[str, str]]:
    return [(e, ENGINE_LABELS.get(e, e)) for e in ENGINES]


def clean_request(engine: str | None, strength) -> tuple[str, float]:
    """Validate engine and strength from a form; raise DenoiseRequestError with a clear message."""
    if engine not in ENGINES:
        raise DenoiseRequestError(f"Unknown engine {engine!r}. Choose one of: {', '.join(ENGINES)}.")
    try:
        value = float(strength)
    except (TypeError, ValueError):
        raise DenoiseRequestError("Strength must be a number between 0 and 1.") from None
    if not 0.0 <= value <= 1.0:
        raise DenoiseRequestError("Strength must be between 0 and 1 (0.8 is a good start).")
    return engine, round(value, 3)


def new_batch() -> str:
    return "dn_" + secrets.token_hex(8)


def task_take_files(task: RecordingTask):
    """The file-manager entries of a task's submitted takes, in section order."""
    return (AudioFile.objects.filter(takes__task=task, takes__status="submitted", takes__kind="take")
            .select_related("organisation").order_by("takes__section__position"))


def originals(files: Iterable[AudioFile]) -> list[AudioFile]:
    """Drop derived (already denoised) files: we denoise originals only."""
    return [f for f in files if f.derived_from_id is None and f.source != AudioFile.Source.DENOISED]


def _reusable(job: DenoiseJob | None) -> bool:
    """An earlier job for the same (batch, file) that still stands for this file's bytes."""
    if job is None:
        return False
    if job.state in ACTIVE:
        return True
    return job.state == DenoiseJob.State.DONE and job.output_id is not None


def create_jobs(files: Iterable[AudioFile], *, engine: str, strength: float, batch: str,
                requested_by_id: int | None = None, skip_active: bool = True) -> list[DenoiseJob]:
    """One DenoiseJob per original file in ``batch``; safe to call twice.

    A file already in the batch keeps its job (unless that job failed or its output
    was removed because the take was replaced). With ``skip_active`` a file that
    already has a queued or running job with the same engine and strength is
    skipped, so a double click does not denoise twice.
    """
    jobs = []
    for f in originals(files):
        with transaction.atomic():
            AudioFile.objects.select_for_update().filter(pk=f.pk).first()  # serialise per file
            latest = DenoiseJob.objects.filter(batch=batch, source=f).order_by("-created_at", "-pk").first()
            if _reusable(latest):
                jobs.append(latest)
                continue
            if skip_active and DenoiseJob.objects.filter(source=f, engine=engine, strength=strength,
                                                         state__in=ACTIVE).exists():
                continue
            jobs.append(DenoiseJob.objects.create(source=f, engine=engine, strength=strength, batch=batch,
                                                  requested_by_id=requested_by_id))
    return jobs


def request_denoise(files: Iterable[AudioFile], *, engine: str, strength: float, user=None) -> str:
    """Create a batch of jobs for ``files`` and queue it on commit; return the batch id.

    The caller has checked access to every file. Raises DenoiseRequestError when
    nothing would be denoised.
    """
    engine, strength = clean_request(engine, strength)
    files = list(files)
    if not files:
        raise DenoiseRequestError("Choose at least one file to denoise.")
    if not originals(files):
        raise DenoiseRequestError("Those files are denoised versions already; denoise the originals instead.")
    batch = new_batch()
    jobs = create_jobs(files, engine=engine, strength=strength, batch=batch,
                       requested_by_id=getattr(user, "pk", None))
    if not jobs:
        raise DenoiseRequestError("Those files are already being denoised with these settings.")
    org = files[0].organisation
    audit.record("denoise.requested", actor=user, organisation=org, target_type="batch", target_id=batch,
                 engine=engine, strength=strength, files=[f.public_id for f in files][:500])
    outbox.enqueue("tasks.files.denoise_set", batch)
    return batch


def request_task_denoise(task: RecordingTask, *, engine: str, strength: float, user=None) -> str:
    files = list(task_take_files(task))
    if not files:
        raise DenoiseRequestError("This task has no submitted takes yet.")
    return request_denoise(files, engine=engine, strength=strength, user=user)


def _latest_per_source(jobs: Iterable[DenoiseJob]) -> list[DenoiseJob]:
    seen: dict[int, DenoiseJob] = {}
    for job in jobs:  # newest first
        seen.setdefault(job.source_id, job)
    return list(seen.values())


def batch_jobs(batch: str):
    return (DenoiseJob.objects.filter(batch=batch).select_related("source", "output")
            .order_by("-created_at", "-pk"))


def batch_progress(batch: str) -> dict:
    """Counts for a batch (the newest job per file); ``percent`` = finished / total."""
    jobs = _latest_per_source(batch_jobs(batch))
    counts = {s: sum(1 for j in jobs if j.state == s) for s in DenoiseJob.State.values}
    total = len(jobs)
    finished = counts["done"] + counts["failed"]
    return {
        "batch": batch, "total": total, "finished": finished, "is_finished": total > 0 and finished == total,
        "percent": round(100 * finished / total) if total else 0, **counts,
    }


def latest_batch(task: RecordingTask) -> str | None:
    """The newest batch touching the task's takes (manual or automatic)."""
    return (DenoiseJob.objects.filter(Q(source__task=task) | Q(source__takes__task=task))
            .order_by("-created_at", "-pk").values_list("batch", flat=True).first())


# --- A/B and the forward choice --------------------------------------------------------------------

def variants(af: AudioFile) -> list[AudioFile]:
    """The raw file first, then its denoised versions (newest first)."""
    return [af, *af.derivatives.filter(source=AudioFile.Source.DENOISED).order_by("-created_at")]


def forward_file(af: AudioFile) -> AudioFile:
    """The version of ``af`` that goes forward for cloning."""
    return af.forward_variant or af


def choose_variant(af: AudioFile, variant_public_id: str, *, user=None) -> AudioFile:
    """Record which version of ``af`` goes forward: itself (raw) or one of its denoised versions."""
    if variant_public_id == af.public_id:
        chosen = None
    else:
        chosen = af.derivatives.filter(public_id=variant_public_id, source=AudioFile.Source.DENOISED).first()
        if chosen is None:
            raise DenoiseRequestError("That version does not belong to this file.")
        if chosen.analysis_state != AudioFile.Analysis.DONE:
            raise DenoiseRequestError("That denoised version is not ready yet.")
    AudioFile.objects.filter(pk=af.pk).update(forward_variant=chosen)
    af.forward_variant = chosen
    audit.record("file.forward_variant_chosen", actor=user, organisation=af.organisation, target=af,
                 variant=variant_public_id, raw=chosen is None)
    return af


# --- keeping the task's status in step (called by the workers) -------------------------------------

def job_finished(job_pk: int) -> None:
    task_id = (DenoiseJob.objects.filter(pk=job_pk).values_list("source__task", flat=True).first())
    if task_id:
        refresh_task_status(task_id)


def file_processed(file_pk: int) -> None:
    task_id = AudioFile.objects.filter(pk=file_pk).values_list("task", flat=True).first()
    if task_id:
        refresh_task_status(task_id)


def refresh_task_status(task_pk: int, *, mark_processing: bool = True) -> str | None:
    """submitted -> processing while take files are being analysed or denoised -> ready when all are.

    Ready needs every section acceptable (``reviews.acceptable``: approved, or passed QC where
    the organisation does not review); otherwise the task waits at "needs review".

    Conditional updates, so concurrent workers move the status once; the move to
    ready is audited once and the organisation's admins are emailed once, after commit,
    by the caller whose update won. Safe to call any time (e.g. by the booth on submit).
    """
    from voicemanager.recording import reviews

    task = RecordingTask.objects.filter(pk=task_pk).first()
    open_states = (RecordingTask.Status.SUBMITTED, RecordingTask.Status.PROCESSING, RecordingTask.Status.REVIEW)
    if task is None or task.status not in open_states:
        return task.status if task else None
    files = list(task_take_files(task))
    busy = any(f.analysis_state in (AudioFile.Analysis.PENDING, AudioFile.Analysis.RUNNING) for f in files)
    busy = busy or any(j.state in ACTIVE for j in _latest_per_source(
        DenoiseJob.objects.filter(source__in=files).order_by("-created_at", "-pk")))
    qs = RecordingTask.objects.filter(pk=task_pk)
    if busy:
        if mark_processing:  # the booth passes False: "submitted" stays until a worker starts
            qs.mark_processing()
    elif files and not reviews.acceptable(task):  # a take failed QC or waits for an approval
        qs.mark_review()
    elif files:
        with transaction.atomic():
            if qs.mark_ready():
                audit.record("task.ready", organisation=task.organisation, target=task, files=len(files))
                send_after_commit(notify_admins_task_ready, task_pk)
    return RecordingTask.objects.filter(pk=task_pk).values_list("status", flat=True).first()


@email_job
def notify_admins_task_ready(task_pk: int) -> int:
    """Email the organisation's admins that the task's files are analysed and denoised; return how many."""
    task = RecordingTask.objects.select_related("organisation", "script", "speaker").filter(pk=task_pk).first()
    if task is None:
        return 0
    emails = task.organisation.admin_emails()
    files = list(task_take_files(task))
    ctx = {
        "task": task, "organisation": task.organisation, "script": task.script,
        "speaker_name": (task.speaker.full_name or task.speaker.email) if task.speaker else task.contractor_email,
        "n_files": len(files),
        "n_flagged": sum(1 for f in files if (f.qc or {}).get("summary") in ("warn", "fail")
                         or f.analysis_state == AudioFile.Analysis.FAILED),
        "n_denoised": AudioFile.objects.filter(derived_from__in=files, source=AudioFile.Source.DENOISED,
                                               analysis_state=AudioFile.Analysis.DONE)
        .values("derived_from").distinct().count(),
        "task_url": site_url("task_detail", task.public_id),
    }
    return len(emails) if send_templated_email("task_ready", ctx, emails) else 0


# --- QC figures: the task's QC table and the before/after comparison ------------------------------

LEVEL_RANK = {"fail": 0, "warn": 1, "ok": 2}
# (key, label, path into qc["metrics"] or a special, unit)
COLUMNS = [
    ("section", "#", None, ""), ("verdict", "Verdict", None, ""), ("duration", "Length", "duration_s", "s"),
    ("peak", "Peak", "peak_dbfs", "dBFS"), ("clipped", "Clipped", "clipped_samples", ""),
    ("rms", "RMS", "rms_dbfs", "dBFS"), ("lufs", "Loudness", "loudness_lufs", "LUFS"),
    ("snr", "SNR", "snr_db", "dB"), ("floor", "Noise floor", "noise_floor_dbfs", "dBFS"),
    ("lead", "Lead silence", "leading_silence_ms", "ms"), ("trail", "Tail silence", "trailing_silence_ms", "ms"),
    ("speech", "Speech", "speech_ratio", ""), ("align", "Script", None, ""),
]
_METRIC = {key: path for key, _, path, _ in COLUMNS if path}


def _summary(af: AudioFile | None, qc: dict) -> str:
    if af is not None and af.analysis_state == AudioFile.Analysis.FAILED:
        return "fail"
    return qc.get("summary") or "pending"


def _sort_value(row: dict, key: str):
    if key == "section":
        return row["position"]
    if key == "verdict":
        return (LEVEL_RANK.get(row["summary"], 3), row["metrics"].get("snr_db") or 0.0)
    if key == "align":
        return row["alignment"]
    return row["metrics"].get(_METRIC[key])


def task_qc_rows(task: RecordingTask, sort: str = "verdict", direction: str = "") -> tuple[list[dict], str, str]:
    """Rows of the task's QC table, sorted (worst first by default); unknown values sort last."""
    from voicemanager.models import Take

    takes = (Take.objects.filter(task=task, status=Take.Status.SUBMITTED, kind=Take.Kind.TAKE)
             .select_related("section", "audio_file").prefetch_related("audio_file__derivatives")
             .order_by("section__position"))
    rows = []
    for take in takes:
        af = take.audio_file
        qc = (af.qc if af is not None and af.qc else take.qc) or {}
        denoised = [d for d in af.derivatives.all() if d.source == AudioFile.Source.DENOISED] if af else []
        rows.append({
            "position": take.section.position, "text": take.section.text, "take": take, "file": af,
            "metrics": qc.get("metrics") or {}, "summary": _summary(af, qc),
            "problems": [v for v in qc.get("verdicts", []) if v.get("level") != "ok"],
            "alignment": (qc.get("alignment") or {}).get("status", ""), "denoised": denoised,
            "error": af.analysis_error if af else "",
            "forward": "denoised" if af is not None and af.forward_variant_id else "raw",
        })
        row = rows[-1]
        row["cells"] = [row["metrics"].get(path) for _, _, path, _ in COLUMNS if path]
    if sort not in {c[0] for c in COLUMNS}:
        sort = "verdict"
    direction = "desc" if direction == "desc" else "asc"
    known = [r for r in rows if _sort_value(r, sort) not in (None, "")]
    unknown = [r for r in rows if _sort_value(r, sort) in (None, "")]
    known.sort(key=lambda r: _sort_value(r, sort), reverse=direction == "desc")
    return known + unknown, sort, direction


def compare_rows(files: list[AudioFile]) -> list[dict]:
    """Before/after figures side by side: one row per metric, one cell per version."""
    out = [{"label": "Verdict", "unit": "", "cells": [_summary(f, f.qc or {}) for f in files], "badge": True}]
    for key, label, path, unit in COLUMNS:
        if path:
            out.append({"label": label, "unit": unit, "key": key,
                        "cells": [(f.qc or {}).get("metrics", {}).get(path) for f in files]})
    return out
