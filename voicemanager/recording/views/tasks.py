"""The Tasks tab, the task page and its actions, and the assign (invite) form."""
from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from voicemanager.cloning import exports
from voicemanager.core.access import (
    admin_organisations,
    get_take_for_member,
    get_task_for_admin,
    get_task_for_member,
    team_required,
    user_organisations,
)
from voicemanager.deletion import notices
from voicemanager.models import RecordingTask, Script, Take
from voicemanager.recording import assignments, native_language, reviews
from voicemanager.recording.forms import AssignTaskForm, DueDateForm, TaskFilterForm

PER_PAGE = 25
LIST = "voicemanager/tasks/list.html"


def due_state(task: RecordingTask, today=None) -> str:
    """overdue | soon (due within 48 h) | "" for the Tasks tab's marks."""
    if not task.due_date or task.status in RecordingTask.CLOSED_STATUSES:
        return ""
    today = today or timezone.localdate()
    if task.due_date < today:
        return "overdue"
    if task.due_date <= (timezone.now() + timedelta(hours=48)).date():
        return "soon"
    return ""


@team_required
def task_list(request: HttpRequest) -> HttpResponse:
    """A fixed number of queries whatever the number of tasks: scripts for the filter, count, one page."""
    orgs = user_organisations(request.user)
    scripts = list(Script.objects.filter(organisation__in=orgs).order_by("title", "-version"))
    form = TaskFilterForm(request.GET or None, scripts=scripts)
    base = form.apply(RecordingTask.objects.filter(organisation__in=orgs))
    paginator = Paginator(base.values_list("pk", flat=True), PER_PAGE)
    paginator.count = base.count()  # count without the progress joins
    page = paginator.get_page(request.GET.get("page"))
    # Deferred join: the page's 25 ids are chosen in a subquery on the narrow, indexed
    # task table, and only those rows are joined and given their progress subqueries
    # (one SQL statement). Annotating before LIMIT made PostgreSQL join and annotate
    # all 10,000 tasks to sort them: ~60 ms instead of ~3 ms.
    page.object_list = list(base.filter(pk__in=page.object_list).select_related(
        "script", "speaker", "organisation", "invitation").with_progress())
    today = timezone.localdate()
    for task in page.object_list:
        task.due_state = due_state(task, today)
        task.minutes_recorded = round((task.seconds_recorded or 0) / 60, 1)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form, "page": page, "filters": params.urlencode(), "deletion_notices": [] if request.htmx else notices.recent_for(orgs),
        "poll_url": f"{request.path}?{request.GET.urlencode()}", "can_assign": admin_organisations(
            request.user).exists() if not request.htmx else False,
    }
    return render(request, LIST + "#table" if request.htmx else LIST, context)


def _assign_choices(request: HttpRequest):
    organisations = list(admin_organisations(request.user).order_by("name"))
    if not organisations:
        raise PermissionDenied("Only an organisation admin can assign recording tasks.")
    scripts = list(Script.objects.filter(organisation__in=organisations).current()
                   .select_related("organisation").order_by("title"))
    return organisations, scripts


@team_required
def task_invite(request: HttpRequest) -> HttpResponse:
    """"Invite user to record their voice": the Assign recording task form."""
    organisations, scripts = _assign_choices(request)
    initial = {"script": request.GET.get("script", "")}
    form = AssignTaskForm(request.POST or None, organisations=organisations, scripts=scripts, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        speaker = native_language.speaker_for_email(data["contractor_email"])
        warning = native_language.language_warning(speaker, data["script_obj"].language)
        if not native_language.warning_accepted(form, warning):
            return render(request, "voicemanager/tasks/invite.html", {"form": form, "has_scripts": bool(scripts)})
        try:
            task = assignments.assign_task(
                actor=request.user, organisation=data["organisation_obj"], script=data["script_obj"],
                email=data["contractor_email"], file_path=data["file_path"], due_date=data.get("due_date"),
                screening_sections=data.get("screening_sections"),
            )
        except (assignments.AssignmentError, ValidationError) as exc:
            form.add_error(None, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
        else:
            if warning:
                native_language.record_warning_accepted(task, speaker, data["script_obj"].language, request.user)
            if task.invitation_id:
                messages.success(request, f"Task assigned. An invitation was emailed to {task.contractor_email}.")
            else:
                messages.success(request, f"{task.contractor_email} already has an account: the task is in their "
                                          "booth and they were notified by email.")
            return redirect("task_detail", task_id=task.public_id)
    return render(request, "voicemanager/tasks/invite.html", {"form": form, "has_scripts": bool(scripts)})


@team_required
def task_invite_path(request: HttpRequest) -> HttpResponse:
    """htmx: the default folder for the chosen script and email, shown under the path field."""
    organisations, scripts = _assign_choices(request)
    script = {s.public_id: s for s in scripts}.get(request.GET.get("script", ""))
    email = request.GET.get("contractor_email", "")
    if not script or "@" not in email:
        return HttpResponse("")
    path = assignments.default_file_path(script, email)
    return HttpResponse(format_html("Default folder: <code data-testid=\"default-path\">{}</code>", path))


@team_required
def task_detail(request: HttpRequest, task_id: str) -> HttpResponse:
    try:
        task = get_task_for_member(request, task_id)
    except Http404:
        return notices.removed_page(request, task_id)  # deleted on a voice owner's request, or 404
    sections = list(task.script.sections.order_by("position"))
    takes = list(task.takes.filter(kind=Take.Kind.TAKE).select_related("audio_file", "voice_check")
                 .order_by("created_at"))
    by_section: dict[int, list[Take]] = {}
    for take in takes:
        by_section.setdefault(take.section_id, []).append(take)
    rows = []
    for section in sections:
        section_takes = by_section.get(section.pk, [])
        submitted = next((t for t in section_takes if t.status == Take.Status.SUBMITTED), None)
        rows.append({"section": section, "submitted": submitted, "takes": len(section_takes),
                     "retakes": max(0, len(section_takes) - 1),
                     "qc": (submitted.audio_file.qc if submitted and submitted.audio_file and
                            submitted.audio_file.qc else submitted.qc if submitted else {}),
                     "voice": getattr(submitted, "voice_check", None) if submitted else None})
    n_submitted = sum(1 for r in rows if r["submitted"])
    n_flagged = sum(1 for t in takes if getattr(t, "voice_check", None) is not None and t.voice_check.is_flagged
                    and t.status != Take.Status.DELETED)
    is_admin = request.user.is_staff or task.organisation.is_admin(request.user)
    context = {
        "task": task, "rows": rows, "n_submitted": n_submitted, "n_sections": len(sections), "n_flagged": n_flagged,
        "minutes_recorded": round(sum(t.duration for t in takes if t.status != Take.Status.DELETED) / 60, 1),
        "invitation": task.invitation, "is_admin": is_admin, "due_state": due_state(task),
        "due_form": DueDateForm(initial={"due_date": task.due_date}),
        "review": reviews.review_state(task, can_review=is_admin),
        "latest_export": exports.latest_export(task) if is_admin else None,
        "deletion_notices": notices.for_task(task),
    }
    return render(request, "voicemanager/tasks/detail.html", context)


@team_required
def take_audio(request: HttpRequest, task_id: str, take_id: str) -> FileResponse:
    """Stream a take from storage to a member of the task's organisation (media is never public)."""
    take = get_take_for_member(request, task_id, take_id)
    if not take.file:
        raise Http404("No audio")
    try:
        handle = take.file.storage.open(take.file.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("Audio missing from storage") from exc
    response = FileResponse(handle, content_type="audio/wav", filename=f"{take.public_id}.wav")
    response["Cache-Control"] = "private, max-age=300"
    return response



def _act(request: HttpRequest, task_id: str, action, success: str) -> HttpResponse:
    task = get_task_for_admin(request, task_id)
    try:
        action(task, request.user)
    except assignments.AssignmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("task_detail", task_id=task.public_id)


@team_required
@require_POST
def task_resend(request: HttpRequest, task_id: str) -> HttpResponse:
    return _act(request, task_id, assignments.resend_invitation,
                "A new invitation link was emailed; the previous link no longer works.")


@team_required
@require_POST
def task_revoke(request: HttpRequest, task_id: str) -> HttpResponse:
    return _act(request, task_id, assignments.revoke_invitation,
                "The invitation was revoked; its link no longer works.")


@team_required
@require_POST
def task_cancel(request: HttpRequest, task_id: str) -> HttpResponse:
    return _act(request, task_id, assignments.cancel_task, "The task was cancelled.")


@team_required
@require_POST
def task_due_date(request: HttpRequest, task_id: str) -> HttpResponse:
    task = get_task_for_admin(request, task_id)
    form = DueDateForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("task_detail", task_id=task.public_id)
    due = form.cleaned_data.get("due_date")
    return _act(request, task_id, lambda t, actor: assignments.extend_due_date(t, actor, due),
                f"Due date set to {due:%d %B %Y}." if due else "Due date removed.")
