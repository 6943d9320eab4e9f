"""Settings: SQLite by default, PostgreSQL from DATABASE_URL, deploy checks clean."""
import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, env=None, timeout=180):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DJANGO_SETTINGS"))}
    base.pop("TESTING", None)
    base.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


def test_sqlite_default_migrates(tmp_path):
    db = tmp_path / "default.sqlite3"
    result = _manage("migrate", "--noinput", env={"DATABASE_URL": f"sqlite:///{db}"})
    assert result.returncode == 0, result.stderr
    assert db.stat().st_size > 0


def test_sqlite_is_the_default_when_nothing_is_configured():
    result = _manage("shell", "-c", "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("sqlite3")


def test_tests_run_on_postgresql_from_database_url(db):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations")
        assert cursor.fetchone()[0] > 10


def test_check_deploy_is_clean_with_production_env():
    env = {
        "DEBUG": "0", "SECRET_KEY": "x" * 20 + "-production-secret-key-0123456789-abcdefghijklmnop",
        "ALLOWED_HOSTS": "voices.example.com", "DATABASE_URL": "sqlite:////tmp/deploy-check.sqlite3",
    }
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
