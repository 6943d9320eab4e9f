"""The quality report of a task or a voice: minutes, takes, QC pass rate, speaker verification, drift plots.

Plots are server-rendered SVG (voicemanager/quality/plots.py); a click on a dot plays the
take (static/js/quality.js). The operator's cloning page shows the same report.
"""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from voicemanager.core.access import (
    get_task_for_member,
    get_voice_check_for_member,
    get_voice_for_member,
    require_admin_of,
    team_required,
)
from voicemanager.quality import checks as voice_checks
from voicemanager.quality.report import task_report, voice_report

TEMPLATE = "voicemanager/quality/report.html"


@team_required
def task_quality(request: HttpRequest, task_id: str) -> HttpResponse:
    task = get_task_for_member(request, task_id)
    return render(request, TEMPLATE, {"task": task, "report": task_report(task), "back": reverse("task_detail", args=[task_id]),
                                      "title": f"Quality report: {task.script.title}"})


@team_required
def voice_quality(request: HttpRequest, voice_id: str) -> HttpResponse:
    voice = get_voice_for_member(request, voice_id)
    return render(request, TEMPLATE, {"voice": voice, "report": voice_report(voice),
                                      "back": reverse("voice_detail", args=[voice_id]),
                                      "title": f"Quality report: {voice.alias}"})


@team_required
@require_POST
def task_reference(request: HttpRequest, task_id: str, check_id: int) -> HttpResponse:
    """An admin picks a take as a drift reference (or unpicks it)."""
    check = get_voice_check_for_member(request, task_id, check_id)
    require_admin_of(request, check.organisation)
    voice_checks.mark_reference(check, request.POST.get("on") == "1", user=request.user)
    return redirect("task_quality", task_id=task_id)
