#!/usr/bin/env bash
# Stops a Vendure started by vendure-start.sh and deletes its throwaway data.
#
# Usage:  tools/engines/vendure-stop.sh STATE_DIR     (or STATE_DIR in the environment)
# Kills only the pid recorded in STATE_DIR/server.pid (TERM, then KILL after 15 s), then removes
# STATE_DIR. The node_modules cache is kept. Stopping something already stopped is not an error.
set -uo pipefail
ENGINE=vendure
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
STATE_DIR="${1:-${STATE_DIR:-}}"
[ -n "$STATE_DIR" ] || die "usage: $0 STATE_DIR"
[ -d "$STATE_DIR" ] || { log "$STATE_DIR does not exist: nothing to stop"; exit 0; }
# Refuse folders this script did not make: it deletes what it is given.
[ -f "$STATE_DIR/vendure-config.js" ] || die "$STATE_DIR is not a Vendure state folder (no vendure-config.js)"

stop_pid() {
  local pid="$1" deadline=$(( $(date +%s) + 15 ))
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then kill -KILL "$pid" 2>/dev/null; break; fi
    sleep 0.2
  done
}
if [ -f "$STATE_DIR/server.pid" ]; then
  stop_pid "$(cat "$STATE_DIR/server.pid")"
  log "server $(cat "$STATE_DIR/server.pid") stopped"
fi
rm -rf "$STATE_DIR"
