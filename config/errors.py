"""Error pages that keep the JSON contract of the JSON endpoints.

Django answers a malformed multipart body, too many fields or an oversized form (exceptions raised
while the CSRF check or the view reads ``request.POST``) through ``handler400`` with an HTML page.
The API and the upload endpoints the browser's take store talks to promise ``{"error": {"code",
"message"}}`` for every refusal (static/js/README.md), so they get JSON here; other pages keep
Django's page.
"""
from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, resolve
from django.views import defaults

JSON_VIEWS = {"booth:upload_take", "booth:upload_room_tone", "booth:upload_consent", "owner_consent_recording"}


def wants_json(request: HttpRequest) -> bool:
    if request.path_info.startswith("/api/"):
        return True
    try:
        return resolve(request.path_info).view_name in JSON_VIEWS
    except Resolver404:
        return False


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    if not wants_json(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse({"error": {"code": "too_large", "message": "The request body is too large."}},
                            status=413)
    if isinstance(exception, (TooManyFieldsSent, TooManyFilesSent)):
        return JsonResponse({"error": {"code": "too_many_fields", "message": "The form has too many fields."}},
                            status=400)
    if isinstance(exception, MultiPartParserError):
        return JsonResponse({"error": {"code": "bad_multipart", "message": "The upload is not a well-formed "
                                       "multipart form."}}, status=400)
    return JsonResponse({"error": {"code": "bad_request", "message": "The request is malformed."}}, status=400)
