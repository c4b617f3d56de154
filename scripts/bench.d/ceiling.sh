#!/usr/bin/env bash
# The database's own ceiling for a workload that reaches it: pgbench (from Debian's
# PostgreSQL packages, beside the server) runs the statement the handler runs, prepared,
# with the same parameters, at the workload's connection count, on the same database.
# Prints pgbench's transactions per second.
#
# usage: ceiling.sh W3|W4 CONNECTIONS SECONDS DATABASE_URL OWNER_SUB [BODY]
# BODY is the workload's JSON body (W4's title and content).
set -euo pipefail
source "$(dirname "$0")/../postgres.sh"
name=$1 connections=$2 seconds=$3 url=$4 sub=$5 body=${6:-}
# pgbench's clock runs while it opens its connections (128 took 0.9 s here): in a shorter
# run it may finish no transaction, and print no rate.
((seconds >= 5)) || seconds=5
field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$body" "$1"; }
bindir=$(pg_bindir)
owner=$("$bindir/psql" -qAt "$url" -v sub="$sub" <<<"select id from users where sub = :'sub'")
[[ -n "$owner" ]] || { log "ceiling: no user with sub $sub"; exit 1; }

script=$(mktemp)
trap 'rm -f "$script"' EXIT
# src/routes/tasks/mod.rs: list_window (GET /api/task/: no filter, by id, one row past
# the default window) and create (POST /api/task/ with the bench's body). pgbench sends
# no NULL parameter, so the list's "no filter" NULL comes from nullif of a parameter:
# still a value the plan cannot know in advance, as the handler's NULL parameter.
case $name in
  W3)
    params=(--define=any=any)
    cat >"$script" <<'SQL'
\set limit 1001
\set offset 0
SELECT id, title, content, created_on, due_date, completed FROM tasks
 WHERE owner_id = :owner AND (nullif(:any, 'any')::boolean IS NULL OR completed = nullif(:any, 'any')::boolean)
 ORDER BY id LIMIT :limit OFFSET :offset;
SQL
    ;;
  W4)
    params=(--define=title="$(field title)" --define=content="$(field content)")
    cat >"$script" <<'SQL'
\set completed false
INSERT INTO tasks (owner_id, title, content, created_on, due_date, created_by, completed)
 VALUES (:owner, :title, :content, :today, :today, :sub, :completed)
 RETURNING id, title, content, created_on, due_date, completed;
SQL
    ;;
  *) log "ceiling: no statement for $name"; exit 1 ;;
esac

# Planned as the API's own sessions plan it (DatabaseSettings::request_options).
PGOPTIONS="-c plan_cache_mode=force_generic_plan" "$bindir/pgbench" --no-vacuum --protocol=prepared --client="$connections" --jobs=2 --time="$seconds" \
  --define=owner="$owner" --define=sub="$sub" --define=today="$(date -u +%F)" \
  "${params[@]}" --file="$script" "$url" 2>&1 |
  awk '/^tps = / { print $3; found = 1 } END { if (!found) exit 1 }'
