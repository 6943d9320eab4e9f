"""Absolute links for emails, callbacks and command output: SITE_URL plus the named URL."""
from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def site_url(name: str, *args, query: str = "") -> str:
    """``site_url("task_detail", task.public_id)`` → ``https://vm.example.com/vm/tasks/tsk_…/``."""
    url = settings.SITE_URL.rstrip("/") + reverse(name, args=args)
    return f"{url}?{query}" if query else url
