#!/usr/bin/env bash
# Stops a Medusa started by medusa-start.sh, then its private PostgreSQL, and deletes the throwaway data.
#
# Usage:  tools/engines/medusa-stop.sh STATE_DIR     (or STATE_DIR in the environment)
# Kills only the pid recorded in STATE_DIR/server.pid (TERM, then KILL after 15 s) and the PostgreSQL
# whose data folder is STATE_DIR/pg/data, then removes STATE_DIR. The node_modules cache and the
# migrated database template are kept. Stopping something already stopped is not an error.
set -uo pipefail
ENGINE=medusa
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
STATE_DIR="${1:-${STATE_DIR:-}}"
[ -n "$STATE_DIR" ] || die "usage: $0 STATE_DIR"
[ -d "$STATE_DIR" ] || { log "$STATE_DIR does not exist: nothing to stop"; exit 0; }
# Refuse folders this script did not make: it deletes what it is given.
[ -f "$STATE_DIR/medusa-config.ts" ] || die "$STATE_DIR is not a Medusa state folder (no medusa-config.ts)"

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
PGDATA="$STATE_DIR/pg/data"
if [ -f "$PGDATA/postmaster.pid" ]; then
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1
  else
    "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1
  fi
  # pg_ctl failing (binaries gone, folder damaged) must still not leave a postmaster behind.
  if [ -f "$PGDATA/postmaster.pid" ]; then stop_pid "$(head -1 "$PGDATA/postmaster.pid")"; fi
  log "PostgreSQL stopped"
fi
rm -rf "$STATE_DIR"
