"""The webhook provider: POST the manifest and an expiring download URL to ``CLONING_WEBHOOK_URL``.

The body is JSON; ``X-Signature: sha256=<hex>`` is the HMAC-SHA256 of the raw body with
``CLONING_WEBHOOK_SECRET``; ``Idempotency-Key`` is the voice id, so a receiver can drop a
repeat (after a worker died between a successful POST and recording it). Status
callbacks come back to ``POST /api/v2/speech/voice-cloning/callback``, signed the same way.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

from voicemanager.cloning.providers import PermanentForwardError, TransientForwardError
from voicemanager.core.links import site_url

DOWNLOAD_SALT = "voicemanager.package-download"
TIMEOUT_S = 15


def secret() -> bytes:
    return str(getattr(settings, "CLONING_WEBHOOK_SECRET", "")).encode()


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(secret(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None) -> bool:
    """True when ``header`` is the valid ``sha256=<hex>`` signature of ``body``."""
    if not header or not secret():
        return False
    return hmac.compare_digest(sign(body), header.strip())


def download_ttl() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "CLONING_DOWNLOAD_TTL_S", 7 * 24 * 3600)))


def download_url(package) -> str:
    """A presigned URL on S3; otherwise our signed, expiring package endpoint."""
    storage = package.file.storage
    ttl = download_ttl()
    if hasattr(storage, "bucket_name"):
        return storage.url(package.file.name, expire=int(ttl.total_seconds()))
    token = signing.dumps(package.voice.public_id, salt=DOWNLOAD_SALT)
    return site_url("api:voice_package_download", package.voice.public_id, query=f"token={token}")


def check_download_token(voice_id: str, token: str) -> bool:
    try:
        value = signing.loads(token, salt=DOWNLOAD_SALT, max_age=download_ttl())
    except signing.BadSignature:
        return False
    return value == voice_id


def payload(voice, package) -> dict:
    return {
        "event": "voice.package_ready",
        "voiceId": voice.public_id,
        "alias": voice.alias,
        "engine": voice.engine,
        "type": voice.type,
        "language": voice.language,
        "package": {
            "url": download_url(package),
            "expiresAt": (timezone.now() + download_ttl()).isoformat(),
            "size": package.size,
            "sha256": package.sha256,
        },
        "manifest": package.manifest,
        "callbackUrl": site_url("api:voice_cloning_callback"),
    }


def forward(voice, package) -> str:
    url = getattr(settings, "CLONING_WEBHOOK_URL", "")
    if not url:
        raise PermanentForwardError("CLONING_WEBHOOK_URL is not set.")
    if not url.startswith(("https://", "http://")):
        raise PermanentForwardError("CLONING_WEBHOOK_URL must be an http(s) URL.")
    body = json.dumps(payload(voice, package), separators=(",", ":"), sort_keys=True).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310 - scheme checked
        "Content-Type": "application/json",
        "X-Signature": sign(body),
        "Idempotency-Key": voice.public_id,
        "User-Agent": "voicemanager-webhook/1",
    })
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - configured URL
            answer = response.read(4096)
    except urllib.error.HTTPError as exc:
        if exc.code in (408, 425, 429) or exc.code >= 500:
            raise TransientForwardError(f"The provider answered HTTP {exc.code}.") from exc
        raise PermanentForwardError(f"The provider refused the request: HTTP {exc.code}.") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        raise TransientForwardError(f"Could not reach the provider: {exc}.") from exc
    try:
        ref = json.loads(answer or b"{}").get("reference") or ""
    except (ValueError, AttributeError):
        ref = ""
    return str(ref)[:200] or f"webhook:{voice.public_id}"
