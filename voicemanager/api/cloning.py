"""API: cloning."""
from ninja import Router

router = Router(tags=["cloning"])
