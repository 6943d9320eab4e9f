# Shared helpers for the run and test commands (sourced, not executed).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
VENV="$ROOT/.venv"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# apt_ensure CMD:PKG ... installs PKG when CMD is missing.
apt_ensure() {
    local missing=()
    for pair in "$@"; do
        local cmd="${pair%%:*}" pkg="${pair##*:}"
        if [ "${cmd#/}" != "$cmd" ]; then [ -e "$cmd" ] || missing+=("$pkg")
        else command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg"); fi
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "Installing with apt: ${missing[*]}"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# venv_ensure REQUIREMENTS_FILE: create .venv and install when the file changed.
venv_ensure() {
    local req="$1" stamp="$VENV/.installed-$(basename "$1")"
    if [ ! -x "$VENV/bin/python" ]; then
        apt_ensure "$PY:python3" 
        "$PY" -m venv "$VENV" || { apt_ensure /usr/lib/python3/dist-packages/ensurepip:python3-venv; "$PY" -m venv "$VENV"; }
    fi
    local sum; sum="$(cat requirements*.txt | sha256sum | cut -c1-16)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
        log "Installing Python packages from $req"
        "$VENV/bin/pip" install -q --upgrade pip >/dev/null
        "$VENV/bin/pip" install -q -r "$req"
        echo "$sum" > "$stamp"
    fi
}

redis_ready() { "$VENV/bin/python" - <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(); s.settimeout(0.5)
try:
    s.connect(("127.0.0.1", 6379)); s.sendall(b"PING\r\n"); sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}

# redis_ensure: start a throwaway Redis when nothing answers on 6379; echo "started" if we did.
redis_ensure() {
    if redis_ready; then return 0; fi
    apt_ensure redis-server:redis-server
    log "Starting Redis on 127.0.0.1:6379"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        --pidfile "$ROOT/var/redis.pid" --logfile "$ROOT/var/redis.log" --dir "$ROOT/var" >/dev/null
    for _ in $(seq 1 50); do redis_ready && { touch "$ROOT/var/redis.started-here"; return 0; }; sleep 0.1; done
    echo "Redis did not start" >&2; return 1
}

# secret_key_ensure ENV_FILE: on first run, write a generated SECRET_KEY into ENV_FILE (mode 600) unless the
# environment or the file already has one; an existing key is never replaced (signed links stay valid).
secret_key_ensure() {
    local file="$1"
    if [ -n "${SECRET_KEY:-}" ] || { [ -f "$file" ] && grep -Eq '^[[:space:]]*(export[[:space:]]+)?SECRET_KEY=' "$file"; }; then
        return 0
    fi
    local key
    key="$("${VENV}/bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))' 2>/dev/null \
        || python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
    ( umask 077; touch "$file" )
    if [ -s "$file" ] && [ -n "$(tail -c1 "$file")" ]; then echo >> "$file"; fi
    printf 'SECRET_KEY=%s\n' "$key" >> "$file"
    log "Generated a SECRET_KEY into $file (kept on later runs)"
}
