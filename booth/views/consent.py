"""Consent pages: sign the current documents, then record the spoken statement; and the mic check."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from voicemanager.consent.signing import has_consent_recording, sign_documents, statement_for
from voicemanager.core.access import get_task_for_contractor
from voicemanager.models import ConsentDocument


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as the web server saw it (a proxy must set REMOTE_ADDR correctly)."""
    return request.META.get("REMOTE_ADDR") or None


@login_required
def consent(request: HttpRequest, task_id: str) -> HttpResponse:
    """Step 1: read and sign every current document. Step 2: record the consent statement."""
    task = get_task_for_contractor(request, task_id)
    speaker = task.speaker
    to_sign = speaker.unsigned_documents()
    current = ConsentDocument.objects.current()
    error = ""
    if request.method == "POST" and request.POST.get("action") == "sign":
        shown = {int(pk) for pk in request.POST.getlist("document") if pk.isdigit()}
        agreed = {int(pk) for pk in request.POST.getlist("agree") if pk.isdigit()}
        needed = {d.pk for d in to_sign}
        if not current:
            error = "The consent documents are not published yet. Please try again later."
        elif not needed <= shown:
            error = "A new version of a document was published while you were reading. Please read it and sign again."
        elif not needed <= agreed:
            error = "Please tick the box under each document to agree to it."
        else:
            try:
                sign_documents(speaker, to_sign, typed_name=request.POST.get("typed_name", ""),
                               ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))
            except ValueError as exc:
                error = str(exc)
            else:
                messages.success(request, "Thank you, the documents are signed.")
                return redirect("booth:consent", task_id=task.public_id)
        to_sign = speaker.unsigned_documents()
    signed = bool(current) and not to_sign
    return render(request, "booth/consent.html", {
        "task": task, "documents": to_sign, "signed": signed, "error": error,
        "statement": statement_for(task) if signed else "",
        "recorded": has_consent_recording(task),
        "typed_name": request.POST.get("typed_name") or speaker.full_name,
    }, status=400 if error else 200)


@login_required
def mic_check(request: HttpRequest, task_id: str) -> HttpResponse:
    """Device picker, live meter and a 5-second room-tone measurement judged by the server."""
    task = get_task_for_contractor(request, task_id)
    if not task.speaker.has_signed_current_documents():
        return redirect("booth:consent", task_id=task.public_id)
    return render(request, "booth/miccheck.html", {"task": task, "report": task.room_tone_report or None})
