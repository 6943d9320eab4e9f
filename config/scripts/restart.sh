#!/usr/bin/env bash
# restart.sh NAME COMMAND...: run COMMAND and start it again whenever it exits, so one dead process
# (a killed worker, a crashed beat) is back within seconds and the others keep running. Each Procfile
# line runs under it; honcho still starts and stops the set (Ctrl-C: SIGTERM to each line's process
# group, which stops this loop and its command together).
# A command that dies within RESTART_MIN_UPTIME seconds (10) of starting RESTART_MAX_QUICK times (5)
# in a row is a configuration error, not a crash: the loop gives up and honcho stops everything.
set -uo pipefail
name="$1"; shift
min_uptime="${RESTART_MIN_UPTIME:-10}" max_quick="${RESTART_MAX_QUICK:-5}"
child=""
stop() {
    if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; fi
    exit 0
}
trap stop TERM INT HUP
quick=0
while true; do
    started="$(date +%s)"
    "$@" &
    child=$!
    wait "$child"
    status=$?
    child=""
    ran=$(( $(date +%s) - started ))
    if [ "$ran" -lt "$min_uptime" ]; then quick=$((quick + 1)); else quick=0; fi
    if [ "$quick" -ge "$max_quick" ]; then
        echo "$name exited $quick times within ${min_uptime}s of starting (last status $status); giving up" >&2
        exit "$status"
    fi
    delay=$(( quick > 0 ? quick * 2 : 1 ))
    echo "$name exited with status $status after ${ran}s; restarting in ${delay}s" >&2
    sleep "$delay" &
    child=$!
    wait "$child"
    child=""
done
