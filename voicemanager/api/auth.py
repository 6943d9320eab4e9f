"""API authentication: the organisation's key in the ``x-api-key`` header."""
from __future__ import annotations

from django.http import HttpRequest
from ninja.security import APIKeyHeader

from voicemanager.models import ApiKey


class OrganisationKey(APIKeyHeader):
    param_name = "x-api-key"

    def authenticate(self, request: HttpRequest, key: str | None):
        api_key = ApiKey.authenticate(key)
        if api_key is None:
            return None
        request.organisation = api_key.organisation
        request.api_key = api_key
        return api_key.organisation
