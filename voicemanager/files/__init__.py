"""The organisation's file manager: uploads (plain and tus), committed-write checks, denoising.

models.py     AudioFile (folders, derived versions) and DenoiseJob
resumable.py  ResumableUpload: a tus upload in progress
tus.py        the tus 1.0.0 server (/uploads/) and purge_stale_uploads (scheduled)
uploads.py    store an uploaded file (browser and API share it), then enqueue its analysis
committed.py  storage first, then the row: was the row committed after a failure?
denoising.py  request denoising, follow a batch, choose what goes forward, the task's ready state
jobs.py       the worker flows: analyse a file, denoise one, process a new file, fan a set out, sweep
views/        files (/vm/files/…) and denoise (A/B, batches, the task QC table)

The Celery tasks that run those flows (one call each) are in ``tasks/files.py``.
"""
