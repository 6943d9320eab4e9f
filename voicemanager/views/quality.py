"""The quality report of a task or a voice: minutes, takes, QC pass rate, speaker verification, drift plots.

Plots are server-rendered SVG (voicemanager/quality_plots.py); a click on a dot plays the
take (static/js/quality.js). The operator's cloning page shows the same report.
"""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from booth.models import Take
from voicemanager import voice_checks
from voicemanager.access import get_task_for_member, get_voice_for_member, require_admin_of, team_required
from voicemanager.models import AudioFile, Voice, VoiceCheck

TEMPLATE = "voicemanager/quality/report.html"


def task_report(task) -> dict:
    takes = list(task.takes.filter(kind=Take.Kind.TAKE).exclude(status=Take.Status.DELETED)
                 .select_related("section", "voice_check").order_by("created_at"))
    items = []
    for take in takes:
        check = getattr(take, "voice_check", None)
        items.append({"check": check, "duration": take.duration, "qc": take.qc,
                      "url": reverse("task_take_audio", args=[task.public_id, take.public_id]),
                      "title": f"Section {take.section.position if take.section else '?'}, take {take.public_id[-6:]}"})
    return voice_checks.report([i["check"] for i in items if i["check"]], items)


def voice_report(voice: Voice) -> dict:
    files = list(AudioFile.objects.filter(organisation=voice.organisation, public_id__in=voice.files_used))
    checks = voice_checks.checks_for_files(files)
    files.sort(key=lambda f: (checks[f.pk].recorded_at if f.pk in checks else f.created_at, f.name))
    items = [{"check": checks.get(f.pk), "duration": f.duration, "qc": f.qc,
              "url": reverse("denoise_file_audio", args=[f.public_id]), "title": f.name} for f in files]
    return voice_checks.report([i["check"] for i in items if i["check"]], items)


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
    task = get_task_for_member(request, task_id)
    require_admin_of(request, task.organisation)
    check = get_object_or_404(VoiceCheck, pk=check_id, task=task)
    voice_checks.mark_reference(check, request.POST.get("on") == "1", user=request.user)
    return redirect("task_quality", task_id=task_id)
