#!/usr/bin/env bash
# Fetches Shopify's published Admin GraphQL schemas (one introspection file per API version) from
# the npm package @shopify/dev-mcp into the cache the engines use, once, and prints the folder.
#
# Usage:   tools/schemas/shopify-dev-mcp.sh
# Env:     STORESHIFT_ENGINES_CACHE   cache folder (default ~/.cache/storeshift-engines)
# Output:  progress on stderr; the last line of stdout is
#            DIR=<cache>/shopify-dev-mcp-<version>/data
#          holding admin_YYYY-MM.json.gz (and unstable) and supported-versions-schema.json, the
#          package's list of versions (`latestVersion`, `releaseCandidate`).
# Needs:   npm (installed from Debian when missing) and the npm registry on the first run.
#
# Only the package's tarball is fetched (`npm pack`, checked against the integrity pinned here);
# its dependencies (the Shopify CLI and more) are never installed.
set -euo pipefail
ENGINE=shopify-dev-mcp
source "$(dirname "${BASH_SOURCE[0]}")/../engines/lib.sh"

PACKAGE="@shopify/dev-mcp"
VERSION="1.16.0"
INTEGRITY="sha512-tqgRnK7sQhjew+htxtleTH23nXB5fZcsrhWgEkomsorGXvLOB2mh2upwZm8uzuTDNTZnqtLMe64yIwh6s2awtw=="

command -v npm >/dev/null || apt_install nodejs npm
dest="$ENGINES_CACHE/$ENGINE-$VERSION"
mkdir -p "$ENGINES_CACHE"
(
  flock 9
  if [ -e "$dest/data/supported-versions-schema.json" ]; then exit 0; fi
  tmp="$dest.partial.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  log "npm pack $PACKAGE@$VERSION into $dest (first run on this machine; later runs reuse it)"
  (cd "$tmp" && npm pack "$PACKAGE@$VERSION" --json --loglevel=error > pack.json) \
    || die "npm pack $PACKAGE@$VERSION failed (is the npm registry reachable?)"
  got="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1]))[0].integrity)' "$tmp/pack.json")"
  [ "$got" = "$INTEGRITY" ] || die "$PACKAGE@$VERSION has integrity $got, expected $INTEGRITY"
  tar -xzf "$tmp"/shopify-dev-mcp-"$VERSION".tgz -C "$tmp" \
    --wildcards 'package/dist/data/admin_*.json.gz' 'package/dist/data/supported-versions-schema.json' \
    || die "the package has no dist/data/admin_*.json.gz"
  mkdir -p "$tmp/data"
  mv "$tmp"/package/dist/data/* "$tmp/data/"
  rm -rf "$tmp/package" "$tmp"/*.tgz "$tmp/pack.json"
  rm -rf "$dest" && mv "$tmp" "$dest"
  log "schemas: $(cd "$dest/data" && ls admin_*.json.gz | tr '\n' ' ')"
) 9>"$ENGINES_CACHE/$ENGINE.lock" || exit 1
echo "DIR=$dest/data"
