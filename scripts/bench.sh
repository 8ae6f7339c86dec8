#!/usr/bin/env bash
# `make bench`: throughput and latency of step06-monolith, and the import rate
# of `datasets import`, on this machine and its database. Prints a table and
# writes bench-report.md. Measures, never asserts.
#
#   BENCH_SECONDS=15      duration of each wrk run
#   BENCH_CONNECTIONS=32  concurrent connections
#   BENCH_IMPORT_POSTS=100000  posts generated and imported for the import rate (0 skips it)
#   BENCH_PORT=5090       where the release build listens during the run
#
# The app runs with RUST_LOG=warn (a log line per request costs throughput).
# It also reports how busy the app and the database server were: when the
# database is at 100% of a core, the figures measure the database.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${BENCH_SECONDS:-15}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
IMPORT_POSTS=${BENCH_IMPORT_POSTS:-100000}
PORT=${BENCH_PORT:-5090}
DB=${BENCH_DB:-bench_step06}
REPORT=${BENCH_REPORT:-bench-report.md}
URL="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { echo "bench: wrk is needed: apt-get install wrk (Debian/Ubuntu) or brew install wrk"; exit 1; }
command -v curl >/dev/null || { echo "bench: curl is needed"; exit 1; }

echo "bench: building release binaries"
cargo build -q --release -p step06-monolith -p datasets
BIN=target/release

echo "bench: loading datasets/reddit-1000.jsonl into $DB"
MONGODB_DB=$DB $BIN/datasets import datasets/reddit-1000.jsonl >/dev/null

MONGODB_DB=$DB PORT=$PORT RUST_LOG=warn $BIN/step06-monolith &
APP=$!
trap 'kill $APP 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "$URL/health" >/dev/null && break; sleep 0.1; done
POST=$(curl -fs "$URL/" | grep -o '/posts/[0-9a-f]\{24\}' | head -1)
[[ -n "$POST" ]] || { echo "bench: no post on the home page: is the dataset loaded?"; exit 1; }
# The database's process, to report how busy it was: the one `make db`
# started, else whatever listens on the URI's port on this machine.
DBPORT=$(sed -E 's|^[a-z+]+://([^@/]*@)?[^:/,?]*:?([0-9]*).*|\2|' <<<"${MONGODB_URI:-mongodb://127.0.0.1:27017}")
DBPID=$(cat .dev/secantus.pid 2>/dev/null || ss -Hltnp "sport = :${DBPORT:-27017}" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)
DBNAME=$(cat "/proc/$DBPID/comm" 2>/dev/null || echo unknown)

cpu_ticks() { [[ -n "$1" && -r /proc/$1/stat ]] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }
HZ=$(getconf CLK_TCK)

rows=()
run() { # name path
  local name=$1 path=$2 out app0 db0 app1 db1 rps p50 p99
  app0=$(cpu_ticks $APP); db0=$(cpu_ticks "$DBPID")
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --timeout 10s --latency "$URL$path")
  app1=$(cpu_ticks $APP); db1=$(cpu_ticks "$DBPID")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  local errors; errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  local app_cpu db_cpu
  app_cpu=$(awk -v a=$((app1 - app0)) -v hz="$HZ" -v s="$SECONDS_PER_RUN" 'BEGIN {printf "%d%%", 100 * a / hz / s}')
  db_cpu=$( [[ -n "$DBPID" ]] && awk -v a=$((db1 - db0)) -v hz="$HZ" -v s="$SECONDS_PER_RUN" 'BEGIN {printf "%d%%", 100 * a / hz / s}' || echo "n/a")
  rows+=("| $name | \`GET $path\` | $rps | $p50 | $p99 | $app_cpu | $db_cpu | ${errors:-none} |")
  echo "bench: $name: $rps req/s, p99 $p99"
}

echo "bench: $CONNECTIONS connections, ${SECONDS_PER_RUN}s per run"
run "stylesheet (no database)" /static/style.css
run "one post" "$POST"
run "home (aggregation)" /
run "search" /search_results/python

IMPORT_ROW="(skipped)"
if [[ "$IMPORT_POSTS" -gt 0 ]]; then
  GEN=$(mktemp --suffix=.jsonl)
  $BIN/datasets generate --count "$IMPORT_POSTS" --seed 7 -o "$GEN" 2>/dev/null
  start=$(date +%s.%N)
  MONGODB_DB=bench_import $BIN/datasets import "$GEN" >/dev/null 2>&1
  end=$(date +%s.%N)
  rm -f "$GEN"
  IMPORT_ROW=$(awk -v n="$IMPORT_POSTS" -v s="$start" -v e="$end" 'BEGIN {printf "%d posts in %.1f s: %d posts/s", n, e - s, n / (e - s)}')
  echo "bench: import: $IMPORT_ROW"
fi

DBDESC="server at ${MONGODB_URI:-mongodb://127.0.0.1:27017}"
[[ -n "$DBPID" ]] && DBDESC="$DBDESC ($DBNAME, pid $DBPID, on this machine)"
{
  echo "# step06-monolith benchmark"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, database: $DBDESC, db \`$DB\` (1,000 posts)."
  echo "wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s --timeout 10s --latency; app: release build, RUST_LOG=warn."
  echo
  echo "| what | request | req/s | p50 | p99 | app CPU | db CPU | errors |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Import (\`datasets import\`, generated posts, into \`bench_import\`): $IMPORT_ROW"
  echo
  echo "CPU is the share of one core used during the run (100% = one full core). Both processes share this machine's cores with wrk."
} > "$REPORT"
echo
cat "$REPORT"
