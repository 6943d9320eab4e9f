"""Script adherence of booth takes: did the take say its section text, word by word.

A take with section text is marked ``pending`` when it is stored and its check is
enqueued (outbox) on the ``adherence`` queue, which has a worker of its own, so a
backlog there never delays the level checks (in the upload answer) or denoising.
``check_take`` is what that worker runs; the booth's take panel polls
``booth:take_script`` until the result is there. The result is also merged into
the file-manager copy's QC (and its denoised versions') when the take is (or gets)
submitted, so the admin's task page, the QC table and the quality gate see the same marks.
"""
from __future__ import annotations

import itertools
import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from tasks.audio import adherence as recogniser
from tasks.audio import qc
from tasks.audio.adherence.check import RATE

QUEUE = "adherence"
log = logging.getLogger(__name__)


def warm_up() -> None:
    """Load the recogniser and run it once on silence, so the first take's check costs what every other does.

    Called when an adherence worker process starts (``tasks/adherence.py``): loading and the
    first run take about half a second, which the first talent after a restart would wait for.
    """
    try:
        model = recogniser.load(settings.ADHERENCE_MODEL or recogniser.PACKAGED, device=settings.ADHERENCE_DEVICE)
        recogniser.check(np.zeros(RATE, np.float32), "warm up", "en", model)
    except Exception:  # a worker without its model still starts: each check then fails with the reason
        log.exception("script-check recogniser could not be loaded (%s)", settings.ADHERENCE_MODEL)
        return
    log.info("script-check recogniser loaded (%s, %s)", settings.ADHERENCE_MODEL, settings.ADHERENCE_DEVICE)


def needs_check(take) -> bool:
    return take.kind == take.Kind.TAKE and take.section_id is not None and bool((take.section.text or "").strip())


def enqueue(take) -> None:
    """Inside the take's transaction: mark it pending and record the job."""
    from voicemanager.core import outbox

    type(take).objects.filter(pk=take.pk).update(adherence_state="pending")
    take.adherence_state = "pending"
    outbox.enqueue("tasks.adherence.check_take", take.pk)


def _claim_newest(task_id: int, *, reclaim: bool):
    """Claim the task's newest take still waiting for its check (with ``reclaim``, one left running first)."""
    from voicemanager.models import Take

    waiting = Take.objects.filter(task_id=task_id, kind=Take.Kind.TAKE).select_related("section", "task__script")
    left_running = waiting.filter(adherence_state="running") if reclaim else waiting.none()
    newest = waiting.filter(adherence_state="pending").order_by("-created_at", "-pk")[:20]
    for take in itertools.chain(left_running, newest):  # the second query runs only when the first has none
        if take.claim_adherence(reclaim=reclaim):
            return take
    return None


def check_take(take_pk: int, *, reclaim: bool = False) -> str:
    """Run one script check for the task of ``take_pk``: its newest waiting take first; return that take's state.

    Every take has a message, and each message checks one waiting take of its task, so every
    take is checked once. The order within a task is newest first: when the queue is behind, a
    talent waits for the take they have just recorded, not for the one from ten minutes ago (its
    verdict still comes, later). A redelivered message (``reclaim``: its worker died) first takes
    back a check of its task left running. Idempotent: a take is claimed before it is checked.
    """
    from voicemanager.models import Take

    task_id = Take.objects.filter(pk=take_pk).values_list("task_id", flat=True).first()
    if task_id is None:
        return ""
    take = _claim_newest(task_id, reclaim=reclaim)
    if take is None:
        return Take.objects.filter(pk=take_pk).values_list("adherence_state", flat=True).first() or ""
    try:
        with tempfile.TemporaryDirectory(prefix="vm-adh-") as work:
            path = Path(work) / "take.wav"
            with take.file.open("rb") as src, open(path, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
            result = qc.adherence(path, take.section.text, take.task.script.language, (take.qc or {}).get("metrics"),
                                  model=settings.ADHERENCE_MODEL, device=settings.ADHERENCE_DEVICE)
    except Exception as exc:  # a take we cannot check must not stay "running" for ever
        take.fail_adherence(f"The script check could not run: {exc.__class__.__name__}.")
        raise
    with transaction.atomic():
        take.finish_adherence(result)
        # re-read: the take may have been submitted while it was being checked
        file_pk = Take.objects.filter(pk=take.pk).values_list("audio_file", flat=True).first()
        if file_pk:
            merge_into_file(file_pk, result)
    return "done"


def merge_into_file(file_pk: int, result: dict) -> None:
    """Put a take's script check into its file-manager copy's QC and its denoised versions' (verdicts recomputed).

    Denoising changes the noise, not the words: a denoised version carries its original's check.
    A file not analysed yet is skipped; its analysis merges the take's result itself.
    """
    from voicemanager.models import AudioFile

    for audio_file in AudioFile.objects.select_for_update().filter(Q(pk=file_pk) | Q(derived_from_id=file_pk)):
        if audio_file.qc:
            AudioFile.objects.filter(pk=audio_file.pk).update(qc=qc.with_adherence(audio_file.qc, result))
