"""Celery beat schedule: periodic jobs (reminders, retention, purge)."""

SCHEDULE: dict = {
    "heartbeat": {"task": "tasks.health.heartbeat", "schedule": 300.0},
    "deletion-backup-purge": {"task": "tasks.deletion.purge_deletion_backups", "schedule": 24 * 60 * 60.0},  # 30-day window
    "reminders": {"task": "tasks.reminders.send_reminders", "schedule": 15 * 60.0},  # due-soon and overdue emails
    "file-jobs-sweep": {"task": "tasks.files.sweep_file_jobs", "schedule": 10 * 60.0},  # re-queue lost file jobs
    "outbox-flush": {"task": "voicemanager.core.outbox.flush_outbox", "schedule": 60.0},  # jobs the broker missed
}
