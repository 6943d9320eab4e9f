"""API: files."""
from ninja import Router

router = Router(tags=["files"])
