"""Consent of a voice owner whose set was recorded elsewhere (semi-concierge).

The admin names the voice owner (``name_voice_owner``); the owner gets an emailed,
signed, expiring link to a page that needs no account, where they sign the current
Terms, Privacy Policy and Acceptable Use Policy, give their native language(s) and
record the spoken consent statement in the browser. Until all of that exists the
set cannot be forwarded: ``voicemanager.consent.gate.check_consent(speaker,
organisation=...)`` is the single rule, and ``status()`` reads it for the pages.

Links carry the speaker, organisation, email and the speaker's ``consent_link_nonce``,
signed with Django's ``TimestampSigner``: a changed character, an old link (older than
``OWNER_CONSENT_LINK_DAYS``, default the invitation lifetime) or a link superseded by a
resend (every send rotates the nonce) is refused.
"""
from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from voicemanager.consent.gate import check_consent
from voicemanager.core import audit
from voicemanager.core.emails import email_job, send_after_commit, send_templated_email
from voicemanager.core.links import site_url
from voicemanager.core.text import clean_line
from voicemanager.models import AudioFile, ConsentDocument, ConsentRecording, ConsentSignature, Organisation, Speaker
from voicemanager.recording.native_language import clean_languages

TOKEN_SALT = "voicemanager.consent.owner_links"
STATEMENT = ("I, {name}, am aware that recordings of my voice will be used by {organisation} "
             "to create a synthetic version of my voice.")
MIN_STATEMENT_S = 2.0
MAX_STATEMENT_S = 40.0  # the page stops at 40 s, so the upload stays a small direct POST (no tus, no login)
MAX_STATEMENT_BYTES = 8 * 1024 * 1024


class ConsentLinkError(Exception):
    """A consent link that cannot be used; the message is safe to show."""


class ConsentInputError(Exception):
    """Bad input on the consent page; ``code`` for JSON answers, message for a person."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def link_max_age() -> timedelta:
    return timedelta(days=getattr(settings, "OWNER_CONSENT_LINK_DAYS", settings.INVITATION_MAX_AGE_DAYS))


# --- naming the owner and the link ---------------------------------------------------------------


def name_voice_owner(organisation: Organisation, full_name: str, email: str, actor) -> Speaker:
    """Create (or find) the organisation's voice owner and email them the consent link after commit."""
    full_name = " ".join((full_name or "").split())[:200]
    email = (email or "").strip().lower()
    if not full_name:
        raise ConsentInputError("name_required", "Give the voice owner's full name.")
    try:
        validate_email(email)
    except Exception as exc:
        raise ConsentInputError("email_invalid", "Enter a valid email address for the voice owner.") from exc
    with transaction.atomic():
        speaker = Speaker.objects.filter(kind=Speaker.Kind.VOICE_OWNER, organisation=organisation,
                                         email=email).first()
        if speaker is None:
            speaker = Speaker.objects.create(kind=Speaker.Kind.VOICE_OWNER, organisation=organisation,
                                             full_name=full_name, email=email)
            audit.record("voice_owner.named", actor=actor, organisation=organisation, target=speaker,
                         email=email, name=full_name)
        send_after_commit(send_consent_link, speaker.pk, actor_pk=getattr(actor, "pk", None))  # logged; resend exists
    return speaker


def make_token(speaker: Speaker) -> str:
    return signing.dumps({"s": speaker.pk, "o": speaker.organisation_id, "e": speaker.email,
                          "n": speaker.consent_link_nonce}, salt=TOKEN_SALT, compress=True)


def consent_url(speaker: Speaker) -> str:
    return site_url("owner_consent", make_token(speaker))


def speaker_from_token(token: str) -> Speaker:
    """The voice owner a link was made for, or ``ConsentLinkError`` (tampered, expired, superseded, unknown)."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=link_max_age())
    except signing.SignatureExpired as exc:
        raise ConsentLinkError("This consent link has expired. Ask the organisation to send you a new one.") from exc
    except signing.BadSignature as exc:
        raise ConsentLinkError("This consent link is not valid. Please use the link exactly as it was emailed.") \
            from exc
    speaker = (Speaker.objects.select_related("organisation")
               .filter(pk=data.get("s"), organisation_id=data.get("o"), kind=Speaker.Kind.VOICE_OWNER).first())
    if speaker is None or speaker.email != data.get("e"):
        raise ConsentLinkError("This consent link is no longer valid.")
    if not secrets.compare_digest(str(data.get("n", "")), speaker.consent_link_nonce):
        raise ConsentLinkError("This consent link was replaced by a newer one. Please use the link in the most "
                               "recent email.")
    return speaker


@email_job
def send_consent_link(speaker_pk: int, actor_pk: int | None = None) -> None:
    """Email a fresh link (subject / text / HTML templates); links sent before stop working."""
    speaker = Speaker.objects.select_related("organisation").filter(pk=speaker_pk).first()
    if speaker is None:
        return
    speaker.rotate_consent_link_nonce()
    context = {"speaker": speaker, "org": speaker.organisation, "url": consent_url(speaker),
               "days": link_max_age().days}
    send_templated_email("owner_consent", context, [speaker.email])
    audit.record("voice_owner.consent_link_sent", organisation=speaker.organisation, target=speaker,
                 email=speaker.email, requested_by=actor_pk)


# --- state -----------------------------------------------------------------------------------------


@dataclass
class ConsentStatus:
    signed: bool
    unsigned: list[ConsentDocument]
    languages: list[str]
    recorded: bool
    reasons: list[str]

    @property
    def complete(self) -> bool:
        return not self.reasons

    @property
    def label(self) -> str:
        if self.complete:
            return "complete"
        if self.signed:
            return "signed, recording missing"
        return "waiting for the voice owner"


def has_recording(speaker: Speaker) -> bool:
    return ConsentRecording.objects.filter(speaker=speaker, organisation_id=speaker.organisation_id).exists()


def status(speaker: Speaker) -> ConsentStatus:
    """What is done and what is missing, by the same rule the cloning gate applies."""
    unsigned = speaker.unsigned_documents()
    return ConsentStatus(
        signed=bool(ConsentDocument.objects.current()) and not unsigned, unsigned=unsigned,
        languages=clean_languages(speaker.native_languages), recorded=has_recording(speaker),
        reasons=check_consent(speaker, organisation=speaker.organisation),
    )


def statement_for(speaker: Speaker) -> str:
    sig = speaker.signatures.order_by("-signed_at").first()
    name = sig.typed_name if sig else (speaker.full_name or speaker.email)
    return STATEMENT.format(name=name, organisation=speaker.organisation.name)


# --- the owner's steps -----------------------------------------------------------------------------


def sign(speaker: Speaker, *, typed_name: str, native_languages, agreed: bool, ip: str | None,
         user_agent: str) -> list[ConsentSignature]:
    """Sign every current document (exact version and text hash) and keep the native languages."""
    typed_name = clean_line(typed_name)[:200]
    languages = clean_languages(native_languages)
    if not agreed:
        raise ConsentInputError("not_agreed", "Tick the box to confirm you have read and agree to the documents.")
    if len(typed_name) < 2:
        raise ConsentInputError("name_required", "Type your full name to sign.")
    if not languages:
        raise ConsentInputError("languages_required", "Choose at least one native language.")
    documents = ConsentDocument.objects.current()
    if not documents:
        raise ConsentInputError("no_documents", "The consent documents are not published yet; try again later.")
    with transaction.atomic():
        signatures = []
        for doc in documents:
            sig, _ = ConsentSignature.objects.get_or_create(
                speaker=speaker, document=doc,
                defaults={"typed_name": typed_name, "ip_address": ip or None, "user_agent": (user_agent or "")[:1000],
                          "document_version": doc.version, "text_hash": doc.text_hash},
            )
            signatures.append(sig)
        Speaker.objects.filter(pk=speaker.pk).update(native_languages=languages)
        speaker.native_languages = languages
        audit.record("consent.documents_signed", organisation=speaker.organisation, target=speaker,
                     documents=[f"{d.kind} v{d.version}" for d in documents], ip=ip or "",
                     typed_name=typed_name, native_languages=languages, via="owner_link")
    return signatures


# Container (as probed) -> the extension its stored name gets: what browsers record, plus WAV/MP3/FLAC.
STATEMENT_EXTENSIONS = {"wav": "wav", "webm": "webm", "matroska": "webm", "ogg": "ogg", "mov": "m4a", "mp4": "m4a",
                        "mp3": "mp3", "flac": "flac"}


def store_recording(speaker: Speaker, uploaded, *, sha256: str = "", client_id: str = "") -> tuple[ConsentRecording,
                                                                                                      bool]:
    """Validate and keep the spoken statement; return (recording, created). Same bytes twice: stored once."""
    from tasks.audio.decode import AudioRejected, validate
    from tasks.audio.hashing import sha256_file

    if speaker.unsigned_documents():
        raise ConsentInputError("not_signed", "Sign the documents before recording the consent statement.")
    if uploaded is None:
        raise ConsentInputError("no_audio", "No recording was received.")
    if uploaded.size > MAX_STATEMENT_BYTES:
        raise ConsentInputError("too_large", "The recording is too large for a consent statement.")
    fd, tmp_name = tempfile.mkstemp(suffix=".upload")  # the client's name says nothing about the content
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in uploaded.chunks():
                out.write(chunk)
        digest = sha256_file(tmp)
        if sha256 and sha256.lower() != digest:
            raise ConsentInputError("checksum_mismatch", "The recording arrived damaged; it will be sent again.")
        existing = (ConsentRecording.objects.select_related("audio")
                    .filter(speaker=speaker, organisation_id=speaker.organisation_id, audio__sha256=digest).first())
        if existing is not None:
            return existing, False
        try:
            info = validate(tmp, max_bytes=MAX_STATEMENT_BYTES, min_s=MIN_STATEMENT_S, max_s=MAX_STATEMENT_S + 5)
        except AudioRejected as exc:
            raise ConsentInputError(exc.code, exc.message) from exc
        extension = STATEMENT_EXTENSIONS.get(info.format_name)
        if extension is None:
            raise ConsentInputError("unsupported_format", f"This is {info.format_name.upper()} audio; record the "
                                    "statement again in this page.")
        suffix = f".{extension}"  # the validated format's, never the client's (a storage key's type comes from it)
        with transaction.atomic():
            audio = AudioFile(
                organisation=speaker.organisation, path=f"consent/{speaker.public_id}",
                name=f"consent-{timezone.now():%Y%m%d-%H%M%S}{suffix}", label="consent",
                source=AudioFile.Source.CONSENT, speaker=speaker, size=info.size_bytes, sha256=digest,
                duration=info.duration_s, sample_rate=info.sample_rate, channels=info.channels,
                bit_depth=info.bit_depth, analysis_state=AudioFile.Analysis.DONE,
            )
            with tmp.open("rb") as fh:
                audio.file.save(f"consent{suffix}", File(fh), save=False)
            audio.save()
            recording = ConsentRecording.objects.create(
                speaker=speaker, organisation=speaker.organisation, audio=audio, statement=statement_for(speaker),
            )
            audit.record("consent.recorded", organisation=speaker.organisation, target=speaker,
                         file=audio.public_id, sha256=digest, duration_s=round(info.duration_s, 2),
                         client_id=client_id[:64], via="owner_link",
                         storage_locations=[audio.file.name])
        return recording, True
    finally:
        tmp.unlink(missing_ok=True)
