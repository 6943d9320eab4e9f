"""Private voices: the organisation's voices with their state, files used and discarded."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from voicemanager.core.access import get_voice_for_member, team_required, user_organisations
from voicemanager.core.languages import LANGUAGE_NAMES
from voicemanager.models import AudioFile, Voice


@team_required
def voice_list(request: HttpRequest) -> HttpResponse:
    orgs = user_organisations(request.user).order_by("name")
    voices = Voice.objects.filter(organisation__in=orgs).select_related("organisation", "task")
    org_id = request.GET.get("org", "")
    if org_id:
        voices = voices.filter(organisation__public_id=org_id)
    status = request.GET.get("status", "")
    if status in Voice.Status.values:
        voices = voices.filter(status=status)
    context = {"voices": voices[:500], "organisations": orgs, "org_id": org_id, "status": status,
               "statuses": Voice.Status.choices, "language_names": LANGUAGE_NAMES}
    template = "voicemanager/voices/list.html"
    if request.htmx:
        template += "#voice-table"
    return render(request, template, context)


@team_required
def voice_detail(request: HttpRequest, voice_id: str) -> HttpResponse:
    voice = get_voice_for_member(request, voice_id)
    names = dict(AudioFile.objects.filter(organisation=voice.organisation,
                                          public_id__in=list(voice.files_used) +
                                          [d.get("fileId") for d in voice.discarded_files])
                 .values_list("public_id", "name"))
    context = {"voice": voice, "used": [(fid, names.get(fid)) for fid in voice.files_used],
               "discarded": [{**d, "name": names.get(d.get("fileId"))} for d in voice.discarded_files],
               "language_name": LANGUAGE_NAMES.get(voice.language, voice.language),
               "package": getattr(voice, "package", None) if hasattr(voice, "package") else None}
    return render(request, "voicemanager/voices/detail.html", context)
