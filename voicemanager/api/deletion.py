"""API: deletion requests. An organisation files a request for one of ITS voices.

The voice owner (``email``) still confirms by the emailed link before anything happens,
and staff approve the identified list before deletion. Another organisation's alias, or
an unknown one, answers 404 ``voice_not_found`` and creates nothing.
"""
from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from voicemanager.api.errors import ApiError
from voicemanager.deletion import intake
from voicemanager.models import DeletionRequest, Voice

router = Router(tags=["deletion"])


class DeletionIn(Schema):
    firstName: str = Field(..., min_length=1, max_length=100)
    lastName: str = Field(..., min_length=1, max_length=100)
    email: str = Field(..., description="The voice owner's address: the confirmation link goes there.")
    voiceAlias: str = Field(..., min_length=1, max_length=100, description="A voice of your organisation.")
    scope: Literal["voice", "voice_and_recordings"] = "voice"
    urgent: bool = Field(False, description="Delete immediately after approval and keep no backup.")


class DeletionOut(Schema):
    requestId: str
    status: str
    scope: str
    urgent: bool
    voiceAlias: str
    createdAt: str
    deadline: str
    completedAt: str | None


class DeletionList(Schema):
    count: int
    requests: list[DeletionOut]


class ErrorBody(Schema):
    error: dict


def out(req: DeletionRequest) -> dict:
    return {
        "requestId": req.public_id, "status": req.status, "scope": req.scope, "urgent": req.urgent,
        "voiceAlias": req.voice_alias, "createdAt": req.created_at.isoformat(), "deadline": req.deadline.isoformat(),
        "completedAt": req.completed_at.isoformat() if req.completed_at else None,
    }


@router.post("", response={201: DeletionOut, 404: ErrorBody, 422: ErrorBody})
def create_deletion_request(request: HttpRequest, body: DeletionIn):
    """File a deletion request for one of your organisation's voices; the owner confirms by email."""
    org = request.auth
    voice = Voice.objects.for_org(org).filter(alias=body.voiceAlias.strip()).first()
    if voice is None:
        raise ApiError(404, "voice_not_found", "No voice with this alias in your organisation.")
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(body.email.strip())
    except ValidationError as exc:
        raise ApiError(422, "invalid_email", "email is not a valid address.") from exc
    req = intake.file_request(
        first_name=body.firstName, last_name=body.lastName, email=body.email, organisation_ref=org.name,
        voice=voice, voice_alias=voice.alias, scope=body.scope, urgent=body.urgent, via="api",
    )
    return Status(201, out(req))


@router.get("", response=DeletionList)
def list_deletion_requests(request: HttpRequest):
    """Your organisation's deletion requests, newest first."""
    reqs = DeletionRequest.objects.filter(organisation=request.auth).order_by("-created_at")[:200]
    return {"count": len(reqs), "requests": [out(r) for r in reqs]}


@router.get("/{request_id}", response={200: DeletionOut, 404: ErrorBody})
def get_deletion_request(request: HttpRequest, request_id: str):
    """One request of your organisation (another organisation's answers 404)."""
    req = DeletionRequest.objects.filter(organisation=request.auth, public_id=request_id).first()
    if req is None:
        raise ApiError(404, "deletion_request_not_found", "No such deletion request in your organisation.")
    return Status(200, out(req))
