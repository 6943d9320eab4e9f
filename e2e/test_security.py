"""Login throttling (django-axes), security headers (django-csp, HSTS) and cookies under production settings.

``manage.py check --deploy --fail-level WARNING`` is asserted in voicemanager/tests/test_settings.py;
bandit and pip-audit run in the test command (config/scripts/test.sh).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def axes_on(settings):
    """The autouse media fixture switches axes off for every test; this test is about axes."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.implementation = None  # pick up the setting
    yield
    AxesProxyHandler.implementation = None


def _login(client, email: str, password: str):
    return client.post("/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR="10.1.2.3")


def test_sixth_failed_login_is_locked_out_even_with_the_right_password(axes_on, cast, client):
    for attempt in range(4):
        resp = _login(client, cast.admin_x.email, f"wrong-{attempt}")
        assert resp.status_code == 200, f"attempt {attempt + 1}: a wrong password re-shows the form"
        assert "_auth_user_id" not in client.session
    fifth = _login(client, cast.admin_x.email, "wrong-5")
    assert fifth.status_code in (200, 429), "the 5th failure is refused (axes answers it with the lockout page)"
    resp = _login(client, cast.admin_x.email, "pass-word-123")
    assert resp.status_code in (403, 429), f"the 6th attempt must be locked out, got {resp.status_code}"
    assert "_auth_user_id" not in client.session, "a locked-out user must not be logged in"
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.filter(username=cast.admin_x.email).exists()


def test_lockout_is_per_username_and_ip(axes_on, cast, client):
    """Another user from the same address, or the same user from elsewhere, is not locked by someone's failures."""
    for attempt in range(6):
        _login(client, cast.admin_x.email, f"wrong-{attempt}")
    other = client.post("/accounts/login/", {"username": cast.admin_y.email, "password": "pass-word-123"},
                        REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302, "admin Y from the same address is not locked"
    client.logout()
    elsewhere = client.post("/accounts/login/", {"username": cast.admin_x.email, "password": "pass-word-123"},
                            REMOTE_ADDR="10.9.9.9")
    assert elsewhere.status_code == 302


def test_pages_send_csp_and_hardening_headers(cast, client):
    client.force_login(cast.admin_x)
    resp = client.get("/vm/")
    assert resp.status_code == 200
    csp = resp["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in (p.strip() for p in csp.split(";")) if d}
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert resp["X-Frame-Options"] == "DENY"
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert resp["Referrer-Policy"] == "same-origin"


def test_login_page_sends_csp_to_anonymous_users(client):
    resp = client.get("/accounts/login/")
    assert resp.status_code == 200
    assert "default-src 'self'" in resp["Content-Security-Policy"]


PROD_PROBE = r"""
import json, django
# The only change to the production settings: static files without a collectstatic manifest (not under test).
import config.settings as s
s.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
django.setup()
from django.conf import settings
from django.test import Client
c = Client()
plain = c.get("/accounts/login/")
secure = c.get("/accounts/login/", secure=True)
cookies = {k: {"secure": bool(v["secure"]), "httponly": bool(v["httponly"]), "samesite": v["samesite"]}
           for k, v in secure.cookies.items()}
print(json.dumps({
    "plain_status": plain.status_code, "plain_location": plain.get("Location", ""),
    "secure_status": secure.status_code, "hsts": secure.get("Strict-Transport-Security", ""),
    "csp": secure.get("Content-Security-Policy", ""), "cookies": cookies,
    "session_secure": settings.SESSION_COOKIE_SECURE, "session_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "csrf_secure": settings.CSRF_COOKIE_SECURE, "debug": settings.DEBUG,
}))
"""


def test_production_settings_force_https_hsts_and_secure_cookies(tmp_path):
    """A subprocess with the production environment (DEBUG off, not testing) and no overrides from pytest."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_", "SECURE", "DEBUG"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", TESTING="0",
               SECRET_KEY="prod-like-" + "k" * 60, ALLOWED_HOSTS="testserver,voice.example.com",
               DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}", MEDIA_ROOT=str(tmp_path / "media"))
    out = subprocess.run([sys.executable, "-c", PROD_PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["debug"] is False
    assert got["plain_status"] == 301 and got["plain_location"].startswith("https://"), "http is sent to https"
    assert got["secure_status"] == 200
    assert "max-age=31536000" in got["hsts"] and "includeSubDomains" in got["hsts"]
    assert "default-src 'self'" in got["csp"]
    assert got["session_secure"] and got["session_httponly"] and got["csrf_secure"]
    assert got["cookies"]["csrftoken"]["secure"], got["cookies"]


# --- refusing public secrets (config/checks.py) -------------------------------------------------

REAL_KEY = "k3y-" + "".join(chr(97 + (i * 7) % 26) for i in range(60))


def _deploy_check(tmp_path, **overrides):
    """``manage.py check --deploy`` as a deployment runs it: DEBUG off, not testing, nothing from pytest."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST", "DJANGO_", "SECURE", "DEBUG", "TESTING", "SECRET_KEY", "CLONING_",
                                "DATABASE_URL"))}
    env.update(DEBUG="0", ALLOWED_HOSTS="voices.example.com", DATABASE_URL=f"sqlite:///{tmp_path / 'd.sqlite3'}")
    env.update(overrides)
    for name in [k for k, v in env.items() if v is None]:
        del env[name]
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def test_deploy_check_refuses_the_default_secret_key(tmp_path):
    unset = _deploy_check(tmp_path)
    assert unset.returncode != 0 and "config.E001" in unset.stderr, unset.stderr[-1500:]
    from django.conf import settings

    default = _deploy_check(tmp_path, SECRET_KEY=settings.DEV_SECRET_KEY)
    assert default.returncode != 0 and "config.E001" in default.stderr
    empty = _deploy_check(tmp_path, SECRET_KEY="")  # Django itself refuses an empty key
    assert empty.returncode != 0 and ("config.E001" in empty.stderr or "must not be empty" in empty.stderr)
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, capture_output=True,
                             text=True, timeout=120, env={**{k: v for k, v in os.environ.items()
                                                             if k not in ("SECRET_KEY", "TESTING", "DEBUG")},
                                                          "DEBUG": "0", "TESTING": "0",
                                                          "DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}"})
    assert migrate.returncode != 0 and "config.E001" in migrate.stderr, "migrate (compose's web start) refuses too"
    if (tmp_path / "m.sqlite3").exists():  # opened, perhaps, but nothing migrated
        import sqlite3

        with sqlite3.connect(tmp_path / "m.sqlite3") as db:
            assert not db.execute("select name from sqlite_master where name = 'django_migrations'").fetchall()


def test_deploy_check_refuses_the_default_webhook_secret_for_the_webhook_provider(tmp_path):
    for secret in (None, "", "dev-webhook-secret"):
        result = _deploy_check(tmp_path, SECRET_KEY=REAL_KEY, CLONING_PROVIDER="webhook",
                               CLONING_WEBHOOK_URL="https://provider.example.com/clone", CLONING_WEBHOOK_SECRET=secret)
        assert result.returncode != 0 and "config.E002" in result.stderr, (secret, result.stderr[-1500:])
    operator = _deploy_check(tmp_path, SECRET_KEY=REAL_KEY, CLONING_PROVIDER="operator")
    assert operator.returncode == 0, "the operator provider needs no webhook secret: " + operator.stderr[-1500:]


def test_deploy_check_passes_with_real_secrets(tmp_path):
    result = _deploy_check(tmp_path, SECRET_KEY=REAL_KEY, CLONING_PROVIDER="webhook",
                           CLONING_WEBHOOK_URL="https://provider.example.com/clone",
                           CLONING_WEBHOOK_SECRET="whsec-" + REAL_KEY[::-1])
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_run_keeps_working_with_the_defaults(tmp_path):
    result = _deploy_check(tmp_path, DEBUG="1")
    assert "config.E001" not in result.stderr, result.stderr[-1500:]


def _compose(*args, **env_overrides):
    import compose

    binary = Path(compose.__file__).parent / "docker-compose"
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SECURE", "DEBUG")}
    env.update(env_overrides)
    return subprocess.run([str(binary), "-f", str(ROOT / "docker-compose.yml"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_compose_refuses_no_secret_key_and_defaults_to_secure():
    missing = _compose("config", "-q")
    assert missing.returncode != 0 and "SECRET_KEY" in missing.stderr
    rendered = _compose("config", "--format", "json", SECRET_KEY=REAL_KEY)
    assert rendered.returncode == 0, rendered.stderr
    services = json.loads(rendered.stdout)["services"]
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DEBUG"] == "0" and environment["SECURE"] == "1", (name, environment)
        assert environment["SITE_URL"].startswith("https://")
    for name in ("worker", "beat"):  # celery does not run system checks itself
        assert "manage.py check &&" in " ".join(services[name]["command"]), services[name]["command"]
    assert "manage.py migrate" in " ".join(services["web"]["command"])


# --- proxy-aware lockout (config/client_ip.py) ---------------------------------------------------

PROXY = "10.0.0.1"


def _login_via_proxy(client, email: str, password: str, forwarded_for: str):
    return client.post("/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=PROXY,
                       HTTP_X_FORWARDED_FOR=forwarded_for)


def test_behind_a_trusted_proxy_the_lockout_keys_on_the_forwarded_client(axes_on, settings, cast, client):
    settings.TRUSTED_PROXY_COUNT = 1
    for attempt in range(6):  # the attacker also makes up addresses on the left: the proxy appends the real one
        _login_via_proxy(client, cast.admin_x.email, f"wrong-{attempt}", f"198.51.100.{attempt}, 203.0.113.5")
    locked = _login_via_proxy(client, cast.admin_x.email, "pass-word-123", "203.0.113.5")
    assert locked.status_code in (403, 429) and "_auth_user_id" not in client.session
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.filter(username=cast.admin_x.email, ip_address="203.0.113.5").exists()
    real_user = _login_via_proxy(client, cast.admin_x.email, "pass-word-123", "203.0.113.77")
    assert real_user.status_code == 302, "another client behind the same proxy is not locked out"


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(axes_on, settings, cast, client):
    settings.TRUSTED_PROXY_COUNT = 0
    for attempt in range(6):
        _login_via_proxy(client, cast.admin_x.email, f"wrong-{attempt}", f"203.0.113.{attempt}")
    fresh_header = _login_via_proxy(client, cast.admin_x.email, "pass-word-123", "203.0.113.200")
    assert fresh_header.status_code in (403, 429), "a made-up X-Forwarded-For does not escape the lockout"
    from axes.models import AccessAttempt

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}


def test_a_malformed_or_short_forwarded_header_falls_back_to_the_peer(rf, settings):
    from config.client_ip import client_ip

    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5, 10.0.0.2")) == "203.0.113.5"
    assert client_ip(rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="10.0.0.2")) == PROXY
    assert client_ip(rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="<script>, 10.0.0.2")) == PROXY
