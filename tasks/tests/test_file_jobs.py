"""File jobs (analyse, denoise one file, denoise a set, process a new take) on real services.

Audio is espeak-ng speech with noise added; the broker is the real Redis; the
workers are real Celery workers (in-process, or subprocesses that get SIGKILLed).
"""
from __future__ import annotations

import time
import uuid
from datetime import timedelta

import numpy as np
import pytest
import soundfile as sf
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from e2e.services import speech_wav, wait_until
from tasks import files as jobs
from voicemanager.cloning import gate as quality_gate
from voicemanager.core import outbox
from voicemanager.files import denoising
from voicemanager.files import jobs as flows
from voicemanager.models import AudioFile, DenoiseJob, RecordingTask, Take
from voicemanager.recording import reviews

TEXT = "Please call Stella and ask her to bring these things with her from the store."


@pytest.fixture(scope="module")
def noisy_wav(tmp_path_factory) -> bytes:
    """About 5 s of espeak speech at 48 kHz with white noise at roughly 15 dB SNR."""
    d = tmp_path_factory.mktemp("audio")
    clean = speech_wav(d / "clean.wav", TEXT, pad_s=0.5)
    x, rate = sf.read(clean, dtype="float32")
    x = x + np.random.default_rng(1).standard_normal(len(x)).astype(np.float32) * 0.01
    sf.write(d / "noisy.wav", x, rate, subtype="PCM_16")
    return (d / "noisy.wav").read_bytes()


@pytest.fixture(scope="module")
def long_wav(tmp_path_factory) -> bytes:
    """About 50 s of noisy speech: long enough to kill a worker in the middle of a denoise."""
    d = tmp_path_factory.mktemp("audio-long")
    clean = speech_wav(d / "clean.wav", " ".join([TEXT] * 10), pad_s=0.5)
    x, rate = sf.read(clean, dtype="float32")
    x = x + np.random.default_rng(2).standard_normal(len(x)).astype(np.float32) * 0.01
    sf.write(d / "long.wav", x, rate, subtype="PCM_16")
    return (d / "long.wav").read_bytes()


def make_take_file(task: RecordingTask, data: bytes, position: int = 1, name: str | None = None) -> AudioFile:
    """A submitted booth take and its file-manager entry, as the booth creates them."""
    section = task.script.sections.get(position=position)
    af = AudioFile(organisation=task.organisation, path=task.file_path, name=name or f"{position:03d}_take.wav",
                   source=AudioFile.Source.BOOTH, task=task, speaker=task.speaker, transcript=section.text)
    af.file.save("take.wav", ContentFile(data), save=False)
    af.save()
    Take.objects.create(task=task, section=section, client_id=uuid.uuid4(), file=af.file.name, size=len(data),
                        sha256="0" * 64, status=Take.Status.SUBMITTED, audio_file=af, submitted_at=timezone.now())
    return af


def derived(af: AudioFile):
    return AudioFile.objects.filter(derived_from=af)


# --- through a real worker ------------------------------------------------------------------------

def test_worker_analyses_and_denoises_a_new_take_through_redis(cast, celery_worker, noisy_wav):
    af = make_take_file(cast.task_a, noisy_wav)
    jobs.process_new_file.delay(af.pk).get(timeout=60)
    job = wait_until(lambda: DenoiseJob.objects.filter(source=af, state__in=["done", "failed"]).first(),
                     timeout=60, message="auto denoise")
    af.refresh_from_db()
    assert af.analysis_state == "done" and af.qc["verdicts"] and af.qc["metrics"]["snr_db"] is not None
    assert af.sample_rate == 48000 and af.duration > 3
    assert job.state == "done", job.error
    out = job.output
    assert out.name == "001_take.denoised-spectral.wav" and out.path == af.path
    assert out.derived_from == af and out.source == "denoised" and out.task == cast.task_a
    assert out.processing["requested_engine"] == "spectral" and out.processing["strength"] == 0.8
    assert out.analysis_state == "done" and out.qc["metrics"]["snr_db"] > af.qc["metrics"]["snr_db"]
    with out.file.open("rb") as fh:
        y, rate = sf.read(fh)
    with af.file.open("rb") as fh:
        assert rate == 48000 and len(y) == sf.info(fh).frames  # same rate and length as the original
    assert job.batch == f"auto-{cast.task_a.public_id}"


def test_same_job_run_twice_by_the_worker_gives_one_output(cast, celery_worker, noisy_wav):
    af = make_take_file(cast.task_a, noisy_wav)
    job = DenoiseJob.objects.create(source=af, engine="neural", strength=0.9)
    first, second = jobs.denoise_file.delay(job.pk), jobs.denoise_file.delay(job.pk)
    assert {first.get(timeout=90), second.get(timeout=90)} == {"done"}
    assert derived(af).count() == 1
    assert derived(af).get().name == "001_take.denoised-neural.wav"
    # and again, as a redelivered message would be
    assert jobs.denoise_file.apply_async((job.pk,)).get(timeout=60) == "done"
    assert derived(af).count() == 1


def test_corrupt_file_ends_failed_with_a_reason_and_is_not_retried(cast, celery_worker, noisy_wav):
    af = make_take_file(cast.task_a, noisy_wav[:44] + b"\x00" * 10)  # header promises far more than is there
    job = DenoiseJob.objects.create(source=af, engine="spectral", strength=0.8)
    result = jobs.denoise_file.delay(job.pk)
    assert result.get(timeout=30) == "failed"
    job.refresh_from_db()
    assert job.state == "failed" and "cut short" in job.error and job.finished_at
    assert not derived(af).exists()
    assert jobs.analyse_file.delay(af.pk).get(timeout=30) == "failed"
    af.refresh_from_db()
    assert af.analysis_state == "failed" and af.analysis_error
    assert result.state == "SUCCESS"  # ended, not RETRY


def test_denoise_set_for_a_task_fans_out_and_reports_progress(cast, celery_worker, noisy_wav):
    files = [make_take_file(cast.task_a, noisy_wav, position=i) for i in (1, 2)]
    progress = jobs.denoise_set.delay("set-1", task_pk=cast.task_a.pk, engine="spectral", strength=0.5).get(timeout=30)
    assert progress["total"] == 2
    wait_until(lambda: denoising.batch_progress("set-1")["is_finished"], timeout=90, message="batch")
    p = denoising.batch_progress("set-1")
    assert (p["done"], p["failed"], p["percent"]) == (2, 0, 100)
    assert all(derived(f).count() == 1 for f in files)


def test_sigkilled_worker_mid_denoise_finishes_the_job_exactly_once(cast, worker_process, long_wav):
    af = make_take_file(cast.task_a, long_wav)
    job = DenoiseJob.objects.create(source=af, engine="neural", strength=0.9)
    first = worker_process("w1", CELERY_VISIBILITY_TIMEOUT="5")
    jobs.denoise_file.delay(job.pk)
    wait_until(lambda: DenoiseJob.objects.filter(pk=job.pk, state="running").exists(), timeout=60,
               interval=0.02, message="job running")
    first.kill()
    job.refresh_from_db()
    assert job.state == "running" and job.output_id is None  # killed in the middle
    time.sleep(6)  # past the visibility timeout: the new worker's first sweep of unacked messages finds it
    second = worker_process("w2", CELERY_VISIBILITY_TIMEOUT="5")
    try:
        wait_until(lambda: DenoiseJob.objects.filter(pk=job.pk, state="done").exists(), timeout=120, interval=0.5,
                   message="job redone")
    except TimeoutError as exc:
        job.refresh_from_db()
        raise AssertionError(f"{exc}; job {job.state} {job.error!r}; first worker:\n{first.log()}\n"
                             f"second worker:\n{second.log()}") from None
    assert derived(af).count() == 1
    job.refresh_from_db()
    assert job.output.file.storage.exists(job.output.file.name)


# --- the same functions called directly (no broker needed) -------------------------------------

def test_running_job_is_left_alone_unless_redelivered_or_stale(cast, noisy_wav):
    af = make_take_file(cast.task_a, noisy_wav)
    job = DenoiseJob.objects.create(source=af, engine="spectral", strength=0.8, state="running",
                                    started_at=timezone.now())
    assert flows.run_denoise(job.pk) == "running"  # another worker is on it
    assert not derived(af).exists()
    DenoiseJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(hours=2))
    assert flows.run_denoise(job.pk) == "done"  # its worker must have died
    assert flows.run_denoise(job.pk, reclaim=True) == "done"
    assert derived(af).count() == 1


def test_analysis_left_running_is_reclaimed_by_a_retry_or_redelivery(cast, noisy_wav):
    """A killed database connection fails the job and its reset alike: the row stays "running"."""
    from types import SimpleNamespace

    af = make_take_file(cast.task_a, noisy_wav)
    AudioFile.objects.filter(pk=af.pk).update(analysis_state="running")
    assert flows.run_analysis(af.pk) == "running"  # a first delivery leaves another worker's claim alone
    assert flows.run_analysis(af.pk, reclaim=True) == "done"

    def task(retries=0, redelivered=False):
        return SimpleNamespace(request=SimpleNamespace(retries=retries, delivery_info={"redelivered": redelivered}))

    assert not outbox.may_reclaim(task())
    assert outbox.may_reclaim(task(retries=1)) and outbox.may_reclaim(task(redelivered=True))


def test_denoise_reads_and_writes_through_s3(cast, s3_storage, noisy_wav):
    af = make_take_file(cast.task_a, noisy_wav)
    job = DenoiseJob.objects.create(source=af, engine="spectral", strength=0.8)
    assert flows.run_denoise(job.pk) == "done"
    out = derived(af).get()
    assert out.file.storage.__class__.__name__ == "S3Storage" and out.file.storage.exists(out.file.name)
    assert out.size > 1000 and out.sha256


def test_spectral_denoise_uses_the_tasks_room_tone(cast, noisy_wav):
    task = cast.task_a
    tone = AudioFile(organisation=task.organisation, path=task.file_path, name="room.wav",
                     source=AudioFile.Source.ROOM_TONE, task=task)
    x = np.random.default_rng(3).standard_normal(48000 * 2).astype(np.float32) * 0.01
    import io

    buf = io.BytesIO()
    sf.write(buf, x, 48000, format="WAV", subtype="PCM_16")
    tone.file.save("room.wav", ContentFile(buf.getvalue()), save=False)
    tone.save()
    RecordingTask.objects.filter(pk=task.pk).update(room_tone=tone)
    af = make_take_file(task, noisy_wav)
    job = DenoiseJob.objects.create(source=af, engine="spectral", strength=0.8)
    assert flows.run_denoise(job.pk) == "done"
    assert derived(af).get().processing["noise_profile"] == "room_tone"


def test_new_file_is_only_analysed_when_auto_processing_is_off(cast, noisy_wav):
    cast.org_x.auto_process_takes = False
    cast.org_x.save()
    af = make_take_file(cast.task_a, noisy_wav)
    assert jobs.process_new_file.apply(args=[af.pk]).get() == "done"
    assert not DenoiseJob.objects.filter(source=af).exists()
    af.refresh_from_db()
    assert af.analysis_state == "done"


def test_new_take_processed_twice_queues_one_denoise(cast, noisy_wav):
    af = make_take_file(cast.task_a, noisy_wav)
    jobs.process_new_file.apply(args=[af.pk]).get()
    jobs.process_new_file.apply(args=[af.pk]).get()
    assert DenoiseJob.objects.filter(source=af).count() == 1


def test_task_becomes_ready_when_its_takes_are_processed(cast, noisy_wav):
    task = cast.task_a
    files = [make_take_file(task, noisy_wav, position=i) for i in (1, 2, 3)]
    RecordingTask.objects.filter(pk=task.pk).update(status="submitted")
    cast.org_x.auto_process_takes = False
    cast.org_x.save()
    jobs.process_new_file.apply(args=[files[0].pk]).get()
    assert denoising.refresh_task_status(task.pk) == "processing"
    for f in files[1:]:
        jobs.process_new_file.apply(args=[f.pk]).get()
    # the noisy takes fail QC: the task waits for a review instead of becoming ready
    for f in files:
        f.refresh_from_db()
        assert "too_noisy" in [x["code"] for x in quality_gate.failures_of(f)]
    assert denoising.refresh_task_status(task.pk) == "review"
    for take in task.takes.filter(status="submitted"):
        reviews.approve(task, take.public_id, cast.admin_x)  # a reviewer lets them through
    assert denoising.refresh_task_status(task.pk) == "ready"


def test_gone_rows_are_ignored_quietly(db):
    assert flows.run_denoise(987654) == ""
    assert flows.run_analysis(987654) == ""


def test_file_job_tasks_are_safe_to_redeliver():
    for task in (jobs.analyse_file, jobs.denoise_file, jobs.process_new_file, jobs.denoise_set):
        assert task.acks_late and task.reject_on_worker_lost
        assert task.time_limit and task.soft_time_limit < task.time_limit
        assert OSError in task.autoretry_for and task.max_retries


def test_sweep_requeues_a_job_whose_message_was_lost(cast, celery_worker, noisy_wav):
    af = make_take_file(cast.task_a, noisy_wav)
    job = DenoiseJob.objects.create(source=af, engine="spectral", strength=0.8,
                                    created_at=timezone.now() - timedelta(hours=1))  # never sent to the broker
    jobs.sweep_file_jobs.delay()
    wait_until(lambda: DenoiseJob.objects.filter(pk=job.pk, state="done").exists(), timeout=60, message="swept job")
    assert derived(af).count() == 1


def _script_fail(word: str) -> dict:
    return {"status": "not_aligned", "verdict": "fail", "score": 0.9, "language": "en", "extra": [], "heard": "",
            "words": [{"word": word, "status": "different", "heard": "cotton"}]}


def test_a_denoised_copy_carries_its_takes_script_verdict_to_the_gate(cast, noisy_wav):
    """Denoising cannot change the words: a take that did not say its text stays out through its denoised copy."""
    from voicemanager.recording import adherence

    af = make_take_file(cast.task_a, noisy_wav)
    take = af.takes.get()
    Take.objects.filter(pk=take.pk).update(adherence=_script_fail("harbour"), adherence_state="done")
    assert flows.run_analysis(af.pk) == "done"
    af.refresh_from_db()
    assert "script_mismatch" in [f["code"] for f in quality_gate.failures_of(af)]

    job = DenoiseJob.objects.create(source=af, engine="spectral", strength=0.8)
    assert flows.run_denoise(job.pk) == "done"
    copy = derived(af).get()
    assert copy.qc["alignment"]["verdict"] == "fail"
    assert "script_mismatch" in [f["code"] for f in quality_gate.failures_of(copy)]

    # a check that finishes after the copy was made reaches the copy as well
    later = _script_fail("lighthouse")
    with transaction.atomic():
        adherence.merge_into_file(af.pk, later)
    copy.refresh_from_db()
    assert copy.qc["alignment"]["words"][0]["word"] == "lighthouse"
    assert "script_mismatch" in [f["code"] for f in quality_gate.failures_of(copy)]
