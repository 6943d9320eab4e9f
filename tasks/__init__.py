"""Celery worker code. Keep this file free of Django imports: ``tasks.audio`` is pure."""
