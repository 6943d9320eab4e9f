"""Celery beat schedule: periodic jobs (reminders, retention, purge, the sweeps that redo lost work).

Every job a request or a worker starts goes through the outbox (voicemanager/core/outbox.py), so
``outbox-flush`` is the sweep for every job kind: it sends what the broker never took and re-sends
what is still not done after OUTBOX_RESEND_AFTER_S (jobs claim their rows, so a repeat is harmless).
``file-jobs-sweep`` also finds file rows left pending or running without any message.
"""

SCHEDULE: dict = {
    "heartbeat": {"task": "tasks.health.heartbeat", "schedule": 300.0},
    "deletion-backup-purge": {"task": "tasks.deletion.purge_deletion_backups", "schedule": 24 * 60 * 60.0},  # 30-day window
    "reminders": {"task": "tasks.reminders.send_reminders", "schedule": 15 * 60.0},  # due-soon and overdue emails
    "file-jobs-sweep": {"task": "tasks.files.sweep_file_jobs", "schedule": 10 * 60.0},  # file rows without a message
    "outbox-flush": {"task": "voicemanager.core.outbox.flush_outbox", "schedule": 60.0},  # every job kind: unsent or lost
    "deletion-mail-resend": {"task": "tasks.deletion.resend_unsent_confirmations", "schedule": 5 * 60.0},  # links the mail server refused
    "tus-purge": {"task": "tasks.uploads.purge_stale_uploads", "schedule": 6 * 60 * 60.0},  # unfinished uploads > 3 days
}
