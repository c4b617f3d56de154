#!/usr/bin/env bash
# What metrics cost under W1, measured so that this machine's drift cancels out: two API
# processes on one database, one without metrics (A) and one with (B), loaded in turn by
# wrk for ROUNDS rounds of SECS seconds. Prints both series, their medians and the median
# of the paired changes. Run by `BENCH_METRICS=ab scripts/bench` (after its build).
#
# usage: metrics-ab.sh CONNECTIONS ROUNDS SECS
set -euo pipefail
conns=$1 rounds=$2 secs=$3
cd "$(dirname "$0")/../.."
source scripts/postgres.sh
work=.local/bench
local_pg_start
server=$(local_pg_url)
"$(pg_bindir)/psql" -q "$server/postgres" -c 'drop database if exists todo_api_ab with (force)' -c 'create database todo_api_ab'
export DATABASE_URL="$server/todo_api_ab" HOST=127.0.0.1 RUST_LOG=warn
export AUTH0_DOMAIN= AUTH0_JWKS_URI= AUTH0_ISSUER="http://127.0.0.1:18001/" AUTH0_AUDIENCE=https://todo-api
export DEV_ISSUER_KEY_DIR="$work/issuer" DEV_ISSUER_CLIENT_ID=dev-client DEV_ISSUER_CLIENT_SECRET=dev-secret DEV_ISSUER_BIND=
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT
target/release/dev-issuer 2>/dev/null & pids+=($!)
PORT=18010 METRICS_ADDR= target/release/todo-api serve 2>/dev/null & pids+=($!)
# One after the other: the first applies the migrations.
for _ in $(seq 50); do curl -fsS http://127.0.0.1:18010/readyz >/dev/null 2>&1 && break; sleep 0.2; done
PORT=18020 METRICS_ADDR=127.0.0.1:18021 target/release/todo-api serve 2>/dev/null & pids+=($!)
for _ in $(seq 50); do curl -fsS http://127.0.0.1:18020/readyz >/dev/null 2>&1 && break; sleep 0.2; done
python3 scripts/bench.d/prepare.py "$AUTH0_ISSUER" http://127.0.0.1:18010 "$AUTH0_AUDIENCE" "$work" >/dev/null
w1() { # port seconds
  METHOD=GET REQ_PATH=/api/private TOKENS_FILE=$work/one-token.txt BODY= \
    wrk -t2 -c"$conns" -d"$2s" --timeout 5s -s scripts/bench.d/rotate.lua "http://127.0.0.1:$1" | tail -n 1
}
w1 18010 2 >/dev/null
w1 18020 2 >/dev/null
for _ in $(seq "$rounds"); do
  echo "off $(w1 18010 "$secs")"
  echo "on $(w1 18020 "$secs")"
done | python3 -c '
import json, statistics, sys
rows = {"off": [], "on": []}
for line in sys.stdin:
    mode, result = line.split(" ", 1)
    rows[mode].append(json.loads(result)["rps"])
off, on = rows["off"], rows["on"]
print("metrics off:", [round(x) for x in off])
print("metrics on: ", [round(x) for x in on])
paired = statistics.median(b / a - 1 for a, b in zip(off, on))
print(f"W1 at '"$conns"' connections: median {statistics.median(off):.0f} off, {statistics.median(on):.0f} on; "
      f"median paired change {100 * paired:+.1f}%")
'
