"""Download of a task's finished set from the task page: start the build, watch its progress, download."""
from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from voicemanager.cloning import exports
from voicemanager.core import audit
from voicemanager.core.access import (
    get_export_for_admin,
    get_task_for_admin,
    team_required,
)

PANEL = "voicemanager/tasks/_export.html"



@team_required
@require_POST
def export_start(request: HttpRequest, task_id: str) -> HttpResponse:
    task = get_task_for_admin(request, task_id)
    try:
        export = exports.request_export(task, request.user)
    except exports.ExportError as exc:
        if request.htmx:
            return render(request, PANEL + "#export", {"task": task, "export": exports.latest_export(task),
                                                       "export_error": str(exc), "is_admin": True}, status=422)
        messages.error(request, str(exc))
        return redirect("task_detail", task_id=task.public_id)
    if request.htmx:
        return render(request, PANEL + "#export", {"task": task, "export": export, "is_admin": True})
    messages.success(request, "The set is being packaged; the download appears on this page when it is ready.")
    return redirect("task_detail", task_id=task.public_id)


@team_required
@require_GET
def export_status(request: HttpRequest, task_id: str) -> HttpResponse:
    """The panel, polled while the set is built."""
    task = get_task_for_admin(request, task_id)
    return render(request, PANEL + "#export", {"task": task, "export": exports.latest_export(task), "is_admin": True})


@team_required
@require_GET
def export_download(request: HttpRequest, task_id: str, export_id: str) -> FileResponse:
    export = get_export_for_admin(request, task_id, export_id)
    task = export.task
    if not export.file:
        raise Http404("The archive is not available.")
    try:
        handle = export.file.storage.open(export.file.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("The archive is missing from storage.") from exc
    audit.record("dataset.downloaded", actor=request.user, organisation=task.organisation, target=task,
                 export=export.public_id)
    name = f"{task.script.title[:60] or task.public_id} - {task.public_id}.zip".replace("/", "-")
    return FileResponse(handle, as_attachment=True, filename=name, content_type="application/zip")
