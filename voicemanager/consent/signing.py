"""Consent before any recording: signed documents, then the spoken statement.

Script takes are refused (in the upload view too, not only in the page) until the
speaker has signed every current document and recorded the task's consent statement.
A new document version makes ``needs_signing`` true again.
"""
from __future__ import annotations

from django.db import transaction

from voicemanager.core import audit
from voicemanager.core.text import clean_line
from voicemanager.models import ConsentDocument, ConsentRecording, ConsentSignature, RecordingTask, Speaker

STATEMENT = ("I, {name}, am aware that recordings of my voice will be used by {organisation} "
             "to create a synthetic version of my voice.")


def sign_documents(speaker: Speaker, documents: list[ConsentDocument], *, typed_name: str, ip: str | None,
                   user_agent: str) -> list[ConsentSignature]:
    """Record one signature per document, with the exact version and text hash that was shown."""
    typed_name = clean_line(typed_name)[:200]
    if len(typed_name) < 2:
        raise ValueError("Type your full name to sign.")
    with transaction.atomic():
        out = []
        for doc in documents:
            sig, _ = ConsentSignature.objects.get_or_create(
                speaker=speaker, document=doc,
                defaults={"typed_name": typed_name, "ip_address": ip or None, "user_agent": user_agent[:1000],
                          "document_version": doc.version, "text_hash": doc.text_hash},
            )
            out.append(sig)
        if not speaker.full_name:
            Speaker.objects.filter(pk=speaker.pk).update(full_name=typed_name)
        audit.record("consent.documents_signed", actor=speaker.user, target=speaker,
                     documents=[f"{d.kind} v{d.version}" for d in documents], ip=ip or "")
    return out


def signed_name(speaker: Speaker) -> str:
    """The name the speaker typed when signing most recently (else their profile name)."""
    sig = speaker.signatures.order_by("-signed_at").first()
    return sig.typed_name if sig else (speaker.full_name or speaker.email)


def statement_for(task: RecordingTask) -> str:
    return STATEMENT.format(name=signed_name(task.speaker), organisation=task.organisation.name)


def has_consent_recording(task: RecordingTask) -> bool:
    return ConsentRecording.objects.filter(task=task).exists()


def consent_problem(task: RecordingTask) -> str | None:
    """Why script recording is locked for this task, in words for the contractor; None when it is open."""
    if task.speaker is None:
        return "This task has no speaker."
    if not task.speaker.has_signed_current_documents():
        return "Please read and sign the current Terms, Privacy Policy and Acceptable Use Policy before recording."
    if not has_consent_recording(task):
        return "Please record the spoken consent statement before recording the script."
    return None
