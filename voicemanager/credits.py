"""Credit ledger rules (issue 9). The cloning flow calls these hooks."""
from __future__ import annotations


def on_voice_succeeded(voice) -> None:
    """Charge for an instant voice once when it succeeds (implemented with the credits work)."""
    return None
