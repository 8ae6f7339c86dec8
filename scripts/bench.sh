#!/usr/bin/env bash
# `make bench`: throughput and latency of step06-monolith and step08-rest
# (its API and its web front), and the import rate of `datasets import`, on
# this machine and its database. Prints a table and writes bench-report.md.
# Measures, never asserts.
#
#   BENCH_SECONDS=15      duration of each wrk run
#   BENCH_CONNECTIONS=32  concurrent connections
#   BENCH_STEPS="step06 step08"  which steps to measure
#   BENCH_IMPORT_POSTS=100000  posts generated and imported for the import rate (0 skips it)
#   BENCH_PORT=5090       first of the ports the release builds listen on (5090-5092)
#   BENCH_DB=bench        the one database the bench uses: its posts are emptied
#                         before each import, so every run starts from the same data
#
# The programs run with RUST_LOG=warn (a log line per request costs
# throughput). The report also says how busy each program and the database
# server were: when the database is at 100% of a core, the figures measure
# the database.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${BENCH_SECONDS:-15}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
STEPS=${BENCH_STEPS:-step06 step08}
IMPORT_POSTS=${BENCH_IMPORT_POSTS:-100000}
PORT=${BENCH_PORT:-5090}
DB=${BENCH_DB:-bench}
REPORT=${BENCH_REPORT:-bench-report.md}

command -v wrk >/dev/null || { echo "bench: wrk is needed: apt-get install wrk (Debian/Ubuntu) or brew install wrk"; exit 1; }
command -v curl >/dev/null || { echo "bench: curl is needed"; exit 1; }

echo "bench: building release binaries"
${CARGO:-cargo} build -q --release -p step06-monolith -p step08-rest -p datasets
BIN=target/release

# The import rate, first: generated posts into the emptied posts collection
# (inserts, as a first import does; a re-import would measure updates).
IMPORT_ROW="(skipped)"
if [[ "$IMPORT_POSTS" -gt 0 ]]; then
  GEN=$(mktemp --suffix=.jsonl)
  $BIN/datasets generate --count "$IMPORT_POSTS" --seed 7 -o "$GEN" 2>/dev/null
  echo "bench: importing $IMPORT_POSTS generated posts into an empty $DB.posts"
  # `datasets import` times itself, from after the emptying to the last write.
  IMPORT_ROW=$(MONGODB_DB=$DB $BIN/datasets import --drop "$GEN" 2>/dev/null | tail -n 1)
  rm -f "$GEN"
  echo "bench: import: $IMPORT_ROW"
fi

echo "bench: loading datasets/reddit-1000.jsonl into an empty $DB.posts"
MONGODB_DB=$DB $BIN/datasets import --drop datasets/reddit-1000.jsonl >/dev/null 2>&1

PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT
wait_for() { for _ in $(seq 1 100); do curl -fs "$1/health" >/dev/null && return; sleep 0.1; done; echo "bench: $1 did not start"; exit 1; }

# The database's process, to report how busy it was: the one `make db`
# started, else whatever listens on the URI's port on this machine.
DBPORT=$(sed -E 's|^[a-z+]+://([^@/]*@)?[^:/,?]*:?([0-9]*).*|\2|' <<<"${MONGODB_URI:-mongodb://127.0.0.1:27017}")
DBPID=$(cat ".dev/db-${DBPORT:-27017}/server.pid" 2>/dev/null || ss -Hltnp "sport = :${DBPORT:-27017}" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)
DBNAME=$(cat "/proc/$DBPID/comm" 2>/dev/null || echo unknown)

cpu_ticks() { [[ -n "$1" && -r /proc/$1/stat ]] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }
HZ=$(getconf CLK_TCK)
percent() { awk -v a="$1" -v hz="$HZ" -v s="$SECONDS_PER_RUN" 'BEGIN {printf "%d%%", 100 * a / hz / s}'; }
# CPU milliseconds per request: ticks used during the run over requests served.
per_request() { awk -v a="$1" -v hz="$HZ" -v n="$2" 'BEGIN {if (n > 0) printf "%.2f ms", 1000 * a / hz / n; else printf "n/a"}'; }
# How much CPU a program used during a run: share of a core, and per request.
usage() { echo "$(percent "$1"), $(per_request "$1" "$2")/req"; }

rows=()
run() { # name url pid... (the programs that serve it, for their CPU)
  local name=$1 url=$2; shift 2
  local pids=("$@") before=() out db0 db1 rps p50 p99 errors i cpu=""
  for i in "${!pids[@]}"; do before[i]=$(cpu_ticks "${pids[i]}"); done
  db0=$(cpu_ticks "$DBPID")
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --timeout 10s --latency "$url")
  db1=$(cpu_ticks "$DBPID")
  local requests; requests=$(awk '/ requests in / {print $1}' <<<"$out")
  for i in "${!pids[@]}"; do
    cpu+="${cpu:+ + }$(cat "/proc/${pids[i]}/comm" 2>/dev/null) $(usage $(( $(cpu_ticks "${pids[i]}") - before[i] )) "$requests")"
  done
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  local db_cpu; db_cpu=$( [[ -n "$DBPID" ]] && usage $((db1 - db0)) "$requests" || echo "n/a")
  rows+=("| $name | \`GET ${url#http://127.0.0.1:}\` | $rps | $p50 | $p99 | $cpu | $db_cpu | ${errors:-none} |")
  echo "bench: $name: $rps req/s, p99 $p99"
  settle
}

# Waits until the database is idle again: requests that wrk gave up on can
# still be running in the database, and would slow the next run down.
settle() {
  [[ -n "$DBPID" ]] || { sleep 2; return; }
  local t0 t1
  for _ in $(seq 1 120); do
    t0=$(cpu_ticks "$DBPID"); sleep 0.5; t1=$(cpu_ticks "$DBPID")
    (( (t1 - t0) * 100 / HZ < 10 )) && return # under 20% of a core
  done
}

echo "bench: $CONNECTIONS connections, ${SECONDS_PER_RUN}s per run"
if [[ " $STEPS " == *" step06 "* ]]; then
  URL="http://127.0.0.1:$PORT"
  MONGODB_DB=$DB PORT=$PORT RUST_LOG=warn $BIN/step06-monolith &
  APP=$!; PIDS+=("$APP")
  wait_for "$URL"
  POST=$(curl -fs "$URL/" | grep -o '/posts/[0-9a-f]\{24\}' | head -1)
  [[ -n "$POST" ]] || { echo "bench: no post on the home page: is the dataset loaded?"; exit 1; }
  run "step06: stylesheet (no database)" "$URL/static/style.css" "$APP"
  run "step06: one post" "$URL$POST" "$APP"
  run "step06: home (aggregation)" "$URL/" "$APP"
  run "step06: search" "$URL/search_results/python" "$APP"
  kill "$APP"; wait "$APP" 2>/dev/null || true
fi
if [[ " $STEPS " == *" step08 "* ]]; then
  WEB="http://127.0.0.1:$((PORT + 1))" API="http://127.0.0.1:$((PORT + 2))"
  MONGODB_DB=$DB PORT=$((PORT + 2)) RUST_LOG=warn $BIN/step08-api &
  APIPID=$!; PIDS+=("$APIPID")
  wait_for "$API"
  MONGODB_DB=$DB PORT=$((PORT + 1)) API_URL=$API RUST_LOG=warn $BIN/step08-web &
  WEBPID=$!; PIDS+=("$WEBPID")
  wait_for "$WEB"
  ID=$(curl -fs "$API/posts?max_results=1&page=7" | grep -o '"_id":"[0-9a-f]\{24\}"' | head -1 | cut -d'"' -f4)
  [[ -n "$ID" ]] || { echo "bench: the API lists no post: is the dataset loaded?"; exit 1; }
  run "step08 API: one post" "$API/posts/$ID" "$APIPID"
  run "step08 API: page 3 of 25 (count)" "$API/posts?max_results=25&page=3" "$APIPID"
  run "step08 API: page 3 of 25 (count=none)" "$API/posts?max_results=25&page=3&count=none" "$APIPID"
  run "step08 web: one post" "$WEB/posts/$ID" "$WEBPID" "$APIPID"
  run "step08 web: home (aggregation)" "$WEB/" "$WEBPID" "$APIPID"
  run "step08 web: search" "$WEB/search_results/python" "$WEBPID" "$APIPID"
  kill "$WEBPID" "$APIPID"; wait "$WEBPID" "$APIPID" 2>/dev/null || true
fi
DBDESC="server at ${MONGODB_URI:-mongodb://127.0.0.1:27017}"
[[ -n "$DBPID" ]] && DBDESC="$DBDESC ($DBNAME, pid $DBPID, on this machine)"
{
  echo "# Benchmark: $STEPS"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, database: $DBDESC, db \`$DB\` (1,000 posts)."
  echo "wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s --timeout 10s --latency; programs: release builds, RUST_LOG=warn."
  echo
  echo "| what | request | req/s | p50 | p99 | program CPU | db CPU | errors |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Import (\`datasets import\` of $IMPORT_POSTS generated posts into an empty \`$DB.posts\`): $IMPORT_ROW"
  echo
  echo "CPU is the share of one core used during the run (100% = one full core), then CPU milliseconds per request served, read from /proc (all threads of the process). Every process shares this machine's cores with wrk."
} > "$REPORT"
echo
cat "$REPORT"
