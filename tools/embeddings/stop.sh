#!/usr/bin/env bash
# Stops an embeddings server started by tools/embeddings/start.sh and removes its state folder.
#
# Usage:  tools/embeddings/stop.sh STATE_DIR
# Kills only the process group recorded in STATE_DIR/server.pid (TERM, then KILL after 10 s). The
# virtualenv cache is kept. Stopping something already stopped is not an error.
set -uo pipefail
log() { echo "[embeddings $(date -u +%H:%M:%S)] $*" >&2; }
STATE_DIR="${1:-}"
[ -n "$STATE_DIR" ] || { log "usage: $0 STATE_DIR"; exit 2; }
[ -d "$STATE_DIR" ] || { log "$STATE_DIR does not exist: nothing to stop"; exit 0; }
# Refuse folders start.sh did not make: this script deletes what it is given.
[ -f "$STATE_DIR/.storeshift-embeddings" ] || { log "$STATE_DIR is not an embeddings state folder"; exit 2; }
if [ -f "$STATE_DIR/server.pid" ]; then
  pid="$(cat "$STATE_DIR/server.pid")"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  deadline=$(( $(date +%s) + 10 ))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null; break; fi
    sleep 0.1
  done
  log "server $pid stopped"
fi
rm -rf "$STATE_DIR"
