#!/usr/bin/env bash
# The run command: install what is missing, migrate, seed the demo on a new database,
# start Redis if needed, then web + worker + beat in the foreground (Ctrl-C stops all).
source "$(dirname "$0")/common.sh"
mkdir -p var
apt_ensure ffmpeg:ffmpeg ffprobe:ffmpeg espeak-ng:espeak-ng sox:sox /usr/lib/x86_64-linux-gnu/libsndfile.so.1:libsndfile1
venv_ensure requirements.txt
redis_ensure
export DEBUG="${DEBUG:-1}"
# One math thread per process (web and worker processes outnumber the cores; see README "Load").
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
PORT="${PORT:-8000}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"
new_db=0
if [ -z "${DATABASE_URL:-}" ] && [ ! -f db.sqlite3 ]; then new_db=1; fi
log "Migrating the database"
"$VENV/bin/python" manage.py migrate --noinput -v0
if [ "$new_db" = 1 ] || [ "${SEED_DEMO:-0}" = 1 ]; then "$VENV/bin/python" manage.py seed_demo; fi
"$VENV/bin/python" manage.py collectstatic --noinput -v0
log "Starting web, worker and beat — open $SITE_URL/ (Ctrl-C stops all)"
export PORT
exec "$VENV/bin/honcho" -f Procfile start
