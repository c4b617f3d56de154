#!/usr/bin/env bash
# A PgBouncer in transaction mode in front of a PostgreSQL server, for running the API
# through a pooler as many deployments do (see the README).
#
#   scripts/pgbouncer.sh start [SERVER_URL]   start it in front of SERVER_URL (default:
#                                             the local cluster, started if needed);
#                                             prints its own server URL
#   scripts/pgbouncer.sh stop                 stop it
#
# PGBOUNCER_POOL_MODE=session starts it in session mode instead (the bench's estimate of
# PgBouncer 1.21 and later with max_prepared_statements; see the README).
#
# Any database name is passed through to the server, so the tests' fresh databases work.
# Clients log in to PgBouncer with the server's user and password.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/postgres.sh"
source "$(dirname "${BASH_SOURCE[0]}")/packages.sh"

PGBOUNCER_PORT=${TODO_API_PGBOUNCER_PORT:-6433}
PGBOUNCER_POOL_MODE=${PGBOUNCER_POOL_MODE:-transaction}

pgbouncer_dir() { printf '%s-pgbouncer\n' "$(local_pg_datadir)"; }

# PGBOUNCER_SERVER: the server URL PgBouncer was last started in front of.
PGBOUNCER_SERVER=$(local_pg_url)

pgbouncer_url() {
  python3 - "$PGBOUNCER_SERVER" "$PGBOUNCER_PORT" <<'PY'
import sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
auth = url.netloc.rsplit("@", 1)[0]
print(f"postgres://{auth}@127.0.0.1:{sys.argv[2]}")
PY
}

pgbouncer_start() {
  ensure_command pgbouncer pgbouncer
  if [[ -n "${1:-}" ]]; then
    PGBOUNCER_SERVER=${1%/}
  else
    local_pg_start
  fi
  local dir host port user password
  read -r host port user password < <(python3 - "$PGBOUNCER_SERVER" <<'PY'
import sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
print(url.hostname or "127.0.0.1", url.port or 5432,
      urllib.parse.unquote(url.username or "postgres"), urllib.parse.unquote(url.password or ""))
PY
)
  dir=$(pgbouncer_dir)
  mkdir -p "$dir"
  if [[ -f "$dir/pgbouncer.pid" ]] && kill -0 "$(cat "$dir/pgbouncer.pid")" 2>/dev/null; then
    grep -qx "pool_mode = $PGBOUNCER_POOL_MODE" "$dir/pgbouncer.ini" && return 0
    pgbouncer_stop
    for _ in $(seq 50); do
      kill -0 "$(cat "$dir/pgbouncer.pid" 2>/dev/null)" 2>/dev/null || break
      sleep 0.1
    done
  fi
  printf '"%s" "%s"\n' "$user" "$password" >"$dir/userlist.txt"
  cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=$host port=$port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = $PGBOUNCER_POOL_MODE
# What JDBC and sqlx send at connection; most PgBouncer set-ups ignore it so.
ignore_startup_parameters = extra_float_digits,options
max_client_conn = 2000
default_pool_size = 20
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
  [[ $(id -u) -eq 0 ]] && chown -R postgres: "$dir"
  chmod 600 "$dir/userlist.txt"
  log "starting PgBouncer ($PGBOUNCER_POOL_MODE mode) on 127.0.0.1:$PGBOUNCER_PORT, in front of $host:$port"
  # PgBouncer refuses to run as root.
  as_pg_owner "$(command -v pgbouncer || echo /usr/sbin/pgbouncer)" -d "$dir/pgbouncer.ini" >/dev/null
  for _ in $(seq 50); do
    "$(pg_bindir)/psql" -qAt "$(pgbouncer_url)/postgres" -c 'select 1' >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "PgBouncer did not come up; its log:"
  tail -n 20 "$dir/pgbouncer.log" >&2
  return 1
}

pgbouncer_stop() {
  local dir
  dir=$(pgbouncer_dir)
  if [[ -f "$dir/pgbouncer.pid" ]] && kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null; then
    log "stopped PgBouncer"
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
    start) pgbouncer_start "${2:-}" && pgbouncer_url ;;
    stop) pgbouncer_stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
  esac
fi
