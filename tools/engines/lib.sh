# Shared by the engine start/stop scripts in this folder; sourced, never run.
# Why a cache: Medusa's node_modules is ~700 MB and takes a minute or more to install; keeping one
# install per pinned package set under $ENGINES_CACHE makes every start after the first one fast.

ENGINES_CACHE="${STORESHIFT_ENGINES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/storeshift-engines}"
ENGINES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export MEDUSA_DISABLE_TELEMETRY=true VENDURE_DISABLE_TELEMETRY=true NEXT_TELEMETRY_DISABLED=1
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

log() { echo "[$ENGINE $(date -u +%H:%M:%S)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }

# A port nobody listens on right now (the kernel picks it; the tiny race with another process taking
# it before the engine binds is accepted: the start then fails loudly and can be retried).
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})'
}

# Node.js >= $1.$2 from Debian when missing; a too-old Node is an error the operator must fix.
need_node() {
  local major="$1" minor="$2"
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs npm
  fi
  local v; v="$(node -p 'process.versions.node')"
  local ma="${v%%.*}" rest="${v#*.}"; local mi="${rest%%.*}"
  if [ "$ma" -lt "$major" ] || { [ "$ma" -eq "$major" ] && [ "$mi" -lt "$minor" ]; }; then
    die "Node.js $v is too old: $ENGINE needs >= $major.$minor (install a newer nodejs and retry)"
  fi
}

apt_install() {
  log "installing Debian packages: $*"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2 || die "apt-get install $* failed"
}

# Installs the pinned package set of $1 (a folder with package.json and package-lock.json) into the
# cache once, under a lock so two starts at the same time do not install twice, and prints the folder
# holding node_modules. The install goes to a temporary folder first and is renamed when complete, so
# an install killed halfway is never mistaken for a good one.
cached_install() {
  local src="$1" check="$2"
  local key; key="$(cat "$src/package.json" "$src/package-lock.json" 2>/dev/null | sha256sum | cut -c1-16)"
  local dest="$ENGINES_CACHE/$ENGINE-$key"
  mkdir -p "$ENGINES_CACHE"
  (
    flock 9
    if [ -e "$dest/$check" ]; then exit 0; fi
    local tmp="$dest.partial.$$"
    rm -rf "$tmp" && mkdir -p "$tmp"
    cp "$src/package.json" "$tmp/"
    [ -f "$src/package-lock.json" ] && cp "$src/package-lock.json" "$tmp/"
    log "npm install into $dest (first start on this machine; later starts reuse it)"
    local t0; t0=$(now_ms)
    # `npm install` with the committed lock installs the locked versions; `npm ci` would refuse
    # Medusa's lock because npm 11 leaves other platforms' optional binaries (@swc/core-darwin-*,
    # @rollup/rollup-win32-*) out of it.
    (cd "$tmp" && npm install --no-save --loglevel=error >&2) || die "npm install failed in $tmp"
    [ -e "$tmp/$check" ] || die "npm install finished but $check is missing in $tmp"
    rm -rf "$dest" && mv "$tmp" "$dest"
    log "npm install done in $(( ($(now_ms) - t0) / 1000 )) s ($(du -sh "$dest/node_modules" | cut -f1))"
  ) 9>"$ENGINES_CACHE/$ENGINE.lock" || exit 1
  echo "$dest"
}

# Polls `$1` (a shell command) until it succeeds, the process $2 dies, or $3 seconds pass.
wait_until() {
  local cond="$1" pid="$2" secs="$3" log_file="$4"
  local deadline=$(( $(date +%s) + secs ))
  until eval "$cond" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "the server exited before it answered; last lines of $log_file:"; tail -40 "$log_file" >&2
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "no answer within $secs s; last lines of $log_file:"; tail -40 "$log_file" >&2
      return 1
    fi
    sleep 0.3
  done
}

# Writes the connection facts to $STATE_DIR/engine.env (and $ENV_FILE if given) and prints them as
# the last line of stdout, which is the scripts' contract with tests.
announce() {
  local line="URL=$1 EMAIL=$2 PASSWORD=$3 STATE_DIR=$STATE_DIR"
  printf '%s\n' "URL=$1" "EMAIL=$2" "PASSWORD=$3" "STATE_DIR=$STATE_DIR" > "$STATE_DIR/engine.env"
  [ -n "${ENV_FILE:-}" ] && cp "$STATE_DIR/engine.env" "$ENV_FILE"
  echo "$line"
}
