"""Celery beat schedule: periodic jobs (reminders, retention, purge)."""

SCHEDULE: dict = {
    "heartbeat": {"task": "tasks.health.heartbeat", "schedule": 300.0},
}
