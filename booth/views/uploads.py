"""Upload endpoints of the booth: JSON in, JSON out, exactly the contract in static/js/README.md.

Every error is ``{"error": {"code", "message"}}`` so the take store can tell a final
refusal from a retry; ``login_required`` and ``consent_required`` are retried by the
browser (the take waits in IndexedDB until the cause is fixed).
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from voicemanager.consent.signing import consent_problem
from voicemanager.core.access import get_take_for_contractor, get_task_for_contractor
from voicemanager.files.tus import UploadNotAvailable, claim_completed_upload, release_upload
from voicemanager.models import Section, Take
from voicemanager.quality import checks as voice_checks
from voicemanager.recording import reviews
from voicemanager.recording.takes import EDITABLE
from voicemanager.recording.uploads import (
    KINDS,
    Received,
    UploadError,
    copy_claimed,
    parse_client_id,
    remove_temp,
    spool,
    store_recording,
)


def error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def storage_error(exc: OSError) -> JsonResponse:
    """507/503: a retryable server-side failure (the take stays in the browser's queue)."""
    import errno
    import logging

    logging.getLogger(__name__).error("storing a take failed: %s", exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return error(507, "storage_full", "The server's storage is full. Your take is kept in this browser and "
                     "will be sent again automatically.")
    return error(503, "storage_unavailable", "The server could not store the take right now. It is kept in this "
                 "browser and will be sent again automatically.")


def take_json(take: Take) -> dict:
    qc = take.qc or {}
    return {
        "take_id": take.public_id,
        "sha256": take.received_sha256 or take.sha256,  # what the browser sent: it compares this
        "stored_sha256": take.sha256,
        "status": take.status,
        "kind": take.kind,
        "section_id": take.section_id,
        "duration": round(take.duration, 3),
        "sample_rate": take.sample_rate,
        "bit_depth": take.bit_depth,
        "qc_state": take.qc_state,
        "qc": {"summary": qc.get("summary"), "verdicts": qc.get("verdicts", []),
               "noise_floor_dbfs": qc.get("noise_floor_dbfs"), "verdict": qc.get("verdict"),
               "quiet_enough": qc.get("quiet_enough")},
        "voice_url": reverse("booth:take_voice", args=[take.task.public_id, take.public_id])
        if take.kind == Take.Kind.TAKE else None,
        "break": voice_checks.break_status(take.task) if take.kind == Take.Kind.TAKE else None,
    }


@login_required
def take_voice(request: HttpRequest, task_id: str, take_id: str) -> JsonResponse:
    """Whose voice the take is and how it drifted, once the worker has checked it (the booth polls this)."""
    take = get_take_for_contractor(request, task_id, take_id)
    return JsonResponse({**voice_checks.take_status(take), "break": voice_checks.break_status(take.task)})


def _handle(request: HttpRequest, task_public_id: str, kind: str, section_id: int | None = None) -> JsonResponse:
    if not request.user.is_authenticated:
        return error(401, "login_required", "Your session has expired. Sign in again to upload.")
    try:
        task = get_task_for_contractor(request, task_public_id)
    except Http404:
        return error(404, "task_not_found", "This recording task does not exist or is not yours.")
    section = None
    if kind == "take":
        section = Section.objects.filter(pk=section_id, script=task.script_id).first()
        if section is None:
            return error(404, "section_not_found", "That section is not part of this task's script.")
        problem = consent_problem(task)
        if problem:
            return error(403, "consent_required", problem)
    elif task.speaker is None or not task.speaker.has_signed_current_documents():
        return error(403, "consent_required", "Please read and sign the current consent documents before recording.")
    if task.status not in EDITABLE:
        return error(409, "task_closed", "This task is being processed; it no longer accepts recordings.")
    if section is not None and (paused := reviews.screening_blocks(task, section)):
        return error(409, "screening", paused)
    if int(request.META.get("CONTENT_LENGTH") or 0) > settings.TAKE_MAX_BYTES + 1024 * 1024:
        return error(413, "too_large", f"The recording is larger than the {settings.TAKE_MAX_BYTES / 1e6:.0f} MB limit.")
    posted = request.POST.get("kind")
    if posted and KINDS.get(posted) != KINDS[kind]:
        return error(400, "bad_kind", "This address takes a different kind of recording.")
    try:
        client_id = parse_client_id(request.POST.get("client_id"))
    except UploadError as exc:
        return error(exc.status, exc.code, exc.message)
    previous = Take.objects.filter(task=task, client_id=client_id).first()
    if previous is not None:  # a retry after a lost answer: stored once, same answer
        if previous.section_id != (section.pk if section else None):
            return error(409, "client_id_reused", "This take id was already used for another recording.")
        return JsonResponse(take_json(previous), status=200)
    sha = (request.POST.get("sha256") or "").strip().lower()
    if len(sha) != 64:
        return error(400, "bad_sha256", "The upload has no sha256 checksum.")

    upload_id = request.POST.get("upload_id")
    uploaded = request.FILES.get("audio")
    if uploaded is None and not upload_id:
        return error(400, "no_audio", "No recording was sent.")
    if uploaded is not None and uploaded.size > settings.TAKE_MAX_BYTES:
        return error(413, "too_large", f"The recording is {uploaded.size / 1e6:.0f} MB; the limit is "
                     f"{settings.TAKE_MAX_BYTES / 1e6:.0f} MB.")
    try:
        path = spool(uploaded) if uploaded is not None else copy_claimed(
            claim_completed_upload(request.user, upload_id, "take"))
    except UploadNotAvailable as exc:
        return error(404, exc.code, str(exc))
    except OSError as exc:
        return storage_error(exc)
    try:
        received = Received(path=path, sha256=sha, client_id=client_id, kind=kind, owned=True)
        take, created = store_recording(task, section, received, user=request.user,
                                        captured_with=request.POST.get("captured_with", "worklet")[:20])
    except UploadError as exc:
        if upload_id:  # a final refusal: the tus upload's row and bytes go now, not at the purge
            release_upload(uuid.UUID(upload_id))
        return error(exc.status, exc.code, exc.message)
    except OSError as exc:  # storage full or failing: nothing was stored; the browser keeps the take and retries
        return storage_error(exc)
    finally:
        remove_temp(path)
    if upload_id:
        transaction.on_commit(lambda: release_upload(uuid.UUID(upload_id)), robust=True)  # cleanup only
    return JsonResponse(take_json(take), status=201 if created else 200)


@require_POST
def upload_take(request: HttpRequest, task_id: str, section_id: int) -> JsonResponse:
    """A script take for one section."""
    return _handle(request, task_id, "take", section_id)


@require_POST
def upload_consent(request: HttpRequest, task_id: str) -> JsonResponse:
    """The spoken consent statement (the task's ``ConsentRecording``)."""
    return _handle(request, task_id, "consent")


@require_POST
def upload_room_tone(request: HttpRequest, task_id: str) -> JsonResponse:
    """Five seconds of silence from the mic check; the answer carries the noise-floor verdict."""
    return _handle(request, task_id, "room_tone")

