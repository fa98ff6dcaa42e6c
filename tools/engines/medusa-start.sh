#!/usr/bin/env bash
# Starts a throwaway Medusa 2.21.2 server on 127.0.0.1 with its own private PostgreSQL cluster,
# for storeshift's tests. Only the Admin REST API is served (the dashboard is not built).
#
# Usage:   tools/engines/medusa-start.sh [PORT]
# Env:     PORT            port for Medusa (default: a free one the kernel picks)
#          PG_PORT         port for PostgreSQL on 127.0.0.1 (default: a free one)
#          STATE_DIR       folder for this instance's database, pid files and logs (default: a new
#                          mktemp folder); must not hold a running instance
#          ENV_FILE        also write the connection facts to this file (KEY=VALUE lines)
#          MEDUSA_ADMIN_EMAIL / MEDUSA_ADMIN_PASSWORD   the admin user made for the tests
#                          (default admin@storeshift.test / storeshift-throwaway)
#          STORESHIFT_ENGINES_CACHE   where node_modules and a migrated database template are kept
#                          between starts (default ~/.cache/storeshift-engines)
#          START_TIMEOUT   seconds to wait for the server to answer (default 240)
# Output:  progress on stderr; the last line of stdout is
#            URL=http://127.0.0.1:PORT EMAIL=... PASSWORD=... STATE_DIR=...
#          and the same facts, one per line, are in $STATE_DIR/engine.env.
# Stop:    tools/engines/medusa-stop.sh STATE_DIR   (kills this server and its PostgreSQL, deletes STATE_DIR)
# Needs:   Node.js >= 20.19 and npm; PostgreSQL server binaries (apt-get install postgresql when
#          missing); the npm registry on first start. PostgreSQL will not run as root, so when this
#          runs as root the cluster belongs to the `postgres` user.
set -euo pipefail
ENGINE=medusa
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
T0=$(now_ms)

PORT="${1:-${PORT:-}}"
EMAIL="${MEDUSA_ADMIN_EMAIL:-admin@storeshift.test}"
PASSWORD="${MEDUSA_ADMIN_PASSWORD:-storeshift-throwaway}"
TIMEOUT="${START_TIMEOUT:-240}"
export NODE_ENV=development

need_node 20 19
command -v curl >/dev/null || apt_install curl
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/postgres" ]; then apt_install postgresql; fi
PG_BIN="$(pg_bin)"
[ -x "$PG_BIN/postgres" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' user (apt-get install postgresql makes it)"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

INSTALL="$(cached_install "$ENGINES_DIR/medusa" node_modules/.bin/medusa)"
# npm 11 runs a dependency's install script only when package.json's allowScripts names it; if
# the compiler that loads medusa-config.ts came out unusable anyway, rebuild just that package.
if ! (cd "$INSTALL" && node -e 'require("@swc/core")' >/dev/null 2>&1); then
  log "@swc/core does not load; running npm rebuild @swc/core"
  (cd "$INSTALL" && npm rebuild @swc/core --loglevel=error >&2) || die "npm rebuild @swc/core failed"
fi
T1=$(now_ms)

STATE_DIR="${STATE_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/storeshift-medusa.XXXXXX")}"
mkdir -p "$STATE_DIR"
STATE_DIR="$(cd "$STATE_DIR" && pwd)"
if [ -f "$STATE_DIR/server.pid" ] && kill -0 "$(cat "$STATE_DIR/server.pid")" 2>/dev/null; then
  die "$STATE_DIR already holds a running Medusa (pid $(cat "$STATE_DIR/server.pid")); stop it first"
fi
chmod 711 "$STATE_DIR"
cp "$ENGINES_DIR/medusa/medusa-config.ts" "$ENGINES_DIR/medusa/tsconfig.json" \
  "$ENGINES_DIR/medusa/package.json" "$STATE_DIR/"
ln -sfn "$INSTALL/node_modules" "$STATE_DIR/node_modules"
[ -n "$PORT" ] || PORT="$(free_port)"
PG_PORT="${PG_PORT:-$(free_port)}"
PG="$STATE_DIR/pg"
MEDUSA="$STATE_DIR/node_modules/.bin/medusa"
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/medusa"

pg_start() {
  as_pg "$PG_BIN/pg_ctl" -D "$PG/data" -l "$PG/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { tail -20 "$PG/server.log" >&2; die "PostgreSQL did not start"; }
}
pg_stop() { as_pg "$PG_BIN/pg_ctl" -D "$PG/data" -m fast -w stop >/dev/null; }

# A database already migrated and holding the admin user, made once per package set, PostgreSQL
# version and credentials: migrations take most of a cold start, copying the template a second.
TEMPLATE_KEY="$( { basename "$INSTALL"; "$PG_BIN/postgres" --version; echo "$EMAIL:$PASSWORD"; \
  cat "$ENGINES_DIR/medusa/medusa-config.ts"; } | sha256sum | cut -c1-16)"
TEMPLATE="$ENGINES_CACHE/medusa-db-$TEMPLATE_KEY"

mkdir -p "$PG/sock"
if [ -f "$TEMPLATE/PG_VERSION" ]; then
  cp -a "$TEMPLATE" "$PG/data"
  chown -R "$(stat -c %u "$TEMPLATE")" "$PG" 2>/dev/null || true
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$PG"
  pg_start
  log "PostgreSQL on 127.0.0.1:$PG_PORT from the migrated template"
else
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$PG"
  as_pg "$PG_BIN/initdb" -D "$PG/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null \
    || die "initdb failed"
  pg_start
  "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "create database medusa" >/dev/null \
    || die "could not create the medusa database"
  log "PostgreSQL on 127.0.0.1:$PG_PORT; running migrations (first start only)"
  (cd "$STATE_DIR" && "$MEDUSA" db:migrate > "$STATE_DIR/migrate.log" 2>&1) \
    || { tail -40 "$STATE_DIR/migrate.log" >&2; die "medusa db:migrate failed"; }
  (cd "$STATE_DIR" && "$MEDUSA" user -e "$EMAIL" -p "$PASSWORD" > "$STATE_DIR/user.log" 2>&1) \
    || { tail -40 "$STATE_DIR/user.log" >&2; die "medusa user failed"; }
  pg_stop
  (
    flock 9
    if [ ! -f "$TEMPLATE/PG_VERSION" ]; then
      rm -rf "$TEMPLATE.partial.$$" && cp -a "$PG/data" "$TEMPLATE.partial.$$"
      rm -f "$TEMPLATE.partial.$$/postmaster.pid" && mv "$TEMPLATE.partial.$$" "$TEMPLATE"
    fi
  ) 9>"$ENGINES_CACHE/medusa-db.lock"
  pg_start
  log "migrated database kept as a template in $TEMPLATE"
fi
T2=$(now_ms)

: > "$STATE_DIR/server.log"
(
  cd "$STATE_DIR"
  exec "$MEDUSA" start -H 127.0.0.1 -p "$PORT" >> "$STATE_DIR/server.log" 2>&1
) &
PID=$!
echo "$PID" > "$STATE_DIR/server.pid"
log "server pid $PID on 127.0.0.1:$PORT, data in $STATE_DIR"

wait_until "curl -fsS 'http://127.0.0.1:$PORT/health'" "$PID" "$TIMEOUT" "$STATE_DIR/server.log" \
  || { "$ENGINES_DIR/medusa-stop.sh" "$STATE_DIR" >&2 || true; exit 1; }

log "up: install/cache $(( (T1 - T0) / 1000 )) s, database $(( (T2 - T1) / 1000 )) s, server start $(( ($(now_ms) - T2) / 1000 )) s, total $(( ($(now_ms) - T0) / 1000 )) s"
announce "http://127.0.0.1:$PORT" "$EMAIL" "$PASSWORD"
