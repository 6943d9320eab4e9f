"""Review on the task page: approve a take or request a retake with a note, in bulk, rounds, screening.

Every action is an admin's (``require_admin_of``) on a task of their organisation
(``get_task_for_member``) and calls one function of ``voicemanager.reviews``. htmx posts get
the row (or the whole panel) back; plain posts redirect to the task page.
"""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from voicemanager.core.access import (
    get_take_for_member,
    get_task_for_admin,
    get_task_for_member,
    team_required,
)
from voicemanager.models import RecordingTask
from voicemanager.recording import reviews

PANEL = "voicemanager/review/_panel.html"



def review_context(request: HttpRequest, task: RecordingTask) -> dict:
    is_admin = request.user.is_staff or task.organisation.is_admin(request.user)
    return {"task": task, "review": reviews.review_state(task, can_review=is_admin)}


def _panel(request: HttpRequest, task: RecordingTask, status: int = 200) -> HttpResponse:
    task.refresh_from_db()
    return render(request, PANEL + "#review", review_context(request, task), status=status)


def _back(request: HttpRequest, task: RecordingTask, status: int = 200) -> HttpResponse:
    if request.htmx:
        return _panel(request, task, status)
    return redirect("task_detail", task_id=task.public_id)


@team_required
@require_GET
def task_review(request: HttpRequest, task_id: str) -> HttpResponse:
    """The review panel on its own (htmx refresh)."""
    task = get_task_for_member(request, task_id)
    return _panel(request, task)


@team_required
@require_POST
def take_review(request: HttpRequest, task_id: str, take_id: str) -> HttpResponse:
    """``decision=approve`` or ``decision=retake`` with ``preset`` notes and/or a free-text ``note``."""
    task = get_task_for_admin(request, task_id)
    get_take_for_member(request, task_id, take_id)  # another task's take: 404
    decision = request.POST.get("decision")
    note = " ".join([*request.POST.getlist("preset"), request.POST.get("note", "")])
    error = ""
    try:
        if decision == "approve":
            reviews.approve(task, take_id, request.user, request.POST.get("note", ""))
        elif decision == "retake":
            reviews.request_retake(task, take_id, request.user, note)
        else:
            raise reviews.ReviewError("bad_decision", "Choose approve or request a retake.")
    except reviews.ReviewError as exc:
        error = exc.message
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("task_detail", task_id=task.public_id)
    task.refresh_from_db()
    ctx = review_context(request, task)
    row = next((r for r in ctx["review"]["rows"] if r["take"] and r["take"].public_id == take_id), None)
    if row is None:  # the take was replaced meanwhile: the whole panel, with the message
        messages.error(request, error or "That take was replaced; here is the current one.")
        return render(request, PANEL + "#review", ctx, status=409)
    if error:
        row = {**row, "error": error, "open_form": decision == "retake"}
    response = render(request, PANEL + "#review_row", {**ctx, "row": row}, status=422 if error else 200)
    # the counts and the "send" button change with every decision: swapped out of band
    response.content += render(request, PANEL + "#review_status", {**ctx, "oob": True}).content
    return response


@team_required
@require_POST
def review_retake_failed(request: HttpRequest, task_id: str) -> HttpResponse:
    """Bulk: a retake request for every take that failed QC (notes from the QC reasons)."""
    task = get_task_for_admin(request, task_id)
    try:
        n = reviews.request_retakes_for_failed(task, request.user)
    except reviews.ReviewError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{n} retake request{'s' if n != 1 else ''} added; send them to the talent "
                                  "when you are done.")
    return _back(request, task)


@team_required
@require_POST
def review_send(request: HttpRequest, task_id: str) -> HttpResponse:
    """Send the round's retake requests (one email)."""
    task = get_task_for_admin(request, task_id)
    try:
        sent = reviews.send_round(task, request.user)
    except reviews.ReviewError as exc:
        messages.error(request, exc.message)
        return _back(request, task, 409 if request.htmx else 200)
    n = sent.reviews.filter(decision="retake", withdrawn_at=None).count()
    messages.success(request, f"{n} retake request{'s' if n != 1 else ''} sent to {task.contractor_email}.")
    return _back(request, task)


@team_required
@require_POST
def screening_release(request: HttpRequest, task_id: str) -> HttpResponse:
    task = get_task_for_admin(request, task_id)
    try:
        reviews.release_screening(task, request.user, request.POST.get("note", ""))
    except reviews.ReviewError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Setup approved: the talent can record the rest and was emailed.")
    return redirect("task_detail", task_id=task.public_id)


@team_required
@require_POST
def screening_set(request: HttpRequest, task_id: str) -> HttpResponse:
    """Turn screening on (``enabled``) after N sections (``sections``, 10 by default), or off."""
    task = get_task_for_admin(request, task_id)
    raw = (request.POST.get("sections", "").strip() or "10") if request.POST.get("enabled") else ""
    try:
        if raw and not raw.isdigit():
            raise reviews.ReviewError("invalid", "Give a whole number of sections, or leave it empty for none.")
        reviews.set_screening(task, request.user, int(raw) if raw else None)
    except reviews.ReviewError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Recording pauses after {raw} sections for a setup check." if raw
                         else "Screening is off.")
    return redirect("task_detail", task_id=task.public_id)


@team_required
@require_POST
def org_review_setting(request: HttpRequest, task_id: str) -> HttpResponse:
    """The organisation's choice: every take needs an approval (on) or a take that passed QC is enough (off)."""
    task = get_task_for_admin(request, task_id)
    on = request.POST.get("review_takes") == "1"
    reviews.set_review_takes(task.organisation, request.user, on)
    messages.success(request, "Every take now needs an approval before a task is ready." if on else
                     "A take that passed QC is now enough for a task to be ready.")
    return redirect("task_detail", task_id=task.public_id)
