#!/usr/bin/env bash
# A private PostgreSQL cluster for development and tests, on its own port, with its data
# in an ignored folder of the repository. It never touches the system cluster.
#
#   scripts/postgres.sh start   start it (initialising it on first use); prints its URL
#   scripts/postgres.sh stop    stop it
#   scripts/postgres.sh url     print the URL of its server (without a database name)
#
# Sourced by the other scripts for `ensure_database_url`.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL_PG_PORT=${TODO_API_PG_PORT:-5433}
LOCAL_PG_PASSWORD=postgres

log() { printf '[todo-api] %s\n' "$*" >&2; }
source "$REPO_ROOT/scripts/dotenv.sh"

pg_bindir() {
  local dir
  dir=$(pg_config --bindir 2>/dev/null || true)
  if [[ -z "$dir" || ! -x "$dir/initdb" ]]; then
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  fi
  if [[ -z "$dir" || ! -x "$dir/initdb" ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
      log "PostgreSQL server binaries not found; installing Debian's postgresql package"
      apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
      dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    else
      log "PostgreSQL server binaries (initdb, pg_ctl) not found: install PostgreSQL 15 or newer"
      return 1
    fi
  fi
  printf '%s\n' "$dir"
}

# PostgreSQL refuses to run as root: as root, run its tools as the `postgres` user.
as_pg_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# The data folder: inside the repo when the server's user can reach it, else a temp dir.
local_pg_datadir() {
  local dir="$REPO_ROOT/.local/postgres"
  mkdir -p "$REPO_ROOT/.local"
  if [[ $(id -u) -eq 0 ]] && ! runuser -u postgres -- test -x "$REPO_ROOT/.local"; then
    dir="${TMPDIR:-/tmp}/todo-api-postgres-$(printf '%s' "$REPO_ROOT" | md5sum | cut -c1-8)"
  fi
  printf '%s\n' "$dir"
}

local_pg_url() {
  printf 'postgres://postgres:%s@127.0.0.1:%s\n' "$LOCAL_PG_PASSWORD" "$LOCAL_PG_PORT"
}

local_pg_start() {
  local bindir datadir
  bindir=$(pg_bindir)
  datadir=$(local_pg_datadir)
  if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$LOCAL_PG_PORT"; then
    if PGPASSWORD=$LOCAL_PG_PASSWORD "$bindir/psql" -qAt -h 127.0.0.1 -p "$LOCAL_PG_PORT" -U postgres -d postgres -c 'select 1' >/dev/null 2>&1; then
      return 0
    fi
    log "port $LOCAL_PG_PORT is taken by another server; set TODO_API_PG_PORT to a free port"
    return 1
  fi
  if [[ ! -f "$datadir/PG_VERSION" ]]; then
    log "initialising a local PostgreSQL cluster in $datadir"
    mkdir -p "$datadir"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$datadir"
    chmod 700 "$datadir"
    local pwfile
    pwfile=$(mktemp)
    printf '%s\n' "$LOCAL_PG_PASSWORD" >"$pwfile"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$pwfile"
    as_pg_owner "$bindir/initdb" -D "$datadir" -U postgres --pwfile="$pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
  fi
  log "starting local PostgreSQL on 127.0.0.1:$LOCAL_PG_PORT"
  # TCP on loopback only; the socket lives in the data folder so nothing else is touched.
  as_pg_owner "$bindir/pg_ctl" -D "$datadir" -l "$datadir/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $LOCAL_PG_PORT -k $datadir -c max_connections=300 -c fsync=off -c synchronous_commit=off" >/dev/null \
    || { log "PostgreSQL failed to start; its log:"; tail -n 30 "$datadir/server.log" >&2; return 1; }
}

local_pg_stop() {
  local bindir datadir
  bindir=$(pg_bindir)
  datadir=$(local_pg_datadir)
  if [[ -f "$datadir/postmaster.pid" ]]; then
    as_pg_owner "$bindir/pg_ctl" -D "$datadir" -w stop -m fast >/dev/null
    log "stopped local PostgreSQL"
  fi
}

# Creates database $2 on server URL $1 unless it exists.
create_database() {
  local server=$1 name=$2 bindir
  bindir=$(pg_bindir)
  if [[ -z $("$bindir/psql" -qAt "$server/postgres" -c "select 1 from pg_database where datname = '$name'") ]]; then
    "$bindir/psql" -q "$server/postgres" -c "create database \"$name\"" >/dev/null
  fi
}

# Exports DATABASE_URL: the configured one when its database answers, else a database
# named $1 on the local cluster (started here when needed).
ensure_database_url() {
  local name=$1 configured bindir
  configured=${DATABASE_URL:-$(dotenv_value DATABASE_URL)}
  bindir=$(pg_bindir)
  if [[ -n "$configured" ]] && "$bindir/psql" -qAt "$configured" -c 'select 1' >/dev/null 2>&1; then
    export DATABASE_URL=$configured
    log "using the database at DATABASE_URL"
    return 0
  fi
  [[ -n "$configured" ]] && log "DATABASE_URL does not answer; using a local PostgreSQL instead"
  local_pg_start
  create_database "$(local_pg_url)" "$name"
  export DATABASE_URL="$(local_pg_url)/$name"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
    start) local_pg_start && local_pg_url ;;
    stop) local_pg_stop ;;
    url) local_pg_url ;;
    *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
  esac
fi
