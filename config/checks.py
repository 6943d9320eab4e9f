"""System checks that refuse to run a deployment with a public secret.

The repository's defaults (``DEV_SECRET_KEY``, ``DEV_CLONING_WEBHOOK_SECRET`` in settings) are
published, so anyone could sign a package-download link or a provider callback with them. With
DEBUG off they are errors, not warnings: ``runserver``, ``migrate`` and ``check`` stop, and the
docker-compose services run ``migrate`` or ``check`` before they start. A debug or test run keeps
working with the defaults; the run command writes a generated key into ``.env`` anyway.
"""
from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register


def _is_public(value: str, default: str) -> bool:
    value = (value or "").strip()
    return not value or value == default or value.startswith("django-insecure-")


@register(Tags.security)
def public_secrets(app_configs=None, **kwargs) -> list[Error]:
    if settings.DEBUG or getattr(settings, "TESTING", False):
        return []
    errors = []
    if _is_public(settings.SECRET_KEY, settings.DEV_SECRET_KEY):
        errors.append(Error(
            "SECRET_KEY is empty or the repository's public default, and DEBUG is off: anyone could forge "
            "signed links (package downloads, reports, consent pages).",
            hint="Set SECRET_KEY to a long random value, e.g. "
                 "python -c 'import secrets; print(secrets.token_urlsafe(50))'.",
            id="config.E001",
        ))
    if settings.CLONING_PROVIDER == "webhook" and _is_public(settings.CLONING_WEBHOOK_SECRET,
                                                             settings.DEV_CLONING_WEBHOOK_SECRET):
        errors.append(Error(
            "CLONING_WEBHOOK_SECRET is empty or the repository's public default while CLONING_PROVIDER=webhook: "
            "anyone could sign a provider callback and finish or fail a voice.",
            hint="Set CLONING_WEBHOOK_SECRET to the secret shared with the cloning provider.",
            id="config.E002",
        ))
    return errors
