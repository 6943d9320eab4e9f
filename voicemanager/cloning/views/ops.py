"""Operator queue for the ``operator`` cloning provider (staff only).

Staff download a voice's package and move the voice through received → training → ready,
or failed with a reason; ``voicemanager.cloning.voices.advance_stage`` does the rest (succeeded,
credits, email to the organisation's admins).
"""
from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from voicemanager.cloning import voices as cloning
from voicemanager.core import audit
from voicemanager.core.access import get_voice_for_staff, staff_required
from voicemanager.models import Voice, VoicePackage

ACTIVE = (Voice.Stage.NEW, Voice.Stage.PACKAGED, Voice.Stage.FORWARDED, Voice.Stage.RECEIVED, Voice.Stage.TRAINING)


@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    voices = Voice.objects.select_related("organisation").order_by("created_at")
    context = {
        "active": voices.filter(stage__in=ACTIVE, status__in=[Voice.Status.PENDING, Voice.Status.PROCESSING]),
        "done": voices.filter(stage__in=[Voice.Stage.READY, Voice.Stage.FAILED]).order_by("-updated_at")[:50],
    }
    return render(request, "voicemanager/ops/cloning_queue.html", context)


@staff_required
def detail(request: HttpRequest, voice_id: str) -> HttpResponse:
    voice = get_voice_for_staff(request, voice_id)
    package = VoicePackage.objects.filter(voice=voice).first()
    next_stages = sorted(cloning.NEXT_STAGES.get(voice.stage, set()), key=list(Voice.Stage.values).index)
    from voicemanager.quality.report import voice_report

    return render(request, "voicemanager/ops/cloning_detail.html",
                  {"voice": voice, "package": package, "next_stages": next_stages, "report": voice_report(voice)})


@staff_required
def package_download(request: HttpRequest, voice_id: str) -> HttpResponse:
    voice = get_voice_for_staff(request, voice_id)
    package = VoicePackage.objects.filter(voice=voice, built_at__isnull=False).first()
    if package is None or not package.file:
        raise Http404("The package is not built yet.")
    audit.record("voice.package_downloaded", actor=request.user, organisation=voice.organisation, target=voice,
                 storage_locations=[package.file.name])
    storage = package.file.storage
    if hasattr(storage, "bucket_name"):
        return redirect(storage.url(package.file.name, expire=300))
    return FileResponse(package.file.open("rb"), as_attachment=True, filename=f"{voice.alias}.zip")


@staff_required
@require_POST
def set_stage(request: HttpRequest, voice_id: str) -> HttpResponse:
    voice = get_voice_for_staff(request, voice_id)
    stage = request.POST.get("stage", "")
    try:
        cloning.advance_stage(voice, stage, reason=request.POST.get("reason", ""), actor=request.user)
    except cloning.StageError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{voice.alias} is now {stage}.")
    return redirect("ops_cloning_detail", voice_id=voice.public_id)
