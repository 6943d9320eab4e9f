"""The JSON API (django-ninja) at /api/v2/, with its OpenAPI page at /api/v2/docs."""
from django.db import DataError
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from voicemanager.api import cloning, deletion, files, scripts
from voicemanager.api.auth import OrganisationKey
from voicemanager.api.errors import ApiError

api = NinjaAPI(
    title="Voice Manager API",
    version="2.0.0",
    description="Scripts, files and voice cloning. Authenticate with your organisation's key in `x-api-key`.",
    auth=OrganisationKey(),
    urls_namespace="api",
)


@api.exception_handler(ApiError)
def on_api_error(request: HttpRequest, exc: ApiError):
    return api.create_response(request, exc.body(), status=exc.status)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError):
    return api.create_response(
        request,
        {"error": {"code": "invalid_request", "message": "The request body or parameters are malformed.",
                   "details": exc.errors}},
        status=422,
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError):
    """Ninja's own 4xx (e.g. a body that is not JSON) in the API's error shape."""
    code = "invalid_request" if exc.status_code == 400 else "http_error"
    return api.create_response(request, {"error": {"code": code, "message": str(exc)}}, status=exc.status_code)


@api.exception_handler(DataError)
def on_data_error(request: HttpRequest, exc: DataError):
    """Input the database cannot hold (NUL bytes in text, numbers out of range): the request's fault.

    The statement failed, so nothing was written; the client gets a 422 it can act on.
    """
    return api.create_response(
        request,
        {"error": {"code": "invalid_request",
                   "message": "A value in the request cannot be stored (for example a NUL byte in a text field "
                              "or a number out of range)."}},
        status=422,
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(
        request, {"error": {"code": "unauthorized", "message": "A valid x-api-key header is required."}}, status=401
    )


api.add_router("/scripts", scripts.router)
api.add_router("/files", files.router)
api.add_router("/speech", cloning.router)
api.add_router("/deletion-requests", deletion.router)
