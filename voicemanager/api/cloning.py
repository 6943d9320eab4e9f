"""API: voice cloning (mounted at /api/v2/speech).

``POST /voice-cloning`` takes exactly ``{"fileIds", "alias", "engine", "metadata"}`` (plus
optional ``type``, ``language`` and ``acceptLanguageWarning``) and answers 202 with the
voice's state. Errors are ``{"error": {"code", "message", ...}}``: 400
``unknown_engine``/``unknown_type``, 402 ``insufficient_credits``, 404
``file_not_found``/``speaker_not_found``, 409 ``alias_taken`` and ``language_warning`` (the
language is not the speaker's native one; send ``acceptLanguageWarning: true`` to go
ahead), 422 ``invalid_request`` (malformed body), ``invalid_alias``, ``unsupported_language``,
``invalid_metadata``, ``no_usable_files``/``set_too_short`` (with ``discardedFiles``),
``mixed_speakers``, ``consent_missing`` (with ``reasons``).

``POST /voice-cloning/callback`` is for the webhook provider (no API key; signed body). It and the
package download link exist only when ``CLONING_PROVIDER=webhook``: with the operator provider they
answer 404 as if not mounted, so no secret, default or not, can finish or fail a voice.
"""
from __future__ import annotations

import json
import re
from typing import Any, Literal

from django.conf import settings
from django.http import FileResponse, HttpRequest
from ninja import Field, Router, Schema

from voicemanager.api.errors import ApiError
from voicemanager.api.files import FILE_ID_RE
from voicemanager.cloning import voices as cloning
from voicemanager.cloning.engines import DEFAULT_ENGINE
from voicemanager.cloning.providers import webhook
from voicemanager.models import AudioFile, Voice

router = Router(tags=["cloning"])


class CloneIn(Schema):
    fileIds: list[str] = Field(..., min_length=1, max_length=500)
    alias: str = Field(..., min_length=1, max_length=100, examples=["my-instant-clone"])
    engine: str = Field(..., max_length=100, examples=[DEFAULT_ENGINE])
    metadata: dict[str, Any] = Field(default_factory=dict, examples=[{"gender": "female"}])
    type: Literal["instant", "professional"] = "instant"
    language: str | None = Field(None, max_length=8, examples=["en"])
    acceptLanguageWarning: bool = Field(
        False, description="Go ahead although the language is not among the speaker's native languages "
        "(without it such a request answers 409 language_warning and creates nothing).")


class DiscardedFile(Schema):
    fileId: str
    reason: str
    code: str | None = None


class VoiceOut(Schema):
    voiceId: str
    alias: str
    status: str
    stage: str
    engine: str
    type: str
    language: str
    metadata: dict
    filesUsed: list[str]
    discardedFiles: list[DiscardedFile]
    failureReason: str | None
    expectedReadyAt: str | None
    createdAt: str
    succeededAt: str | None


class ErrorBody(Schema):
    error: dict


class CallbackOut(Schema):
    voiceId: str
    status: str
    stage: str


def _reject_nul(value: Any) -> None:
    """PostgreSQL cannot store NUL characters; refuse them as a malformed body."""
    if "\\u0000" in json.dumps(value):
        raise ApiError(422, "invalid_request", "Strings may not contain NUL characters.")


def _key_label(request: HttpRequest) -> str:
    """How an API key appears in the audit log (it is not a user): its prefix and name."""
    key = getattr(request, "api_key", None)
    return f"api_key:{key.prefix}… ({key.name})"[:200] if key is not None else "api_key"


@router.post("/voice-cloning", response={202: VoiceOut, 400: ErrorBody, 402: ErrorBody, 404: ErrorBody,
                                         409: ErrorBody, 422: ErrorBody}, summary="Start voice cloning")
def start_cloning(request: HttpRequest, body: CloneIn):
    org = request.auth
    _reject_nul(body.dict())
    wanted = list(dict.fromkeys(body.fileIds))
    valid = [fid for fid in wanted if FILE_ID_RE.match(fid)]
    by_id = {f.public_id: f for f in AudioFile.objects.filter(organisation=org, public_id__in=valid)
             .select_related("task", "derived_from")}
    unknown = [fid for fid in wanted if fid not in by_id]
    if unknown:
        raise ApiError(404, "file_not_found", "These files do not exist in this organisation.",
                       fileIds=[fid[:60] for fid in unknown[:50]])
    try:
        voice = cloning.request_voice(
            org, None, files=[by_id[fid] for fid in wanted], alias=body.alias, engine=body.engine,
            voice_type=body.type, language=body.language, metadata=body.metadata,
            accept_language_warning=body.acceptLanguageWarning, actor_label=_key_label(request),
        )
    except cloning.CloningError as exc:
        raise ApiError(exc.status, exc.code, exc.message, **exc.extra) from None
    return 202, cloning.voice_state(voice)


@router.get("/voice-cloning", response={200: VoiceOut, 404: ErrorBody}, summary="Get a voice's state by alias")
def get_cloning(request: HttpRequest, alias: str):
    voice = None
    if cloning.ALIAS_RE.match(alias):
        voice = Voice.objects.for_org(request.auth).filter(alias__iexact=alias).first()
    if voice is None:
        raise ApiError(404, "voice_not_found", "No voice with this alias in this organisation.")
    return 200, cloning.voice_state(voice)


def _webhook_provider_only() -> None:
    """The webhook provider's endpoints are not there for any other provider."""
    if settings.CLONING_PROVIDER != "webhook":
        raise ApiError(404, "not_found", "Not found.")


CALLBACK_DOC = {
    "requestBody": {"content": {"application/json": {"schema": {
        "type": "object", "required": ["voiceId", "status"],
        "properties": {
            "voiceId": {"type": "string"},
            "status": {"type": "string", "enum": ["received", "training", "ready", "failed"]},
            "reason": {"type": "string"},
            "reference": {"type": "string"},
        },
    }}}},
    "parameters": [{"in": "header", "name": "X-Signature", "required": True, "schema": {"type": "string"},
                    "description": "sha256=<hex HMAC-SHA256 of the raw body with the shared secret>"}],
}


@router.post("/voice-cloning/callback", auth=None, openapi_extra=CALLBACK_DOC, url_name="voice_cloning_callback",
             response={200: CallbackOut, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody},
             summary="Provider status callback (signed)")
def provider_callback(request: HttpRequest):
    """The cloning provider reports received / training / ready / failed. Bad signature: 401, nothing changes."""
    _webhook_provider_only()
    raw = request.body
    if not webhook.verify(raw, request.headers.get("X-Signature")):
        raise ApiError(401, "invalid_signature", "The X-Signature header does not match the body.")
    try:
        data = json.loads(raw)
        voice_id, stage = str(data["voiceId"]), str(data["status"])
    except (ValueError, KeyError, TypeError):
        raise ApiError(400, "invalid_request", "Send JSON with voiceId and status.") from None
    if stage not in ("received", "training", "ready", "failed"):
        raise ApiError(400, "invalid_status", "status must be received, training, ready or failed.")
    voice = Voice.objects.filter(public_id=voice_id.replace("\x00", "")[:40]).first()
    if voice is None:
        raise ApiError(404, "voice_not_found", "No such voice.")
    try:
        voice = cloning.advance_stage(voice, stage, reason=str(data.get("reason") or ""),
                                      provider_ref=str(data.get("reference") or "").replace("\x00", ""))
    except cloning.StageError as exc:
        raise ApiError(409, "invalid_transition", str(exc)) from None
    return 200, {"voiceId": voice.public_id, "status": voice.status, "stage": voice.stage}


@router.get("/voice-cloning/packages/{voice_id}", auth=None, include_in_schema=False,
            url_name="voice_package_download")
def package_download(request: HttpRequest, voice_id: str, token: str = ""):
    """The expiring signed link sent to the webhook provider (when storage is not S3)."""
    _webhook_provider_only()
    if not re.match(r"^voice_[0-9a-z]{1,40}$", voice_id) or not webhook.check_download_token(voice_id, token):
        raise ApiError(404, "not_found", "This link is invalid or has expired.")
    voice = Voice.objects.filter(public_id=voice_id).select_related("package").first()
    package = getattr(voice, "package", None) if voice else None
    if package is None or not package.file:
        raise ApiError(404, "not_found", "The package is not available.")
    return FileResponse(package.file.open("rb"), as_attachment=True, filename=f"{voice.alias}.zip")
