"""Booth pages: the contractor's task list, the booth (one section at a time) and take actions."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from voicemanager.consent.signing import consent_problem
from voicemanager.core.access import get_take_for_contractor, get_task_for_contractor
from voicemanager.models import RecordingTask, Take
from voicemanager.recording import reviews
from voicemanager.recording.takes import EDITABLE, TakeError, delete_take, seconds_recorded, submit_take


@login_required
def booth_home(request: HttpRequest) -> HttpResponse:
    """A contractor's tasks. Team users see their own recording tasks too (usually none)."""
    tasks = RecordingTask.objects.for_contractor(request.user).select_related("script", "organisation")
    return render(request, "booth/home.html", {"tasks": tasks})


def _position(task: RecordingTask, sections: list, requested: str | None) -> int:
    """The section to show: the one asked for, else where the contractor stopped, else the first open one."""
    n = len(sections)
    if requested and requested.isdigit() and 1 <= int(requested) <= n:
        return int(requested)
    first_request = next(iter(reviews.booth_requests(task)), None)
    if first_request:  # retake requests come first
        return first_request["position"]
    if 1 <= task.current_section <= n:
        return task.current_section
    submitted = set(Take.objects.filter(task=task, kind=Take.Kind.TAKE, status=Take.Status.SUBMITTED)
                    .values_list("section_id", flat=True))
    return next((i for i, s in enumerate(sections, 1) if s.pk not in submitted), 1)


def panel_context(task: RecordingTask, position: int, *, message: str = "", finished: bool = False) -> dict:
    sections = list(task.script.sections.order_by("position"))
    n = len(sections)
    position = min(max(1, position), max(1, n))
    section = sections[position - 1] if sections else None
    takes = list(Take.objects.filter(task=task, kind=Take.Kind.TAKE).order_by("-created_at"))
    submitted = {t.section_id for t in takes if t.status == Take.Status.SUBMITTED}
    section_takes = [t for t in takes if section and t.section_id == section.pk]
    if task.current_section != position:
        RecordingTask.objects.filter(pk=task.pk).update(current_section=position)
    retakes = reviews.booth_requests(task)
    requested = {r["section_id"] for r in retakes}
    paused = reviews.screening_blocks(task, section) if section else ""
    return {
        "task": task, "sections": sections, "section": section, "position": position, "n": n,
        "prev": sections[position - 2] if position > 1 else None,
        "next": sections[position] if position < n else None,
        "takes": [t for t in section_takes if t.status != Take.Status.DELETED],
        "deleted_takes": [t for t in section_takes if t.status == Take.Status.DELETED],
        "n_submitted": len(submitted), "submitted_ids": submitted,
        "percent": round(100 * len(submitted) / n) if n else 0,
        "seconds": seconds_recorded(task),
        "editable": task.status in EDITABLE and not paused,
        "retakes": retakes, "paused": paused,
        "section_request": next((r for r in retakes if section and r["section_id"] == section.pk), None),
        "screening": {"waiting": task.screening_waiting, "sections": task.screening_sections},
        "is_submitted": task.status != RecordingTask.Status.RECORDING and task.submitted_at is not None,
        "message": message, "finished": finished,
        # the list puts sections with retake requests first
        "section_states": sorted([(i, s, s.pk in submitted and s.pk not in requested)
                                  for i, s in enumerate(sections, 1)], key=lambda st: st[1].pk not in requested),
    }


def _render_panel(request: HttpRequest, task: RecordingTask, position: int, status: int = 200, **extra) -> HttpResponse:
    ctx = panel_context(task, position, **extra)
    ctx["max_seconds"] = int(settings.TAKE_MAX_SECONDS)
    template = "booth/booth.html#panel" if request.htmx else "booth/booth.html"
    response = render(request, template, ctx, status=status)
    if request.htmx:
        response["HX-Push-Url"] = f"/booth/tasks/{task.public_id}/?s={ctx['position']}"
    return response


@login_required
def booth_page(request: HttpRequest, task_id: str) -> HttpResponse:
    """The booth: section k of n. Locked (redirect to consent) until consent is complete."""
    task = get_task_for_contractor(request, task_id)
    if consent_problem(task):
        return redirect("booth:consent", task_id=task.public_id)
    sections = list(task.script.sections.order_by("position"))
    return _render_panel(request, task, _position(task, sections, request.GET.get("s")))


def _next_open(task: RecordingTask, after: int) -> int:
    """The next section with a retake request, else the next without a submitted take, after ``after``
    (wrapping); ``after`` if none."""
    request = next((r for r in reviews.booth_requests(task) if r["position"] != after), None)
    if request:
        return request["position"]
    sections = list(task.script.sections.order_by("position"))
    submitted = set(Take.objects.filter(task=task, kind=Take.Kind.TAKE, status=Take.Status.SUBMITTED)
                    .values_list("section_id", flat=True))
    order = list(range(after + 1, len(sections) + 1)) + list(range(1, after + 1))
    return next((i for i in order if sections[i - 1].pk not in submitted), after)


@login_required
@require_POST
def submit(request: HttpRequest, task_id: str, take_id: str) -> HttpResponse:
    """Submit the preferred take, then open the next section that still needs one."""
    take = get_take_for_contractor(request, task_id, take_id)
    task = take.task
    position = take.section.position if take.section else 1
    if consent_problem(task):
        return redirect("booth:consent", task_id=task.public_id)
    try:
        finished = submit_take(task, take, user=request.user)
    except TakeError as exc:
        return _render_panel(request, task, position, status=200 if request.htmx else 400, message=exc.message)
    task.refresh_from_db()
    if finished or task.status == RecordingTask.Status.SUBMITTED and _next_open(task, position) == position:
        # finished: the panel's "every section is submitted" line says it; no second message
        return _render_panel(request, task, position, finished=finished,
                             message=None if finished else "Take changed.")
    return _render_panel(request, task, _next_open(task, position))


@login_required
@require_POST
def delete(request: HttpRequest, task_id: str, take_id: str) -> HttpResponse:
    take = get_take_for_contractor(request, task_id, take_id)
    position = take.section.position if take.section else 1
    try:
        delete_take(take.task, take, user=request.user)
    except TakeError as exc:
        return _render_panel(request, take.task, position, status=200 if request.htmx else 400, message=exc.message)
    return _render_panel(request, take.task, position)


@login_required
def take_audio(request: HttpRequest, task_id: str, take_id: str) -> FileResponse:
    """Play a take back (the contractor's own only)."""
    take = get_take_for_contractor(request, task_id, take_id)
    response = FileResponse(take.file.open("rb"), content_type="audio/wav")
    response["Cache-Control"] = "private, max-age=3600"
    return response
