"""File jobs as Celery tasks: analyse a file, denoise one file, denoise a set, process a new file, sweep.

Each task takes primary keys and calls one flow of ``voicemanager.files.jobs``, which
claims its row first, so running a task twice does the work once. What only the task
knows is whether the attempt that claimed a row is over (``outbox.may_reclaim``), and when
it gives up for good (``_FileTask.on_failure``).
"""
from __future__ import annotations

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded

from voicemanager.core import outbox
from voicemanager.files import jobs
from voicemanager.files.jobs import ANALYSE_TIME_LIMIT, DENOISE_TIME_LIMIT, SET_TIME_LIMIT, TRANSIENT

MAX_RETRIES = 5


class _FileTask(Task):
    """Marks the row failed when a task gives up (retries exhausted or time limit)."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        if args:
            jobs.give_up(self.name, args[0], _failure_reason(exc))


def _failure_reason(exc: BaseException) -> str:
    if isinstance(exc, SoftTimeLimitExceeded):
        return "The job took longer than its time limit and was stopped."
    return f"The job failed after {MAX_RETRIES} retries: {exc.__class__.__name__}: {str(exc)[:300]}"


_COMMON = dict(base=_FileTask, bind=True, acks_late=True, reject_on_worker_lost=True, autoretry_for=TRANSIENT,
               retry_backoff=2, retry_backoff_max=120, retry_jitter=True, max_retries=MAX_RETRIES)


@shared_task(name="tasks.files.analyse_file", time_limit=ANALYSE_TIME_LIMIT + 60,
             soft_time_limit=ANALYSE_TIME_LIMIT, **_COMMON)
def analyse_file(self, file_pk: int) -> str:
    """QC one file in the file manager (level metrics and verdicts)."""
    return jobs.run_analysis(file_pk, reclaim=outbox.may_reclaim(self))


@shared_task(name=jobs.DENOISE_TASK, time_limit=DENOISE_TIME_LIMIT + 60,
             soft_time_limit=DENOISE_TIME_LIMIT, **_COMMON)
def denoise_file(self, job_pk: int) -> str:
    """Run one DenoiseJob: one derived, analysed AudioFile beside the original."""
    return jobs.run_denoise(job_pk, reclaim=outbox.may_reclaim(self))


@shared_task(name="tasks.files.denoise_set", bind=True, acks_late=True, reject_on_worker_lost=True,
             autoretry_for=TRANSIENT, retry_backoff=2, max_retries=MAX_RETRIES,
             time_limit=SET_TIME_LIMIT + 60, soft_time_limit=SET_TIME_LIMIT)
def denoise_set(self, batch: str, *, file_pks: list[int] | None = None, task_pk: int | None = None,
                engine: str | None = None, strength: float | None = None,
                requested_by_pk: int | None = None) -> dict:
    """Fan a denoise batch out (``jobs.denoise_set``)."""
    return jobs.denoise_set(batch, file_pks=file_pks, task_pk=task_pk, engine=engine, strength=strength,
                            requested_by_pk=requested_by_pk)


@shared_task(name=jobs.PROCESS_TASK, time_limit=ANALYSE_TIME_LIMIT + 60,
             soft_time_limit=ANALYSE_TIME_LIMIT, **_COMMON)
def process_new_file(self, file_pk: int) -> str:
    """Analyse a new file, then denoise it per the organisation's settings (``jobs.process_new_file``)."""
    return jobs.process_new_file(file_pk, reclaim=outbox.may_reclaim(self))


@shared_task(name="tasks.files.sweep_file_jobs", ignore_result=True, time_limit=SET_TIME_LIMIT + 60,
             soft_time_limit=SET_TIME_LIMIT)
def sweep_file_jobs(older_than_s: int = 10 * 60, limit: int = 500) -> dict:
    """Re-queue file work whose message was lost (runs from beat)."""
    return jobs.sweep_lost_work(older_than_s, limit)
