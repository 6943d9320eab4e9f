"""The consent gate: nothing is forwarded for cloning without the speaker's full consent.

Full consent is: a signature on the current version of each of the Terms of Service,
the Privacy Policy and the Acceptable Use Policy, and the spoken consent recording:
the task's ``ConsentRecording`` for a booth set, or, for a set recorded elsewhere, a
``ConsentRecording`` of the speaker for the organisation. The cloning flow calls this
when a voice is requested (``voicemanager.cloning.voices``) and again right before forwarding
(``tasks.cloning``), so a page, the API and a redelivered job all meet the same rule.
"""
from __future__ import annotations

from voicemanager.models import ConsentDocument, ConsentRecording


class ConsentMissing(Exception):
    """Raised by the cloning flow; ``reasons`` are sentences for a person."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def check_consent(speaker, task=None, organisation=None) -> list[str]:
    """Return why the speaker's set may not be forwarded; an empty list means it may."""
    if speaker is None:
        return ["No speaker is linked to these recordings, so nobody has given consent for them."]
    reasons: list[str] = []
    current = ConsentDocument.objects.current()
    if not current:
        reasons.append("The consent documents (Terms, Privacy, Acceptable Use) are not published.")
    else:
        for doc in speaker.unsigned_documents():
            reasons.append(f"{speaker} has not signed the current {doc.get_kind_display()} (version {doc.version}).")
    if task is not None:
        has_recording = ConsentRecording.objects.filter(task=task, speaker=speaker).exists()
        where = "for this recording task"
    else:
        org = organisation
        has_recording = org is not None and ConsentRecording.objects.filter(speaker=speaker, organisation=org).exists()
        where = "for this organisation"
    if not has_recording:
        reasons.append(f"The spoken consent recording of {speaker} {where} is missing.")
    return reasons


def require_consent(speaker, task=None, organisation=None) -> None:
    reasons = check_consent(speaker, task=task, organisation=organisation)
    if reasons:
        raise ConsentMissing(reasons)


def consent_evidence(speaker, task=None, organisation=None) -> dict:
    """Signatures and the consent recording reference, for the package manifest."""
    current = ConsentDocument.objects.current()
    signatures = [
        {
            "document": sig.document.kind,
            "version": sig.document_version,
            "textSha256": sig.text_hash,
            "typedName": sig.typed_name,
            "signedAt": sig.signed_at.isoformat(),
            "ipAddress": sig.ip_address,
        }
        for sig in speaker.signatures.filter(document__in=current).select_related("document").order_by("document__kind")
    ]
    recordings = ConsentRecording.objects.select_related("audio")
    recording = (recordings.filter(task=task, speaker=speaker) if task is not None
                 else recordings.filter(speaker=speaker, organisation=organisation)).order_by("-created_at").first()
    ref = None
    if recording is not None:
        ref = {
            "fileId": recording.audio.public_id,
            "sha256": recording.audio.sha256,
            "statement": recording.statement,
            "recordedAt": recording.created_at.isoformat(),
        }
    return {"signatures": signatures, "consentRecording": ref}
