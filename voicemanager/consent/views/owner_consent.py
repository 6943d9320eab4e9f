"""Voice owners (sets recorded elsewhere): the admin's pages and the owner's public consent page."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from voicemanager.consent import owner_links as owner_consent
from voicemanager.consent.forms import SignForm, VoiceOwnerForm
from voicemanager.core.access import (
    admin_organisations,
    get_consent_recording_for_member,
    get_voice_owner_for_member,
    require_admin_of,
    team_required,
    user_organisations,
)
from voicemanager.models import ConsentDocument, ConsentRecording, Speaker


@team_required
def voice_owners(request: HttpRequest) -> HttpResponse:
    owners = (Speaker.objects.select_related("organisation")
              .filter(kind=Speaker.Kind.VOICE_OWNER, organisation__in=user_organisations(request.user))
              .order_by("organisation__name", "full_name"))
    admin_orgs = list(admin_organisations(request.user).order_by("name"))
    form = VoiceOwnerForm(request.POST or None, organisations=admin_orgs)
    if request.method == "POST":
        if not admin_orgs:
            raise PermissionDenied("Only an admin can name a voice owner.")
        if form.is_valid():
            org = form.organisations[form.cleaned_data["organisation"]]
            try:
                speaker = owner_consent.name_voice_owner(org, form.cleaned_data["full_name"],
                                                         form.cleaned_data["email"], request.user)
            except owner_consent.ConsentInputError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"The consent link was emailed to {speaker.email}.")
                return redirect("voice_owner_detail", speaker_id=speaker.public_id)
    rows = [(s, owner_consent.status(s)) for s in owners]
    return render(request, "voicemanager/team/voice_owners.html",
                  {"rows": rows, "form": form, "can_name": bool(admin_orgs)})


@team_required
def voice_owner_detail(request: HttpRequest, speaker_id: str) -> HttpResponse:
    speaker = get_voice_owner_for_member(request, speaker_id)
    current = ConsentDocument.objects.current()
    context = {
        "speaker": speaker,
        "state": owner_consent.status(speaker),
        "signatures": speaker.signatures.filter(document__in=current).select_related("document"),
        "recordings": ConsentRecording.objects.filter(speaker=speaker, organisation=speaker.organisation)
        .select_related("audio").order_by("-created_at"),
        "is_admin": request.user.is_staff or speaker.organisation.is_admin(request.user),
        "voices": speaker.voices.order_by("-created_at"),
    }
    return render(request, "voicemanager/team/voice_owner_detail.html", context)


@team_required
@require_POST
def voice_owner_resend(request: HttpRequest, speaker_id: str) -> HttpResponse:
    speaker = get_voice_owner_for_member(request, speaker_id)
    require_admin_of(request, speaker.organisation)
    owner_consent.send_consent_link(speaker.pk, actor_pk=request.user.pk)
    messages.success(request, f"The consent link was sent again to {speaker.email}.")
    return redirect("voice_owner_detail", speaker_id=speaker.public_id)


@team_required
def voice_owner_audio(request: HttpRequest, speaker_id: str, pk: int) -> FileResponse:
    recording = get_consent_recording_for_member(request, speaker_id, pk)
    return FileResponse(recording.audio.file.open("rb"), content_type="audio/wav" if recording.audio.name.endswith(
        ".wav") else "application/octet-stream")


# --- public: the voice owner's page (no account) ---------------------------------------------------


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def consent_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        speaker = owner_consent.speaker_from_token(token)
    except owner_consent.ConsentLinkError as exc:
        return render(request, "owner_consent/invalid.html", {"message": str(exc)}, status=410)
    state = owner_consent.status(speaker)
    form = SignForm(request.POST or None, initial={"typed_name": speaker.full_name,
                                                    "native_languages": speaker.native_languages})
    if request.method == "POST" and form.is_valid():
        try:
            owner_consent.sign(speaker, typed_name=form.cleaned_data["typed_name"],
                               native_languages=form.cleaned_data["native_languages"],
                               agreed=form.cleaned_data["agree"], ip=_client_ip(request),
                               user_agent=request.META.get("HTTP_USER_AGENT", ""))
        except owner_consent.ConsentInputError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("owner_consent", token=token)
    context = {"speaker": speaker, "org": speaker.organisation, "state": state, "form": form, "token": token,
               "documents": state.unsigned or ConsentDocument.objects.current(),
               "statement": owner_consent.statement_for(speaker),
               "max_seconds": int(owner_consent.MAX_STATEMENT_S)}
    return render(request, "owner_consent/page.html", context, status=400 if form.errors else 200)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


@require_POST
def consent_recording(request: HttpRequest, token: str) -> JsonResponse:
    """Upload endpoint for the recorder's take store (contract in static/js/README.md)."""
    try:
        speaker = owner_consent.speaker_from_token(token)
    except owner_consent.ConsentLinkError as exc:
        return _error(410, "link_invalid", str(exc))
    if request.POST.get("upload_id"):
        return _error(400, "too_large", "The consent statement is too long; please record it again (under "
                                        f"{int(owner_consent.MAX_STATEMENT_S)} seconds).")
    try:
        recording, created = owner_consent.store_recording(
            speaker, request.FILES.get("audio"), sha256=request.POST.get("sha256", ""),
            client_id=request.POST.get("client_id", ""))
    except owner_consent.ConsentInputError as exc:
        return _error(400, exc.code, exc.message)
    return JsonResponse({"take_id": recording.audio.public_id, "sha256": recording.audio.sha256,
                         "status": "stored", "complete": owner_consent.status(speaker).complete},
                        status=201 if created else 200)
