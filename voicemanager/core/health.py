"""GET /healthz: database, Redis, storage and a Celery worker, each checked for real."""
from __future__ import annotations

import time

import redis
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_redis() -> str:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    client.ping()
    return "ok"


def _check_storage() -> str:
    name = default_storage.save(f"healthz/probe-{time.time_ns()}.txt", ContentFile(b"ok"))
    try:
        with default_storage.open(name) as fh:
            if fh.read() != b"ok":
                raise RuntimeError("read back different bytes")
    finally:
        default_storage.delete(name)
    return "ok"


def _check_worker() -> str:
    from config.celery import app

    replies = app.control.ping(timeout=1.0)
    if not replies:
        raise RuntimeError("no Celery worker answered")
    return f"ok ({len(replies)} worker{'s' if len(replies) != 1 else ''})"


CHECKS = {"database": _check_database, "redis": _check_redis, "storage": _check_storage, "worker": _check_worker}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    results: dict[str, dict] = {}
    healthy = True
    for name, check in CHECKS.items():
        try:
            results[name] = {"ok": True, "detail": check()}
        except Exception as exc:  # noqa: BLE001 - every failure is reported, none raised
            healthy = False
            results[name] = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:300]}
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": results}, status=200 if healthy else 503)
