#!/usr/bin/env bash
# Runs scripts/bench.d/express/server.mjs on 127.0.0.1:PORT with its pinned packages
# installed (npm ci) into DIR. Needs Node on PATH, AUTH0_ISSUER and AUTH0_AUDIENCE.
#
#   scripts/bench.d/express.sh DIR PORT
set -euo pipefail
dir=$1 port=$2
source=$(cd "$(dirname "$0")/express" && pwd)
mkdir -p "$dir"
cp "$source/package.json" "$source/package-lock.json" "$source/server.mjs" "$dir/"
# npm ci again only when the pins changed.
if ! cmp -s "$dir/package-lock.json" "$dir/.installed-lock.json" 2>/dev/null; then
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >&2
  cp "$dir/package-lock.json" "$dir/.installed-lock.json"
fi
exec node "$dir/server.mjs" "$port"
