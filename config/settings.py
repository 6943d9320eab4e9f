"""One env-driven settings module.

With nothing configured it runs on a laptop: SQLite file, local ``media/``,
console email, Redis on 127.0.0.1:6379. Production values come from the
environment (see README "Configuration").
"""
import hashlib
import sys
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=False)
# Under pytest, TESTING defaults on even when the test command's env is not set.
TESTING = env.bool("TESTING", default="pytest" in sys.modules)
# Public defaults: fine for DEBUG and tests, refused with DEBUG off (config/checks.py).
DEV_SECRET_KEY = "dev-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
DEV_CLONING_WEBHOOK_SECRET = "dev-webhook-secret"
SECRET_KEY = env("SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "ninja",
    "axes",
    "config",  # system checks (config/checks.py)
    "voicemanager",
    "booth",
]

MIDDLEWARE = [
    "config.middleware.RequestBodyLimitMiddleware",  # 413 from Content-Length before anything reads the body
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "voicemanager.context.navigation",
            ],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # BEGIN IMMEDIATE takes the write lock when a transaction starts, so a second writer waits on the
    # busy timeout instead of failing at once with "database is locked" when its read lock cannot be
    # upgraded (two tabs submitting one section: e2e/test_sqlite_concurrency.py).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE", timeout=env.int("SQLITE_BUSY_TIMEOUT", default=20))
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "voicemanager.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: 5 failures per (username, IP) lock for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The login form posts "username" (axes would default to USERNAME_FIELD, "email", see None and never lock).
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False
# Proxies in front of the app that append to X-Forwarded-For (0: none, use REMOTE_ADDR); config/client_ip.py.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static and media
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
UPLOAD_TEMP_DIR = Path(env("UPLOAD_TEMP_DIR", default=str(MEDIA_ROOT / "uploads-tmp")))
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=1536 * 1024 * 1024)  # 1.5 GB per file
TAKE_MAX_BYTES = env.int("TAKE_MAX_BYTES", default=64 * 1024 * 1024)
TAKE_MIN_SECONDS = env.float("TAKE_MIN_SECONDS", default=0.5)
TAKE_MAX_SECONDS = env.float("TAKE_MAX_SECONDS", default=60.0)
TAKE_MIN_SAMPLE_RATE = env.int("TAKE_MIN_SAMPLE_RATE", default=24000)
# Speaker-verification model (ONNX GE2E encoder, tasks/audio/speaker.py); the default is the committed conversion
SPEAKER_MODEL = Path(env("SPEAKER_MODEL", default=str(BASE_DIR / "tasks" / "audio" / "models" / "speaker_encoder.onnx")))
# Script adherence recogniser: "packaged" (Whisper base from the pinned PyPI packages), a folder
# with a CTranslate2 Whisper model, or a faster-whisper model name ("small", "large-v3") that a
# machine with internet downloads once. ADHERENCE_DEVICE=cuda runs it on a GPU worker.
ADHERENCE_MODEL = env("ADHERENCE_MODEL", default="packaged")
ADHERENCE_DEVICE = env("ADHERENCE_DEVICE", default="cpu")
CONSENT_STATEMENT_CHECK = env.bool("CONSENT_STATEMENT_CHECK", default=True)  # refuse a statement that does not say its text
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

WHITENOISE_USE_FINDERS = DEBUG or TESTING  # serve straight from static/ without collectstatic
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

S3_BUCKET = env("S3_BUCKET", default="")
_static_backend = (
    "django.contrib.staticfiles.storage.StaticFilesStorage"
    if DEBUG or TESTING
    else "whitenoise.storage.CompressedManifestStaticFilesStorage"
)
if S3_BUCKET:
    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": S3_BUCKET,
                "endpoint_url": env("S3_ENDPOINT_URL", default=None),
                "access_key": env("S3_ACCESS_KEY_ID", default=None),
                "secret_key": env("S3_SECRET_ACCESS_KEY", default=None),
                "region_name": env("S3_REGION", default="us-east-1"),
                "default_acl": None,
                "file_overwrite": False,
                "querystring_expire": 3600,
                "addressing_style": "path",
                "signature_version": "s3v4",
            },
        },
        "staticfiles": {"BACKEND": _static_backend},
    }
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": _static_backend},
    }

# Email: console by default; EMAIL_URL=smtp://user:pass@host:port in production.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Voice Manager <no-reply@voicemanager.local>")
EMAIL_TIMEOUT = 10
EMAIL_RETRY_AFTER_S = env.float("EMAIL_RETRY_AFTER_S", default=30)  # first wait before a worker retries a failed email

# Redis and Celery
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_ACKS_LATE = True  # a job is acknowledged only when it finished
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a killed worker's job goes back to the queue
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=55 * 60)
# Two installs that share one Redis database must not take each other's jobs: every broker and result
# key starts with this install's prefix (Celery's global_keyprefix). The default comes from the project
# directory, so the web, worker and beat of one checkout agree and a second checkout has its own queues.
CELERY_KEY_PREFIX = env("CELERY_KEY_PREFIX", default=f"{BASE_DIR.name}-{hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:8]}:")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacknowledged job is redelivered after this long; longer than the time limit.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60),
    "global_keyprefix": CELERY_KEY_PREFIX,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": CELERY_KEY_PREFIX}
CELERY_RESULT_EXPIRES = 24 * 60 * 60
# The script check (Whisper, ~1 s of CPU a take) has a queue and a worker of its own (Procfile,
# docker-compose: celery worker -Q adherence), so a backlog there never delays the level checks or denoising.
CELERY_TASK_ROUTES = {"tasks.adherence.*": {"queue": "adherence"}}
# A running job stamps its outbox message this often; silent this long, it is sent again (core/outbox.py).
OUTBOX_HEARTBEAT_S = env.float("OUTBOX_HEARTBEAT_S", default=15.0)
OUTBOX_DEAD_AFTER_S = env.float("OUTBOX_DEAD_AFTER_S", default=90.0)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

INVITATION_MAX_AGE_DAYS = env.int("INVITATION_MAX_AGE_DAYS", default=7)
CLONING_PROVIDER = env("CLONING_PROVIDER", default="operator")  # operator | webhook
CLONING_WEBHOOK_URL = env("CLONING_WEBHOOK_URL", default="")
CLONING_WEBHOOK_SECRET = env("CLONING_WEBHOOK_SECRET", default=DEV_CLONING_WEBHOOK_SECRET)
DELETION_BACKUP_KEY = env("DELETION_BACKUP_KEY", default="")  # Fernet key; derived from SECRET_KEY when empty
DELETION_BACKUP_DAYS = 30
DELETION_LEASE_SECONDS = env.int("DELETION_LEASE_SECONDS", default=300)  # a dead worker's step is taken over after this
DELETION_TEST_PAUSE_SECONDS = env.float("DELETION_TEST_PAUSE_SECONDS", default=0.0) if TESTING else 0.0  # tests only
INSTANT_VOICE_CREDITS = 300

# Security: production values when DEBUG is off.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx and the recorder read it for the X-CSRFToken header
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
_secure = env.bool("SECURE", default=not DEBUG and not TESTING)
SESSION_COOKIE_SECURE = _secure
CSRF_COOKIE_SECURE = _secure
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_secure)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _secure else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _secure
SECURE_HSTS_PRELOAD = _secure
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:", "data:", "https:"] if S3_BUCKET else ["'self'", "blob:", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
