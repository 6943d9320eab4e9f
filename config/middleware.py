"""Refuse an oversized request body from its Content-Length, before anything reads it.

Django's CSRF check reads ``request.POST`` of every POST, which spools a multipart body to a
temp file, so without this an anonymous client could make the server write hundreds of
megabytes before its 403. This middleware comes first: a body over ``REQUEST_BODY_MAX_BYTES``
(``DATA_UPLOAD_MAX_MEMORY_SIZE``, 10 MB, by default) is answered 413 without being read, as JSON
``{"error": {"code": "too_large", ...}}`` under ``/api/`` and for the booth's JSON endpoints, a
short HTML page elsewhere. The upload endpoints allow more (``LARGE_BODY_VIEWS``); the booth's
multipart ones additionally need a signed-in session before a body over the default limit is
read, and answer 401 ``login_required`` like the view would (the browser keeps the take). A body
without Content-Length (chunked) is not read by Django at all, so it needs no limit here.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.html import escape

MULTIPART_SLACK = 1024 * 1024  # form fields and part headers around the file


@dataclass(frozen=True)
class LargeBody:
    limit: Callable[[], int]
    json: bool = True
    needs_session: bool = False  # multipart parsed by the CSRF check before the view's own login check


def _upload_max() -> int:
    return int(settings.UPLOAD_MAX_BYTES)


def _take_max() -> int:
    return int(settings.TAKE_MAX_BYTES) + MULTIPART_SLACK


LARGE_BODY_VIEWS: dict[str, LargeBody] = {
    "tus_upload": LargeBody(_upload_max, json=False),  # PATCH bytes, streamed by the view after its login check
    "api:upload_file": LargeBody(lambda: _upload_max() + MULTIPART_SLACK),  # API key checked before parsing
    "booth:upload_take": LargeBody(_take_max, needs_session=True),
    "booth:upload_room_tone": LargeBody(_take_max, needs_session=True),
    "booth:upload_consent": LargeBody(_take_max, needs_session=True),
}


def default_limit() -> int:
    return int(getattr(settings, "REQUEST_BODY_MAX_BYTES", settings.DATA_UPLOAD_MAX_MEMORY_SIZE))


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.0f} MB"


def _too_large(request: HttpRequest, length: int, limit: int, json: bool) -> HttpResponse:
    message = f"The request body is {_megabytes(length)}; this address accepts at most {_megabytes(limit)}."
    if json or request.path_info.startswith("/api/"):
        return JsonResponse({"error": {"code": "too_large", "message": message, "limit": limit}}, status=413)
    page = (f"<!doctype html><title>Request too large</title><h1>Request too large</h1>"
            f"<p>{escape(message)}</p>")
    return HttpResponse(page, status=413, content_type="text/html; charset=utf-8")


def _signed_in(request: HttpRequest) -> bool:
    """Whether the session cookie names a live session with a user (one query, large bodies only)."""
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    return "_auth_user_id" in store.load()


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self._refusal(request)
        if response is None:
            return self.get_response(request)
        response["Content-Length"] = str(len(response.content))  # outermost: CommonMiddleware never sees it
        return response

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        if not raw.strip().isdigit():
            return HttpResponse("Content-Length must be a non-negative integer.", status=400,
                                content_type="text/plain; charset=utf-8")
        length = int(raw)
        limit = default_limit()
        if length <= limit:
            return None
        try:
            rule = LARGE_BODY_VIEWS.get(resolve(request.path_info).view_name)
        except Resolver404:
            rule = None
        if rule is None:
            return _too_large(request, length, limit, json=False)
        if length > rule.limit():
            return _too_large(request, length, rule.limit(), json=rule.json)
        if rule.needs_session and request.content_type == "multipart/form-data" and not _signed_in(request):
            return JsonResponse({"error": {"code": "login_required",
                                           "message": "Your session has expired. Sign in again to upload."}},
                                status=401)
        return None
