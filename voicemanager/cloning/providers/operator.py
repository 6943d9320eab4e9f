"""The operator provider: the request lands in the staff queue at /ops/cloning/.

Nothing leaves the system: staff download the package there and move the voice through
received → training → ready (or failed with a reason). Instant voices requested through
the API go to the same queue when this provider is configured.
"""
from __future__ import annotations


def forward(voice, package) -> str:
    """Forwarding is the voice appearing in the queue (stage ``forwarded``); nothing to send."""
    return f"ops-queue:{voice.public_id}"
