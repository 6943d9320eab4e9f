"""Shared fixtures: media in a temp dir, the cast of users, and real services.

Services are real (PostgreSQL, Redis, SMTP sink, SeaweedFS S3, Celery, Chromium);
see e2e/services.py.
"""
from __future__ import annotations

import os

os.environ.setdefault("TESTING", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402

from e2e import services  # noqa: E402

SMTP_PORT = int(os.environ.get("TEST_SMTP_PORT") or services.free_port())
S3_PORT = int(os.environ.get("TEST_S3_PORT", "8333"))


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    """Every test writes files into its own temp folder, never the repo's media/."""
    media = tmp_path_factory.mktemp("media")
    settings.MEDIA_ROOT = media
    settings.UPLOAD_TEMP_DIR = media / "uploads-tmp"
    settings.AXES_ENABLED = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    yield media


# --- the cast ----------------------------------------------------------------------------------


@pytest.fixture
def cast(db):
    """Org X and Y with an admin each, a member of X, contractors A and B (tasks in X), an outsider, staff."""
    from voicemanager.tests.factories import make_cast

    return make_cast()


# --- services ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def smtp_sink():
    sink = services.SmtpSink(port=SMTP_PORT).start()
    yield sink
    sink.stop()


@pytest.fixture
def mail(smtp_sink, settings):
    """Send real email over SMTP to the local sink; returns the sink (cleared)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = SMTP_PORT
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    smtp_sink.clear()
    return smtp_sink


@pytest.fixture(scope="session")
def s3_server():
    server = services.S3Server(port=S3_PORT).start()
    yield server
    server.stop()


@pytest.fixture
def s3_storage(s3_server, settings):
    """Point default storage at a fresh bucket on the real S3 server."""
    import uuid

    bucket = s3_server.create_bucket(f"test-{uuid.uuid4().hex[:12]}")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket, "endpoint_url": s3_server.endpoint, "access_key": "test",
                "secret_key": "test", "region_name": "us-east-1", "addressing_style": "path",
                "signature_version": "s3v4", "file_overwrite": False, "default_acl": None,
            },
        },
    }
    from django.core.files.storage import storages

    storages._storages.pop("default", None)
    yield bucket
    storages._storages.pop("default", None)
    s3_server.drop_bucket(bucket)


@pytest.fixture
def celery_worker(transactional_db, settings):
    """A real Celery worker (threaded, same process) consuming from the real Redis broker."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.control.purge()
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=30,
                      queues=["celery", "adherence"]) as worker:  # one test worker takes both queues
        yield worker


@pytest.fixture
def worker_env(transactional_db, settings):
    """Environment for a worker subprocess that sees the test database and media folder."""
    from django.db import connection

    env = dict(os.environ)
    db = connection.settings_dict
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    env["UPLOAD_TEMP_DIR"] = str(settings.UPLOAD_TEMP_DIR)
    return env


@pytest.fixture
def worker_process(worker_env):
    """Start real ``celery worker`` processes; all are stopped at the end."""
    from config.celery import app

    app.control.purge()
    started: list[services.WorkerProcess] = []

    def start(name: str = "w1", concurrency: int = 1, queues: str = "", **extra_env) -> services.WorkerProcess:
        worker = services.WorkerProcess(env={**worker_env, **extra_env}, name=name, concurrency=concurrency,
                                        queues=queues).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture
def launch_browser(playwright_instance):
    """Launch Debian's Chromium (optionally with a fake microphone); closed after the test."""
    browsers = []

    def launch(fake_mic_wav=None, **kwargs):
        args = list(services.CHROMIUM_ARGS)
        if fake_mic_wav:
            args += services.fake_microphone_args(fake_mic_wav)
        browser = playwright_instance.chromium.launch(executable_path=services.CHROMIUM, args=args, headless=True,
                                                      **kwargs)
        browsers.append(browser)
        return browser

    yield launch
    for browser in browsers:
        browser.close()
