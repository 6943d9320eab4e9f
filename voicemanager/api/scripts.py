"""API: scripts. Create (sections or plain text), list, read one with its sections.

A script of another organisation answers 404 ``script_not_found``, like one that does
not exist. The list shows current versions: the scripts the assignment form offers.
"""
from __future__ import annotations

from typing import Literal

from django.db.models import Count
from django.http import HttpRequest
from ninja import Field, Router, Schema

from voicemanager.api.errors import ApiError
from voicemanager.models import Script
from voicemanager.scripts.editing import create_script
from voicemanager.scripts.importing import (
    SPLIT_BLANK_LINES,
    ParsedSection,
    ScriptImportError,
    parse_json,
    review,
    split_text,
)

router = Router(tags=["scripts"])


class SectionIn(Schema):
    text: str
    id: str = ""


class ScriptIn(Schema):
    title: str = Field(..., description="Shown to the contractor and in the assignment dropdown.")
    language: str = Field(..., description="Language code, e.g. `en`, `de`, `zh` (professional-cloning languages).")
    sections: list[str | SectionIn] | None = Field(None, description="One entry per thing to record.")
    text: str | None = Field(None, description="Plain text instead of `sections`, split by `split`.")
    split: Literal["blank", "line"] = Field(SPLIT_BLANK_LINES, description="blank: paragraphs; line: one per line.")


class WarningOut(Schema):
    section: int
    kind: str
    message: str


class ScriptOut(Schema):
    scriptId: str
    title: str
    language: str
    version: int
    previousVersion: str | None
    sectionCount: int
    createdAt: str


class SectionOut(Schema):
    position: int
    text: str
    id: str


class ScriptDetail(ScriptOut):
    sections: list[SectionOut]
    estimatedMinutes: float
    warnings: list[WarningOut]


class ScriptList(Schema):
    count: int
    scripts: list[ScriptOut]


class ErrorBody(Schema):
    error: dict


def script_out(script: Script, section_count: int) -> dict:
    return {
        "scriptId": script.public_id, "title": script.title, "language": script.language,
        "version": script.version,
        "previousVersion": script.previous_version.public_id if script.previous_version_id else None,
        "sectionCount": section_count, "createdAt": script.created_at.isoformat(),
    }


def script_detail(script: Script) -> dict:
    sections = list(script.sections.order_by("position"))
    result = review([s.text for s in sections], script.language)
    return {
        **script_out(script, len(sections)),
        "sections": [{"position": s.position, "text": s.text, "id": s.external_id} for s in sections],
        "estimatedMinutes": result.minutes,
        "warnings": [{"section": w.index + 1, "kind": w.kind, "message": w.message} for w in result.warnings],
    }


@router.post("", response={201: ScriptDetail, 400: ErrorBody}, summary="Create a script")
def create(request: HttpRequest, payload: ScriptIn):
    """Create a script from `sections` or from plain `text`. The response carries a voice director's warnings
    (empty, duplicate, too long for one breath, very short) and the estimated recording time."""
    if (payload.sections is None) == (payload.text is None):
        raise ApiError(400, "invalid_script", "Send either `sections` or `text`.")
    try:
        if payload.text is not None:
            sections = [ParsedSection(t) for t in split_text(payload.text, payload.split)]
        else:
            raw = [s if isinstance(s, str) else {"text": s.text, "id": s.id} for s in payload.sections]
            sections = parse_json({"sections": raw}).sections
        script = create_script(organisation=request.auth, title=payload.title, language=payload.language,
                               sections=sections, via="api")
    except ScriptImportError as exc:
        raise ApiError(400, "invalid_script", str(exc)) from exc
    return 201, script_detail(script)


@router.get("", response=ScriptList, summary="List scripts")
def list_scripts(request: HttpRequest, limit: int = 100, offset: int = 0):
    """Current version of each script of the organisation, newest first."""
    limit = max(1, min(limit, 500))
    offset = max(0, min(offset, 10**9))  # beyond bigint the database errors
    qs = Script.objects.for_org(request.auth).current()
    page = (qs.select_related("previous_version").annotate(n=Count("sections"))
            .order_by("-created_at", "-pk")[offset:offset + limit])
    return {"count": qs.count(), "scripts": [script_out(s, s.n) for s in page]}


@router.get("/{script_id}", response={200: ScriptDetail, 404: ErrorBody}, summary="Get a script with its sections")
def get_script(request: HttpRequest, script_id: str):
    script = (Script.objects.for_org(request.auth).select_related("previous_version")
              .filter(public_id=script_id).first())
    if script is None:
        raise ApiError(404, "script_not_found", "No script with this id in your organisation.")
    return script_detail(script)
