#!/usr/bin/env bash
# BENCH_LARGE=1: fills the bench database with a million users and ten million tasks
# (COPY from generated rows), so the workloads run against a database that has grown.
# 999,999 users get 9 tasks each; `auth0|bench-long` gets the remaining 1,000,009, for
# the cost of paging a very long list. Then prints the plans of the hot queries and
# what `offset` costs on that list.
#
# usage: large.sh SERVER_URL/DATABASE API_URL LONG_LIST_TOKEN_FILE
set -euo pipefail
database=$1 api=$2 long_token_file=$3
source "$(dirname "$0")/../postgres.sh"
psql=("$(pg_bindir)/psql" -qAtX -v ON_ERROR_STOP=1 "$database")

users=1000000
per_user=9
started=$(date +%s)
# Foreign-key checks are per-row triggers; a bulk load of known-good rows skips them.
{
  echo "SET session_replication_role = replica;"
  echo "COPY users (username, sub, last_login) FROM STDIN;"
  seq 1 $((users - 1)) | awk '{ printf "auth0.large-%d\tauth0|large-%d\t2026-12-01 00:00:00+00\n", $1, $1 }'
  printf 'auth0.bench-long\tauth0|bench-long\t2026-12-01 00:00:00+00\n'
  echo '\.'
} | "${psql[@]}"
# COPY numbered the rows in order.
first_id=$("${psql[@]}" -c "SELECT id FROM users WHERE sub = 'auth0|large-1'")
long_id=$("${psql[@]}" -c "SELECT id FROM users WHERE sub = 'auth0|bench-long'")
{
  echo "SET session_replication_role = replica;"
  echo "COPY tasks (owner_id, title, content, created_by) FROM STDIN;"
  # Interleaved owners, as real traffic writes them: each user's tasks are spread over
  # the whole table.
  awk -v first="$first_id" -v users=$((users - 1)) -v per=$per_user -v long="$long_id" 'BEGIN {
    for (round = 0; round < per; round++)
      for (u = 0; u < users; u++)
        printf "%d\tTask %d\tLoaded for the large bench\tauth0|large\n", first + u, round
    for (n = 0; n < 10000000 - users * per; n++)
      printf "%d\tLong %d\tLoaded for the large bench\tauth0|bench-long\n", long, n
  }'
  echo '\.'
} | "${psql[@]}"
"${psql[@]}" -c "VACUUM ANALYZE users" -c "VACUUM ANALYZE tasks"
loaded=$(date +%s)
counts=$("${psql[@]}" -F ' / ' -c "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM tasks)")
printf '[bench] large data: users / tasks = %s, loaded and analysed in %d s\n' "$counts" "$((loaded - started))" >&2

# The plans the API's queries get (generic plans, as the API forces), on this data.
plans=$("${psql[@]}" <<SQL
SET plan_cache_mode = force_generic_plan;
PREPARE by_sub(text) AS SELECT id, username, sub, is_active, date_joined, last_login FROM users WHERE sub = \$1;
PREPARE list(bigint, bigint, bigint, boolean) AS SELECT id, title, content, created_on, due_date, completed FROM tasks WHERE owner_id = \$1 AND (\$4::boolean IS NULL OR completed = \$4) ORDER BY id LIMIT \$2 OFFSET \$3;
PREPARE by_due_date(bigint, bigint, bigint, boolean) AS SELECT id, title, content, created_on, due_date, completed FROM tasks WHERE owner_id = \$1 AND (\$4::boolean IS NULL OR completed = \$4) ORDER BY due_date DESC, id DESC LIMIT \$2 OFFSET \$3;
PREPARE one(bigint, bigint) AS SELECT id, title, content, created_on, due_date, completed FROM tasks WHERE id = \$1 AND owner_id = \$2;
EXPLAIN (COSTS OFF) EXECUTE by_sub('auth0|large-500000');
EXPLAIN (COSTS OFF) EXECUTE list($first_id + 500000, 1001, 0, NULL);
EXPLAIN (COSTS OFF) EXECUTE by_due_date($first_id + 500000, 1001, 0, false);
EXPLAIN (COSTS OFF) EXECUTE one(5000000, $first_id + 500000);
SQL
)
printf '[bench] plans:\n%s\n' "$plans" >&2
if grep -q 'Seq Scan' <<<"$plans"; then
  echo "[bench] a hot query is planned as a sequential scan" >&2
  exit 1
fi

# Offset paging on the 1,000,009-task list, through the API: the median of five.
token=$(cat "$long_token_file")
printf '[bench] GET /api/task/?limit=100&offset=N on a 1,000,009-task list (median of 5):\n' >&2
for offset in 0 1000 10000 100000 1000000; do
  median=$(for _ in 1 2 3 4 5; do
    curl -fsS -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "$api/api/task/?limit=100&offset=$offset"
  done | sort -n | sed -n 3p)
  awk -v offset="$offset" -v s="$median" 'BEGIN { printf "[bench]   offset %8d: %7.1f ms\n", offset, s * 1000 }' >&2
done
