"""API: scripts."""
from ninja import Router

router = Router(tags=["scripts"])
