"""API: deletion."""
from ninja import Router

router = Router(tags=["deletion"])
