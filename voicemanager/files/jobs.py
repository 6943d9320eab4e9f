"""The file manager's worker flows: analyse a file, denoise one file, process a new file, fan a set out,
re-queue lost work. ``tasks/files.py`` holds the Celery tasks, each calling one of these.

Every flow takes primary keys, re-reads its row and returns quietly when the row
is gone or the work is done. Work is claimed with a conditional update, so a
redelivered message does nothing twice; a job left "running" is reclaimed when the
attempt that claimed it is over (``reclaim``: the task knows, see ``tasks.files``)
or when it is older than the time limit. The output is written to a temp file,
uploaded under a fresh storage key and attached inside a row lock: a job run twice
(even concurrently) ends with exactly one output. Corrupt input ends ``failed`` with
a reason and is never retried; transient errors (I/O, database) are raised for the
task to retry with backoff.
"""
from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, OperationalError, transaction
from django.utils import timezone

from tasks.audio import decode, denoise, hashing, qc
from voicemanager.core import outbox
from voicemanager.files.committed import reconnect_if_broken

log = logging.getLogger(__name__)

TRANSIENT = (OSError, OperationalError)
ANALYSE_TIME_LIMIT = 10 * 60
DENOISE_TIME_LIMIT = 30 * 60
SET_TIME_LIMIT = 5 * 60
AUTO_BATCH_PREFIX = "auto-"
AUTO_DENOISE_SOURCES = ("booth",)  # submitted takes; uploads and consent recordings are only analysed
DENOISE_TASK = "tasks.files.denoise_file"
PROCESS_TASK = "tasks.files.process_new_file"


def _reset(update) -> None:
    """Run a state reset after a failure, on a new connection if that failure killed the old one.

    Best effort: if the database is still gone, the retry reclaims the row anyway (``outbox.may_reclaim``).
    """
    reconnect_if_broken()
    with contextlib.suppress(DatabaseError):
        update()


@contextlib.contextmanager
def _local_copy(name: str, workdir: Path, label: str = "src"):
    """Copy a storage object to a local temp file (works for S3 too) and yield its path."""
    dst = workdir / f"{label}{Path(name).suffix[:6]}"
    with default_storage.open(name, "rb") as src, open(dst, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
    yield dst


def _workdir():
    return tempfile.TemporaryDirectory(prefix="vm-job-")


# --- analysis -------------------------------------------------------------------------------------

def _measure_into(af, path: Path, info: decode.AudioInfo) -> None:
    """Fill the AudioFile's format and QC fields from a local copy (does not save)."""
    # Level checks only: the script check runs on the adherence queue for booth takes
    # (voicemanager/recording/adherence.py); a take's finished check is merged in here.
    af.qc = qc.analyse(path, align=False)
    script = _script_check_of(af)
    if script:
        af.qc = qc.with_adherence(af.qc, script)
    af.duration = round(info.duration_s, 4)
    af.sample_rate = info.sample_rate
    af.channels = info.channels
    af.bit_depth = info.bit_depth
    af.size = path.stat().st_size
    af.sha256 = af.sha256 or hashing.sha256_file(path)
    af.analysis_state = af.Analysis.DONE
    af.analysis_error = ""


def _script_check_of(af) -> dict | None:
    """The finished script check of the take behind ``af``: its file-manager copy's, or its original's.

    A denoised version carries its original's check: denoising changes the noise, not the
    words, and the quality gate judges a denoised version by its own QC.
    """
    from voicemanager.models import Take

    original = af.derived_from_id or af.pk
    take = Take.objects.filter(audio_file_id=original, adherence_state="done").first() if original else None
    return take.adherence if take is not None and take.adherence else None


def run_analysis(file_pk: int, *, reclaim: bool = False) -> str:
    """Analyse one AudioFile; return its analysis state ("" when the file is gone)."""
    from voicemanager.models import AudioFile

    claim_from = [AudioFile.Analysis.PENDING] + ([AudioFile.Analysis.RUNNING] if reclaim else [])
    if not AudioFile.objects.filter(pk=file_pk, analysis_state__in=claim_from).update(
        analysis_state=AudioFile.Analysis.RUNNING
    ):
        return AudioFile.objects.filter(pk=file_pk).values_list("analysis_state", flat=True).first() or ""
    af = AudioFile.objects.select_related("task__script").get(pk=file_pk)
    try:
        with _workdir() as work, _local_copy(af.file.name, Path(work)) as path:
            info = decode.validate(path, min_s=0.05)
            _measure_into(af, path, info)
    except decode.AudioRejected as exc:
        AudioFile.objects.filter(pk=file_pk).update(analysis_state=AudioFile.Analysis.FAILED,
                                                    analysis_error=exc.message)
        return AudioFile.Analysis.FAILED
    except BaseException:
        # transient (retried) or time limit: leave it claimable again
        _reset(lambda: AudioFile.objects.filter(pk=file_pk).update(analysis_state=AudioFile.Analysis.PENDING))
        raise
    fields = ["qc", "duration", "sample_rate", "channels", "bit_depth", "size", "sha256", "analysis_state",
              "analysis_error"]
    AudioFile.objects.filter(pk=file_pk).update(**{f: getattr(af, f) for f in fields})
    return AudioFile.Analysis.DONE


# --- denoise one file -----------------------------------------------------------------------------

def derived_name(source_name: str, engine: str) -> str:
    """``take-01.wav`` denoised with ``neural`` -> ``take-01.denoised-neural.wav``."""
    stem = source_name.rsplit(".", 1)[0] if "." in source_name else source_name
    return f"{stem}.denoised-{engine}.wav"


def _claim_job(job_pk: int, reclaim: bool) -> bool:
    from voicemanager.models import DenoiseJob

    now = timezone.now()
    claim = {"state": DenoiseJob.State.RUNNING, "started_at": now, "error": ""}
    if DenoiseJob.objects.filter(pk=job_pk, state=DenoiseJob.State.QUEUED).update(**claim):
        return True
    running = DenoiseJob.objects.filter(pk=job_pk, state=DenoiseJob.State.RUNNING, output=None)
    if not reclaim:  # only a job whose claiming attempt is over may be taken over
        running = running.filter(started_at__lt=now - timedelta(seconds=DENOISE_TIME_LIMIT + 60))
    return bool(running.update(**claim))


def _noise_profile(job, work: Path) -> Path | None:
    """The task's room tone, for the spectral engine, when it has one."""
    task = job.source.task
    if job.engine != "spectral" or not task or not task.room_tone_id or not task.room_tone.file:
        return None
    try:
        with _local_copy(task.room_tone.file.name, work, "room-tone") as path:
            decode.validate(path, min_s=0.2)
            return path
    except decode.AudioRejected:
        log.warning("room tone of %s is unusable; spectral engine profiles the take itself", task.public_id)
        return None


def _attach_output(job_pk: int, new, source_sha256: str) -> bool:
    """Attach the uploaded output to the job exactly once; False when another run won."""
    from voicemanager.models import AudioFile, DenoiseJob

    stale_key = None
    with transaction.atomic():
        job = DenoiseJob.objects.select_for_update().get(pk=job_pk)
        if job.state == DenoiseJob.State.DONE or job.output_id:
            return False
        current = AudioFile.objects.select_for_update().filter(pk=job.source_id).values_list("sha256", flat=True)
        current = current.first()
        if current is None or (current and current != source_sha256):
            # the take was replaced (or deleted) while we worked: this output would be wrong
            DenoiseJob.objects.filter(pk=job_pk).update(
                state=DenoiseJob.State.FAILED, finished_at=timezone.now(),
                error="The original changed while it was being denoised; its new version is processed anew.")
            return False
        existing = (AudioFile.objects.select_for_update()
                    .filter(derived_from=job.source_id, path=new.path, name=new.name).first())
        if existing:  # the same engine again (e.g. another strength): replace the derived file in place
            stale_key = existing.file.name
            existing.file = new.file.name
            for field in ("size", "sha256", "duration", "sample_rate", "channels", "bit_depth", "qc",
                          "analysis_state", "analysis_error", "processing", "created_by"):
                setattr(existing, field, getattr(new, field))
            existing.created_at = timezone.now()
            existing.save()
            out = existing
        else:
            new.save()
            out = new
        DenoiseJob.objects.filter(pk=job_pk).update(state=DenoiseJob.State.DONE, output=out,
                                                    finished_at=timezone.now(), error="")
        if stale_key and stale_key != out.file.name:
            transaction.on_commit(lambda: default_storage.delete(stale_key))
    transaction.on_commit(lambda: _after_denoise(job_pk))
    return True


def run_denoise(job_pk: int, *, reclaim: bool = False) -> str:
    """Denoise the job's source into a derived AudioFile beside it; return the job state."""
    from voicemanager.models import AudioFile, DenoiseJob

    if not _claim_job(job_pk, reclaim):
        return DenoiseJob.objects.filter(pk=job_pk).values_list("state", flat=True).first() or ""
    job = DenoiseJob.objects.select_related("source__organisation", "source__task__room_tone",
                                            "source__task__script").get(pk=job_pk)
    src = job.source
    new = AudioFile(
        organisation=src.organisation, path=src.path, name=derived_name(src.name, job.engine),
        label=src.label, source=AudioFile.Source.DENOISED, derived_from=src, task=src.task, speaker=src.speaker,
        transcript=src.transcript, created_by=job.requested_by,
    )
    try:
        with _workdir() as work_s:
            work = Path(work_s)
            with _local_copy(src.file.name, work) as raw:
                decode.validate(raw, min_s=0.05)
                source_sha256 = hashing.sha256_file(raw)
                profile = _noise_profile(job, work)
                out = work / "denoised.wav"
                result = denoise.denoise(raw, out, engine=job.engine, strength=job.strength, noise_profile=profile)
            info = decode.probe(out)
            _measure_into(new, out, info)
            new.processing = {**result, "requested_engine": job.engine, "job": job.pk,
                              "source_sha256": source_sha256}
            with open(out, "rb") as fh:
                new.file.save(new.name, File(fh), save=False)  # a fresh key: nothing is overwritten
    except decode.AudioRejected as exc:
        DenoiseJob.objects.filter(pk=job_pk).update(state=DenoiseJob.State.FAILED, error=exc.message,
                                                    finished_at=timezone.now())
        transaction.on_commit(lambda: _after_denoise(job_pk))
        return DenoiseJob.State.FAILED
    except TRANSIENT:
        _reset(lambda: DenoiseJob.objects.filter(pk=job_pk, state=DenoiseJob.State.RUNNING)
               .update(state=DenoiseJob.State.QUEUED))
        _discard(new)
        raise
    except BaseException:
        _discard(new)
        raise
    if not _attach_output(job_pk, new, source_sha256):
        _discard(new)
    return DenoiseJob.objects.filter(pk=job_pk).values_list("state", flat=True).first() or ""


def _discard(af) -> None:
    if af.file and af.file.name and not af.pk:
        with contextlib.suppress(Exception):
            default_storage.delete(af.file.name)


def _after_denoise(job_pk: int) -> None:
    """Let the task's status follow its files (kept tiny; the logic is in the flow module)."""
    from voicemanager.files.denoising import job_finished

    job_finished(job_pk)


# --- new files, sets, lost work -------------------------------------------------------------------

def process_new_file(file_pk: int, *, reclaim: bool = False) -> str:
    """Analyse a file that just landed in the file manager, then denoise it per the organisation's settings.

    Auto-denoise applies to booth takes when ``organisation.auto_process_takes``:
    the org's engine and strength, the task's room tone as noise profile. The job
    joins the task's ``auto-<task id>`` batch so the task page can show progress.
    """
    from voicemanager.files import denoising
    from voicemanager.models import AudioFile

    state = run_analysis(file_pk, reclaim=reclaim)
    af = AudioFile.objects.select_related("organisation", "task").filter(pk=file_pk).first()
    if af is None or state != AudioFile.Analysis.DONE:
        if af is not None:
            transaction.on_commit(lambda: denoising.file_processed(file_pk))
        return state
    org = af.organisation
    if org.auto_process_takes and af.source in AUTO_DENOISE_SOURCES:
        batch = AUTO_BATCH_PREFIX + (af.task.public_id if af.task_id else af.public_id)
        created = denoising.create_jobs([af], engine=org.denoise_engine, strength=org.denoise_strength, batch=batch,
                                        skip_active=False)
        for job in created:
            if job.state == job.State.QUEUED:
                outbox.enqueue(DENOISE_TASK, job.pk)  # sent when this transaction commits
    else:
        transaction.on_commit(lambda: denoising.file_processed(file_pk))
    return state


def denoise_set(batch: str, *, file_pks: list[int] | None = None, task_pk: int | None = None,
                engine: str | None = None, strength: float | None = None, requested_by_pk: int | None = None) -> dict:
    """Fan a batch out: create the missing jobs (for ``file_pks`` or a task's takes), queue the waiting ones.

    Safe to run twice: jobs are unique per (batch, file) and a queued job already
    claimed by a worker is skipped by that worker's own claim.
    """
    from voicemanager.files import denoising
    from voicemanager.models import AudioFile, DenoiseJob, RecordingTask

    if file_pks is not None or task_pk is not None:
        if task_pk is not None:
            task = RecordingTask.objects.filter(pk=task_pk).first()
            files = denoising.task_take_files(task) if task else AudioFile.objects.none()
        else:
            files = AudioFile.objects.filter(pk__in=file_pks)
        engine, strength = denoising.clean_request(engine, 0.8 if strength is None else strength)
        denoising.create_jobs(files, engine=engine, strength=strength, batch=batch, requested_by_id=requested_by_pk)
    for pk in DenoiseJob.objects.filter(batch=batch, state=DenoiseJob.State.QUEUED).values_list("pk", flat=True):
        outbox.enqueue(DENOISE_TASK, pk)
    return denoising.batch_progress(batch)


def sweep_lost_work(older_than_s: int = 10 * 60, limit: int = 500) -> dict:
    """Re-queue file work whose message was lost (broker down at enqueue time, a flushed queue).

    Re-queuing is harmless: every flow claims its row first, so a job that is in fact
    still queued in the broker is done once.
    """
    from voicemanager.models import AudioFile, DenoiseJob

    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than_s)
    pending = list(AudioFile.objects.filter(analysis_state=AudioFile.Analysis.PENDING, created_at__lt=cutoff,
                                            derived_from=None).values_list("pk", flat=True)[:limit])
    queued = list(DenoiseJob.objects.filter(state=DenoiseJob.State.QUEUED, created_at__lt=cutoff)
                  .values_list("pk", flat=True)[:limit])
    stale = list(DenoiseJob.objects.filter(
        state=DenoiseJob.State.RUNNING, started_at__lt=now - timedelta(seconds=DENOISE_TIME_LIMIT + 60))
        .values_list("pk", flat=True)[:limit])
    for pk in pending:
        outbox.enqueue(PROCESS_TASK, pk)
    for pk in queued + stale:
        outbox.enqueue(DENOISE_TASK, pk)
    return {"analyse": len(pending), "denoise": len(queued) + len(stale)}


def give_up(task_name: str, pk: int, reason: str) -> None:
    """Mark the row of a job that will not run again (retries exhausted, time limit) failed, with the reason."""
    from voicemanager.models import AudioFile, DenoiseJob

    if task_name == DENOISE_TASK:
        DenoiseJob.objects.filter(pk=pk).exclude(state=DenoiseJob.State.DONE).update(
            state=DenoiseJob.State.FAILED, error=reason, finished_at=timezone.now())
    elif task_name in ("tasks.files.analyse_file", PROCESS_TASK):
        AudioFile.objects.filter(pk=pk).exclude(analysis_state=AudioFile.Analysis.DONE).update(
            analysis_state=AudioFile.Analysis.FAILED, analysis_error=reason)
