"""Denoise actions, live batch progress, the A/B comparison, the forward choice, the task QC table, and audio.

Reading (panels, progress, QC table, audio) is open to members of the file's
organisation; denoising and choosing a version need an admin of it. Every view
goes through an access helper, so another organisation's objects are 404.
"""
from __future__ import annotations

import re

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from voicemanager.core.access import (
    get_file_for_member,
    get_org_for_member,
    get_task_for_member,
    require_admin_of,
    team_required,
    user_organisations,
)
from voicemanager.files import denoising
from voicemanager.models import AudioFile, DenoiseJob

T = "voicemanager/denoise/"
CONTENT_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg", "flac": "audio/flac", "webm": "audio/webm",
                 "ogg": "audio/ogg", "opus": "audio/ogg", "m4a": "audio/mp4"}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 256 * 1024


def _is_admin(request: HttpRequest, org) -> bool:
    return request.user.is_staff or org.is_admin(request.user)


def _form_context(org) -> dict:
    return {"engines": denoising.engine_choices(), "default_engine": org.denoise_engine,
            "default_strength": org.denoise_strength}


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    nxt = request.POST.get("next") or request.GET.get("next")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect(fallback)


# --- audio --------------------------------------------------------------------------------------

def _chunks(handle, remaining: int):
    try:
        while remaining > 0:
            data = handle.read(min(CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        handle.close()


@team_required
@require_GET
def file_audio(request: HttpRequest, file_id: str) -> HttpResponse:
    """Stream a file to a member of its organisation, with byte ranges so the player can seek."""
    af = get_file_for_member(request, file_id)
    if not af.file:
        raise Http404("No audio")
    storage, name = af.file.storage, af.file.name
    try:
        size = storage.size(name)
        handle = storage.open(name, "rb")
    except OSError as exc:
        raise Http404("Audio missing from storage") from exc
    ctype = CONTENT_TYPES.get(af.name.rsplit(".", 1)[-1].lower(), "application/octet-stream")
    m = _RANGE.match(request.headers.get("Range", "").strip())
    if m and (m[1] or m[2]):
        if m[1]:
            start, end = int(m[1]), min(int(m[2]) if m[2] else size - 1, size - 1)
        else:
            start, end = max(0, size - int(m[2])), size - 1
        if start > end or start >= size:
            handle.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        handle.seek(start)
        response = StreamingHttpResponse(_chunks(handle, end - start + 1), status=206, content_type=ctype)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    else:
        response = FileResponse(handle, content_type=ctype)
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = f'inline; filename="{af.name}"'
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- one file: panel (A/B, QC side by side, choice, denoise form) --------------------------------

def _file_panel(request: HttpRequest, af: AudioFile, *, batch: str | None = None, page: bool = False) -> HttpResponse:
    original = af.derived_from or af
    latest = original.denoise_jobs.order_by("-created_at", "-pk").first()
    batch = batch or (latest.batch if latest and latest.state in denoising.ACTIVE else None)
    versions = denoising.variants(original)
    context = {
        "file": original, "variants": versions, "forward": denoising.forward_file(original),
        "is_admin": _is_admin(request, original.organisation), "latest_job": latest,
        "progress": denoising.batch_progress(batch) if batch else None,
        "metric_rows": denoising.compare_rows(versions), **_form_context(original.organisation),
    }
    return render(request, T + ("file.html" if page else "_file_panel.html"), context)


@team_required
@require_GET
def file_panel(request: HttpRequest, file_id: str) -> HttpResponse:
    """The A/B comparison of a file: a page, or (htmx) the panel other pages load into themselves."""
    return _file_panel(request, get_file_for_member(request, file_id), page=not request.htmx)


@team_required
@require_POST
def file_denoise(request: HttpRequest, file_id: str) -> HttpResponse:
    af = get_file_for_member(request, file_id)
    require_admin_of(request, af.organisation)
    batch = None
    try:
        batch = denoising.request_denoise([af.derived_from or af], engine=request.POST.get("engine"),
                                          strength=request.POST.get("strength"), user=request.user)
    except denoising.DenoiseRequestError as exc:
        if not request.htmx:
            messages.error(request, str(exc))
            return _back(request, reverse("denoise_file_page", args=[af.public_id]))
        response = _file_panel(request, af)
        return trigger_client_event(response, "denoise-error", {"message": str(exc)})
    if not request.htmx:
        messages.success(request, "Denoising started; the new version appears beside the original.")
        return _back(request, reverse("denoise_file_page", args=[af.public_id]))
    return _file_panel(request, af, batch=batch)


@team_required
@require_POST
def file_forward(request: HttpRequest, file_id: str) -> HttpResponse:
    """Choose which version of a file goes forward (raw or one of its denoised versions)."""
    af = get_file_for_member(request, file_id)
    original = af.derived_from or af
    require_admin_of(request, original.organisation)
    try:
        denoising.choose_variant(original, request.POST.get("variant", ""), user=request.user)
    except denoising.DenoiseRequestError as exc:
        if not request.htmx:
            messages.error(request, str(exc))
        return HttpResponse(str(exc), status=400) if request.htmx else _back(
            request, reverse("denoise_file_page", args=[original.public_id]))
    if not request.htmx:
        messages.success(request, "Saved which version goes forward.")
        return _back(request, reverse("denoise_file_page", args=[original.public_id]))
    return _file_panel(request, original)


# --- a selection of files (the file manager) ----------------------------------------------------

@team_required
@require_GET
def selection_form(request: HttpRequest) -> HttpResponse:
    """The Denoise form for a selection; the file manager loads it with hx-get and names its checkboxes ``files``.

    ``?org=<public id>`` picks that organisation's default engine and strength.
    """
    org_id = request.GET.get("org")
    org = get_org_for_member(request, org_id) if org_id else user_organisations(request.user).first()
    if org is None:
        raise Http404("No organisation")
    context = {**_form_context(org), "action": reverse("denoise_selection"),
               "include": request.GET.get("include", "[name='files']:checked"), "target": "#denoise-progress",
               "next": request.GET.get("next", "")}
    return render(request, T + "_denoise_form.html", context)


@team_required
@require_POST
def selection_denoise(request: HttpRequest) -> HttpResponse:
    ids = [i for i in request.POST.getlist("files") if i][:1000]
    files = list(AudioFile.objects.select_related("organisation").filter(
        organisation__in=user_organisations(request.user), public_id__in=ids))
    if len(files) != len(set(ids)):
        raise Http404("Unknown file")  # one unknown id (or another organisation's): nothing is changed
    orgs = {f.organisation for f in files}
    if len(orgs) > 1:
        return _selection_error(request, "Choose files of one organisation at a time.")
    for org in orgs:
        require_admin_of(request, org)
    try:
        batch = denoising.request_denoise(files, engine=request.POST.get("engine"),
                                          strength=request.POST.get("strength"), user=request.user)
    except denoising.DenoiseRequestError as exc:
        return _selection_error(request, str(exc))
    if not request.htmx:
        messages.success(request, f"Denoising {len(files)} file(s).")
        return _back(request, reverse("denoise_batch", args=[batch]))
    return render(request, T + "_batch_progress.html", {"progress": denoising.batch_progress(batch)})


def _selection_error(request: HttpRequest, message: str) -> HttpResponse:
    if request.htmx:
        return render(request, T + "_error.html", {"message": message}, status=400)
    messages.error(request, message)
    return _back(request, reverse("dashboard"))


# --- a task -------------------------------------------------------------------------------------

def _task_panel(request: HttpRequest, task, *, batch: str | None = None) -> HttpResponse:
    batch = batch or denoising.latest_batch(task)
    context = {"task": task, "is_admin": _is_admin(request, task.organisation),
               "n_files": denoising.task_take_files(task).count(),
               "progress": denoising.batch_progress(batch) if batch else None,
               **_form_context(task.organisation)}
    return render(request, T + "_task_panel.html", context)


@team_required
@require_GET
def task_panel(request: HttpRequest, task_id: str) -> HttpResponse:
    return _task_panel(request, get_task_for_member(request, task_id))


@team_required
@require_POST
def task_denoise(request: HttpRequest, task_id: str) -> HttpResponse:
    """Denoise the task's submitted takes (or the chosen ``files`` among them)."""
    task = get_task_for_member(request, task_id)
    require_admin_of(request, task.organisation)
    files = denoising.task_take_files(task)
    chosen = [i for i in request.POST.getlist("files") if i]
    if chosen:
        files = files.filter(public_id__in=chosen)
    batch = None
    try:
        batch = denoising.request_denoise(list(files), engine=request.POST.get("engine"),
                                          strength=request.POST.get("strength"), user=request.user)
    except denoising.DenoiseRequestError as exc:
        if not request.htmx:
            messages.error(request, str(exc))
            return _back(request, reverse("task_detail", args=[task.public_id]))
        return render(request, T + "_error.html", {"message": str(exc)}, status=400)
    if not request.htmx:
        messages.success(request, "Denoising the task's takes; progress is shown on the task page.")
        return _back(request, reverse("task_detail", args=[task.public_id]))
    return _task_panel(request, task, batch=batch)


@team_required
@require_GET
def task_qc(request: HttpRequest, task_id: str) -> HttpResponse:
    """Every submitted take with its figures and verdicts, worst first; sortable by any column."""
    task = get_task_for_member(request, task_id)
    sort, direction = request.GET.get("sort", "verdict"), request.GET.get("dir", "")
    rows, sort, direction = denoising.task_qc_rows(task, sort, direction)
    context = {"task": task, "rows": rows, "sort": sort, "dir": direction, "columns": denoising.COLUMNS}
    template = T + "qc_table.html" + ("#table" if request.htmx else "")
    return render(request, template, context)


# --- batch progress (polled) --------------------------------------------------------------------

@team_required
@require_GET
def batch_progress(request: HttpRequest, batch: str) -> HttpResponse:
    orgs = user_organisations(request.user)
    if not DenoiseJob.objects.filter(batch=batch, source__organisation__in=orgs).exists():
        raise Http404("Unknown batch")
    if DenoiseJob.objects.filter(batch=batch).exclude(source__organisation__in=orgs).exists():
        raise Http404("Unknown batch")
    progress = denoising.batch_progress(batch)
    jobs = denoising.batch_jobs(batch) if not request.htmx else None
    response = render(request, T + ("_batch_progress.html" if request.htmx else "batch.html"),
                      {"progress": progress, "jobs": jobs})
    if request.htmx and progress["is_finished"]:
        trigger_client_event(response, "denoise-finished", {"batch": batch})
    return response
