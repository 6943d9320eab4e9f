"""Cloning providers, chosen by ``settings.CLONING_PROVIDER``: ``operator`` (default) or ``webhook``.

A provider module has ``forward(voice, package) -> str`` (the provider's reference). It
raises ``TransientForwardError`` for a failure worth retrying (network, 5xx) and
``PermanentForwardError`` for one that is not (misconfiguration, 4xx).
"""
from __future__ import annotations

from importlib import import_module

PROVIDERS = ("operator", "webhook")


class TransientForwardError(Exception):
    pass


class PermanentForwardError(Exception):
    pass


def get_provider(name: str):
    if name not in PROVIDERS:
        raise PermanentForwardError(f"Unknown cloning provider {name!r}; use one of {', '.join(PROVIDERS)}.")
    return import_module(f"voicemanager.cloning.providers.{name}")
