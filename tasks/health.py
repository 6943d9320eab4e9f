"""Tiny jobs used by /healthz and the beat heartbeat."""
from celery import shared_task


@shared_task(name="tasks.health.ping")
def ping() -> str:
    return "pong"


@shared_task(name="tasks.health.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Proves beat and a worker are alive (visible in the worker log)."""
    return None
