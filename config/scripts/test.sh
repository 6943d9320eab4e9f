#!/usr/bin/env bash
# The test command: install what the tests need, start PostgreSQL and Redis when they
# are not running, lint, run pytest against PostgreSQL, stop what it started.
# pytest itself starts the SMTP sink (aiosmtpd) and the S3 server (SeaweedFS) on 127.0.0.1.
source "$(dirname "$0")/common.sh"
mkdir -p var
apt_ensure psql:postgresql pg_ctlcluster:postgresql redis-server:redis-server ffmpeg:ffmpeg ffprobe:ffmpeg \
    espeak-ng:espeak-ng sox:sox /usr/bin/chromium:chromium /usr/lib/x86_64-linux-gnu/libsndfile.so.1:libsndfile1
venv_ensure requirements-test.txt

started_pg=0
pg_ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
if ! pg_ready; then
    log "Starting PostgreSQL"
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    started_pg=1
    for _ in $(seq 1 100); do pg_ready && break; sleep 0.2; done
fi
# Trust auth on 127.0.0.1 for the postgres role is what this machine has; on a fresh
# install, local peer auth lets us create it when needed.
PGUSER="${PGUSER:-postgres}"
if ! psql -h 127.0.0.1 -U "$PGUSER" -d postgres -tAc "select 1" >/dev/null 2>&1; then
    log "Allowing local test connections (trust on 127.0.0.1)"
    hba="$(as_root su postgres -c "psql -tAc 'show hba_file'")"
    as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    as_root su postgres -c "psql -tAc 'select pg_reload_conf()'" >/dev/null
fi
started_redis=0
if ! redis_ready; then redis_ensure; started_redis=1; fi

cleanup() {
    if [ "$started_redis" = 1 ] && [ -f var/redis.pid ]; then kill "$(cat var/redis.pid)" 2>/dev/null || true; fi
    if [ "$started_pg" = 1 ]; then as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main stop || true; fi
}
trap cleanup EXIT

export DATABASE_URL="${TEST_DATABASE_URL:-postgres://$PGUSER@127.0.0.1:5432/voicemanager}"
export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"   # db 15: never the dev worker's queue
export TESTING=1 DJANGO_ALLOW_ASYNC_UNSAFE=true SECRET_KEY="test-secret-key-$(date +%s)-not-for-production"
unset S3_BUCKET CELERY_BROKER_URL CELERY_RESULT_BACKEND

log "ruff check"
"$VENV/bin/ruff" check .
log "bandit (reviewed skips: pyproject.toml [tool.bandit])"
"$VENV/bin/bandit" -q -c pyproject.toml -r voicemanager booth tasks config
log "pip-audit requirements.txt"
# Known vulnerabilities fail the run. When the vulnerability service (PyPI's JSON API) cannot be reached,
# e.g. offline CI or a mirror without advisories, this prints a warning and goes on: see README.
audit_json="$(mktemp)"
set +e
"$VENV/bin/pip-audit" -r requirements.txt --no-deps --disable-pip -s pypi -f json --progress-spinner off \
    -o "$audit_json" >/dev/null 2>var/pip-audit.log
set -e
"$VENV/bin/python" - "$audit_json" <<'PY'
import json, sys
try:
    deps = json.load(open(sys.argv[1]))["dependencies"]
except (OSError, ValueError, KeyError):
    print("WARNING: pip-audit could not run or reach its vulnerability service (see var/pip-audit.log); "
          "requirements.txt NOT audited.")
    sys.exit(0)
vulns = [(d["name"], d["version"], v["id"], v.get("fix_versions")) for d in deps for v in d.get("vulns", [])]
skipped = [d["name"] for d in deps if d.get("skip_reason")]
for name, version, vid, fixes in vulns:
    print(f"VULNERABLE: {name} {version}: {vid} (fixed in {', '.join(fixes or []) or 'no release yet'})")
if skipped:
    print(f"WARNING: pip-audit could not audit {len(skipped)} of {len(deps)} packages (vulnerability service "
          f"unreachable or without advisories here): {', '.join(skipped[:8])}{' ...' if len(skipped) > 8 else ''}")
else:
    print(f"pip-audit: {len(deps)} packages audited, {len(vulns)} known vulnerabilities")
sys.exit(1 if vulns else 0)
PY
rm -f "$audit_json"
log "pytest"
set +e
"$VENV/bin/python" -m pytest "$@"
status=$?
set -e
if [ "$status" = 5 ]; then echo "pytest collected no tests: failing" >&2; status=1; fi
exit "$status"
