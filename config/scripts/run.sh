#!/usr/bin/env bash
# The run command: install what is missing, generate a SECRET_KEY into .env on first run, migrate,
# seed the demo on a new database, start Redis if needed, then web + worker + beat in the foreground,
# each restarted when it dies (Procfile, restart.sh; Ctrl-C stops all). The web binds 127.0.0.1
# (HOST=0.0.0.0 to serve the network: then set ALLOWED_HOSTS, and DEBUG=0 SECURE=0 unless every
# visitor may see tracebacks).
source "$(dirname "$0")/common.sh"
mkdir -p var
apt_ensure ffmpeg:ffmpeg ffprobe:ffmpeg espeak-ng:espeak-ng sox:sox /usr/lib/x86_64-linux-gnu/libsndfile.so.1:libsndfile1
venv_ensure requirements.txt
redis_ensure
secret_key_ensure "$ROOT/.env"
export DEBUG="${DEBUG:-1}"
# One math thread per process (web and worker processes outnumber the cores; see README "Load").
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
PORT="${PORT:-8000}" HOST="${HOST:-127.0.0.1}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"
case "$HOST" in
    127.0.0.1|localhost|::1) ;;
    *) if [ "$DEBUG" = 1 ]; then
           log "WARNING: serving $HOST:$PORT with DEBUG on: anyone who reaches it sees tracebacks and settings"
       fi ;;
esac
new_db=0
if [ -z "${DATABASE_URL:-}" ] && [ ! -f db.sqlite3 ]; then new_db=1; fi
log "Migrating the database"
"$VENV/bin/python" manage.py migrate --noinput -v0
if [ "$new_db" = 1 ] || [ "${SEED_DEMO:-0}" = 1 ]; then "$VENV/bin/python" manage.py seed_demo; fi
"$VENV/bin/python" manage.py collectstatic --noinput -v0
log "Starting web, worker and beat — open $SITE_URL/ (Ctrl-C stops all)"
export PORT HOST
exec "$VENV/bin/honcho" -f Procfile start
