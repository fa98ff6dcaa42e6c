#!/usr/bin/env bash
# Starts a throwaway Vendure 3.7.3 server (SQLite through sql.js) on 127.0.0.1 for storeshift's tests.
#
# Usage:   tools/engines/vendure-start.sh [PORT]
# Env:     PORT            port to listen on (default: a free one the kernel picks)
#          STATE_DIR       folder for this instance's data, pid and logs (default: a new mktemp folder);
#                          must not hold a running instance
#          ENV_FILE        also write the connection facts to this file (KEY=VALUE lines)
#          VENDURE_ADMIN_EMAIL / VENDURE_ADMIN_PASSWORD   superadmin identifier and password
#                          (default admin@storeshift.test / storeshift-throwaway)
#          STORESHIFT_ENGINES_CACHE   where node_modules is kept between starts
#                          (default ~/.cache/storeshift-engines)
#          START_TIMEOUT   seconds to wait for the server to answer (default 180)
# Output:  progress on stderr; the last line of stdout is
#            URL=http://127.0.0.1:PORT/admin-api EMAIL=... PASSWORD=... STATE_DIR=...
#          and the same facts, one per line, are in $STATE_DIR/engine.env.
# Stop:    tools/engines/vendure-stop.sh STATE_DIR   (kills this server, deletes STATE_DIR)
# Needs:   Node.js >= 20 and npm (installed from Debian when missing), the npm registry on first start.
set -euo pipefail
ENGINE=vendure
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
T0=$(now_ms)

PORT="${1:-${PORT:-}}"
EMAIL="${VENDURE_ADMIN_EMAIL:-admin@storeshift.test}"
PASSWORD="${VENDURE_ADMIN_PASSWORD:-storeshift-throwaway}"
TIMEOUT="${START_TIMEOUT:-180}"

need_node 20 0
command -v curl >/dev/null || apt_install curl

INSTALL="$(cached_install "$ENGINES_DIR/vendure" node_modules/@vendure/core/package.json)"
T1=$(now_ms)

STATE_DIR="${STATE_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/storeshift-vendure.XXXXXX")}"
mkdir -p "$STATE_DIR"
STATE_DIR="$(cd "$STATE_DIR" && pwd)"
if [ -f "$STATE_DIR/server.pid" ] && kill -0 "$(cat "$STATE_DIR/server.pid")" 2>/dev/null; then
  die "$STATE_DIR already holds a running Vendure (pid $(cat "$STATE_DIR/server.pid")); stop it first"
fi
cp "$ENGINES_DIR/vendure/vendure-config.js" "$ENGINES_DIR/vendure/index.js" "$STATE_DIR/"
ln -sfn "$INSTALL/node_modules" "$STATE_DIR/node_modules"
[ -n "$PORT" ] || PORT="$(free_port)"

: > "$STATE_DIR/server.log"
(
  cd "$STATE_DIR"
  VENDURE_PORT="$PORT" VENDURE_DB="$STATE_DIR/data/vendure.sqlite" \
    VENDURE_ADMIN_EMAIL="$EMAIL" VENDURE_ADMIN_PASSWORD="$PASSWORD" \
    exec node index.js >> "$STATE_DIR/server.log" 2>&1
) &
PID=$!
echo "$PID" > "$STATE_DIR/server.pid"
log "server pid $PID on 127.0.0.1:$PORT, data in $STATE_DIR"

wait_until "grep -q VENDURE_READY '$STATE_DIR/server.log'" "$PID" "$TIMEOUT" "$STATE_DIR/server.log" \
  || { "$ENGINES_DIR/vendure-stop.sh" "$STATE_DIR" >&2 || true; exit 1; }
curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null \
  || { "$ENGINES_DIR/vendure-stop.sh" "$STATE_DIR" >&2 || true; die "health check failed"; }

log "up: install/cache $(( (T1 - T0) / 1000 )) s, server start $(( ($(now_ms) - T1) / 1000 )) s, total $(( ($(now_ms) - T0) / 1000 )) s"
announce "http://127.0.0.1:$PORT/admin-api" "$EMAIL" "$PASSWORD"
