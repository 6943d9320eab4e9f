"""Celery beat schedule: periodic jobs (reminders, retention, purge)."""

SCHEDULE: dict = {
    "heartbeat": {"task": "tasks.health.heartbeat", "schedule": 300.0},
    "reminders": {"task": "tasks.reminders.send_reminders", "schedule": 15 * 60.0},  # due-soon and overdue emails
}
