#!/usr/bin/env bash
# `make bench`: throughput and latency of step06-monolith, step08-rest (its
# API and its web front) and step09-services (its web front and the
# services behind it), the import rate of `datasets import`, step 9's sync
# latency (a write in posts until search finds it) and the memory of every
# step 9 process, on this machine and its database. Prints a table and
# writes bench-report.md. Measures, never asserts.
#
#   BENCH_SECONDS=15      duration of each wrk run
#   BENCH_CONNECTIONS=32  concurrent connections
#   BENCH_STEPS="step06 step08 step09"  which steps to measure
#   BENCH_SYNC_WRITES=100 writes timed from posts to search (step09)
#   BENCH_IMPORT_POSTS=100000  posts generated and imported for the import rate (0 skips it)
#   BENCH_PORT=5090       first of the ports the release builds listen on (5090-5098)
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
STEPS=${BENCH_STEPS:-step06 step08 step09}
SYNC_WRITES=${BENCH_SYNC_WRITES:-100}
IMPORT_POSTS=${BENCH_IMPORT_POSTS:-100000}
PORT=${BENCH_PORT:-5090}
DB=${BENCH_DB:-bench}
REPORT=${BENCH_REPORT:-bench-report.md}

command -v wrk >/dev/null || { echo "bench: wrk is needed: apt-get install wrk (Debian/Ubuntu) or brew install wrk"; exit 1; }
command -v curl >/dev/null || { echo "bench: curl is needed"; exit 1; }

echo "bench: building release binaries"
# One build for every program: one set of features, so nothing is built twice.
${CARGO:-cargo} build -q --release -p step06-monolith -p step08-rest -p datasets \
  -p step09-posts -p step09-search -p step09-recommend -p step09-tags -p step09-sync -p step09-web
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
# wait_for URL [PATH]: until URL/PATH (default /health) answers 2xx.
wait_for() { for _ in $(seq 1 300); do curl -fs "$1${2:-/health}" >/dev/null && return; sleep 0.1; done; echo "bench: $1 did not start"; exit 1; }

# login_with_topics URL: logs in as `bench` on the pages at URL, tags a post
# "python" (the user's topics: what the logged-in home page ranks by), and
# prints the session cookie for wrk's `-H "Cookie: ..."`.
login_with_topics() {
  local url=$1 jar token post
  jar=$(mktemp)
  token=$(curl -fs -c "$jar" -b "$jar" "$url/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | cut -d'"' -f4)
  curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$token" --data "username=bench" "$url/login"
  post=$(curl -fs -b "$jar" "$url/" | grep -o '/posts/[0-9a-f]\{24\}' | head -1)
  token=$(curl -fs -c "$jar" -b "$jar" "$url$post" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | cut -d'"' -f4)
  curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$token" --data "action=add&tag=python" "$url$post/tags"
  awk '$6 == "reddit_session" {print "reddit_session=" $7}' "$jar"
  rm -f "$jar"
}

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
  local header=(); [[ -n "${COOKIE:-}" ]] && header=(-H "Cookie: $COOKIE")
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --timeout 10s --latency "${header[@]}" "$url")
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
  # The cookie goes to this one run only (a prefix assignment): an
  # anonymous run must not send it.
  cookie=$(login_with_topics "$URL")
  COOKIE=$cookie run "step06: home, logged in with topics" "$URL/" "$APP"
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
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
MEMORY=""
SYNC_ROW="(not measured)"
if [[ " $STEPS " == *" step09 "* ]]; then
  # Each service on its own database, as in production; the posts are the
  # bench's posts. The targets start empty and sync snapshots them.
  declare -A S9=([web]=3 [posts]=4 [search]=5 [recommend]=6 [tags]=7 [sync]=8)
  u() { echo "http://127.0.0.1:$((PORT + S9[$1]))"; }
  $BIN/datasets drop "${DB}_search" "${DB}_recommend" "${DB}_tags" "${DB}_web" >/dev/null
  declare -A P9
  start9() { # name, then extra environment
    local name=$1; shift
    env PORT=$((PORT + S9[$name])) RUST_LOG=warn POSTS_URL="$(u posts)" SEARCH_URL="$(u search)" \
      RECOMMEND_URL="$(u recommend)" TAGS_URL="$(u tags)" "$@" "$BIN/step09-$name" &
    P9[$name]=$!; PIDS+=("$!")
  }
  start9 posts MONGODB_DB=$DB
  start9 search MONGODB_DB=${DB}_search
  start9 recommend MONGODB_DB=${DB}_recommend
  start9 tags MONGODB_DB=${DB}_tags
  for s in posts search recommend tags; do wait_for "$(u $s)" /health/ready; done
  start9 sync
  start9 web MONGODB_DB=${DB}_web
  wait_for "$(u web)" /health/ready
  echo "bench: step09: waiting for sync to snapshot the posts into search and recommend"
  wait_for "$(u sync)" /health/ready
  sleep 2 # recommend reloads its candidates after the last batch
  at_rest=0
  for s in "${!P9[@]}"; do at_rest=$((at_rest + $(rss_kb "${P9[$s]}"))); done
  ID=$(curl -fs "$(u posts)/posts?max_results=1&page=7" | grep -o '"_id":"[0-9a-f]\{24\}"' | head -1 | cut -d'"' -f4)
  WEB=$(u web)
  run "step09 web: one post" "$WEB/posts/$ID" "${P9[web]}" "${P9[posts]}" "${P9[tags]}"
  run "step09 web: home (materialised recommendations)" "$WEB/" "${P9[web]}" "${P9[recommend]}"
  run "step09 web: search" "$WEB/search_results/python" "${P9[web]}" "${P9[search]}"
  cookie=$(login_with_topics "$WEB")
  COOKIE=$cookie run "step09 web: home, logged in with topics" "$WEB/" "${P9[web]}" "${P9[tags]}" "${P9[recommend]}"
  run "step09 search: one page" "$(u search)/v1/search?q=python" "${P9[search]}"
  run "step09 recommend: v2, no topics" "$(u recommend)/v2/recommendations" "${P9[recommend]}"
  after=0; MEMORY="| process | RSS at rest | RSS after the runs |"$'\n'"|---|---|---|"
  for s in web posts search recommend tags sync; do
    MEMORY+=$'\n'"| step09-$s | $(( $(rss_kb "${P9[$s]}") / 1024 )) MB | "
    after=$((after + $(rss_kb "${P9[$s]}")))
    MEMORY+="$(( $(rss_kb "${P9[$s]}") / 1024 )) MB |"
  done
  MEMORY+=$'\n'"| **sum** | $((at_rest / 1024)) MB | $((after / 1024)) MB |"
  # Sync latency: PATCH a post's title with a word no post has, then poll
  # search (every 5 ms) until it finds the post.
  echo "bench: step09: timing $SYNC_WRITES writes from posts to search"
  lat=()
  for i in $(seq 1 "$SYNC_WRITES"); do
    word="benchword$RANDOM$i"
    # Each write at a random moment of sync's poll (0 to 0.5 s after the
    # last one reached search): writes that came right after each apply would
    # all wait for a whole POLL_MS and measure only the worst case.
    sleep "0.$(printf '%03d' $((RANDOM % 500)))"
    etag=$(curl -fs "$(u posts)/posts/$ID" | grep -o '"_etag":"[^"]*"' | cut -d'"' -f4)
    t0=$(date +%s%N)
    curl -fs -o /dev/null -X PATCH -H "If-Match: $etag" -H 'Content-Type: application/json' \
      -d "{\"title\": \"sync latency $word\"}" "$(u posts)/posts/$ID"
    until curl -fs "$(u search)/v1/search?q=$word" | grep -q "$ID"; do
      (( ($(date +%s%N) - t0) > 10000000000 )) && { echo "bench: a write did not reach search in 10 s"; break; }
      sleep 0.005
    done
    lat+=($(( ($(date +%s%N) - t0) / 1000000 )))
  done
  SYNC_ROW=$(printf '%s\n' "${lat[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median %d ms, max %d ms over %d writes (PATCH in posts until search finds it; sync POLL_MS default)", a[int((NR+1)/2)], a[NR], NR}')
  echo "bench: sync: $SYNC_ROW"
  kill "${P9[@]}"; wait "${P9[@]}" 2>/dev/null || true
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
  echo "Step 9's sync latency: $SYNC_ROW"
  if [[ -n "$MEMORY" ]]; then
    echo
    echo "Step 9's memory (resident set of each process, at rest after startup and sync's snapshot, and after the runs):"
    echo
    echo "$MEMORY"
  fi
  echo
  echo "CPU is the share of one core used during the run (100% = one full core), then CPU milliseconds per request served, read from /proc (all threads of the process). Every process shares this machine's cores with wrk."
} > "$REPORT"
echo
cat "$REPORT"
