#!/usr/bin/env bash
# `make bench`: one workload against every step, on this machine and its
# database, side by side with a reference server (bench/src/bin/
# bench-reference.rs: actix-web, one find_one, the ceiling of any item
# endpoint here): throughput, p50 and p99 of step06-monolith, step08-rest
# (its API and its web front), step09-services and step10-async, with the
# CPU each program and the database spent per request; the home and search
# pages at 1, 8, 32 and 128 connections; the search and list pages at
# 1,000, 10,000 and 100,000 posts; every program's memory at rest and after
# the runs; the import rate of `datasets import`, step 9's sync latency and
# step 10's own figures (the blocking vs async demo, the logged-in home page
# with simulated latency, concurrent against sequential, and a job import).
# Each run is one line of BENCH_RESULTS; bench-report (bench/) turns them
# into bench-report.md and its SVG charts. Measures, never asserts.
#
#   BENCH_QUICK=1         a short run (`make bench QUICK=1`): 4 s per run,
#                         1,000 and 10,000 posts, no import rate, 20 sync
#                         writes, a 2,000-post job
#
#   BENCH_SECONDS=15      duration of each wrk run
#   BENCH_CONNECTIONS=32  concurrent connections
#   BENCH_STEPS="step06 step08 step09 step10"  which steps to measure
#   BENCH_SYNC_WRITES=100 writes timed from posts to search (step09)
#   BENCH_IMPORT_POSTS=100000  posts generated and imported for the import rate (0 skips it)
#   BENCH_PORT=5090       ports of the release builds: step06 to step09 use
#                         5090-5098, step10 the ten before it (5080-5089)
#   BENCH_DEMO_CONNECTIONS=256  connections of step 10's blocking vs async demo
#   BENCH_DEMO_MS=100     the demo's wait per request (its `ms`)
#   BENCH_LATENCY_MS=100  step 10's SIMULATED_LATENCY_MS on tags, likes, shares,
#                         hide and recommend for the fan-out comparison
#   BENCH_JOB_POSTS=10000 posts step 10's jobs service generates and imports (0 skips it)
#   BENCH_DB=bench        the one database the bench uses: its posts are emptied
#                         before each import, so every run starts from the same data
#   BENCH_SCALE_SECONDS=10  duration of each run of the scaling curves
#   BENCH_SIZES="10000 100000"  the larger databases of the posts curves
#                         (generated, imported once into ${BENCH_DB}_N and kept)
#   BENCH_REPORT=bench-report.md  the report; BENCH_CHARTS=bench-report its charts'
#                         folder; BENCH_RESULTS=target/bench/results.tsv the measurements
#
# The programs run with RUST_LOG=warn (a log line per request costs
# throughput). The report also says how busy each program and the database
# server were: when the database is at 100% of a core, the figures measure
# the database.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=${BENCH_QUICK:-}
[[ "$QUICK" == 0 ]] && QUICK=""
q() { if [[ -n "$QUICK" ]]; then echo "$2"; else echo "$1"; fi; } # q FULL QUICK
SECONDS_PER_RUN=${BENCH_SECONDS:-$(q 15 4)}
SCALE_SECONDS=${BENCH_SCALE_SECONDS:-$(q 10 3)}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
STEPS=${BENCH_STEPS:-step06 step08 step09 step10}
SYNC_WRITES=${BENCH_SYNC_WRITES:-$(q 100 20)}
IMPORT_POSTS=${BENCH_IMPORT_POSTS:-$(q 100000 0)}
SIZES=${BENCH_SIZES:-$(q "10000 100000" "10000")}
PORT=${BENCH_PORT:-5090}
DB=${BENCH_DB:-bench}
REPORT=${BENCH_REPORT:-bench-report.md}
CHARTS=${BENCH_CHARTS:-bench-report}
RESULTS=${BENCH_RESULTS:-${CARGO_TARGET_DIR:-target}/bench/results.tsv}
mkdir -p "$(dirname "$RESULTS")"
: > "$RESULTS"
record() { local IFS=$'\t'; echo "$*" >> "$RESULTS"; } # one tab-separated line of the measurements

command -v wrk >/dev/null || { echo "bench: wrk is needed: apt-get install wrk (Debian/Ubuntu) or brew install wrk"; exit 1; }
command -v curl >/dev/null || { echo "bench: curl is needed"; exit 1; }

echo "bench: building release binaries"
# One build for the programs of the steps measured (one set of features,
# so nothing is built twice).
PACKAGES=(-p datasets -p bench)
[[ " $STEPS " == *" step06 "* ]] && PACKAGES+=(-p step06-monolith)
[[ " $STEPS " == *" step08 "* ]] && PACKAGES+=(-p step08-rest)
SERVICES9=(posts search recommend tags sync web)
SERVICES10=(web posts search recommend tags sync likes shares hide jobs) # in port order
if [[ " $STEPS " == *" step09 "* ]]; then for s in "${SERVICES9[@]}"; do PACKAGES+=(-p "step09-$s"); done; fi
if [[ " $STEPS " == *" step10 "* ]]; then
  command -v jq >/dev/null || { echo "bench: jq is needed for step10: apt-get install jq"; exit 1; }
  for s in "${SERVICES10[@]}"; do PACKAGES+=(-p "step10-$s"); done
fi
${CARGO:-cargo} build -q --release "${PACKAGES[@]}"
BIN=${CARGO_TARGET_DIR:-target}/release


echo "bench: loading datasets/reddit-1000.jsonl into an empty $DB.posts"
MONGODB_DB=$DB $BIN/datasets import --drop datasets/reddit-1000.jsonl >/dev/null 2>&1

PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT
# wait_for URL [PATH]: until URL/PATH (default /health) answers 2xx, at most
# 2 min (a first start on a large database builds its indexes).
wait_for() { for _ in $(seq 1 1200); do curl -fs "$1${2:-/health}" >/dev/null && return; sleep 0.1; done; echo "bench: $1 did not start"; exit 1; }

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

# The whole machine's busy and total ticks (all cores, from /proc/stat),
# and the share of the machine that was busy between two readings.
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
machine_busy() { awk -v a="$1" -v b="$2" 'BEGIN {split(a, x, " "); split(b, y, " "); if (y[2] > x[2]) printf "%d%%", 100 * (y[1] - x[1]) / (y[2] - x[2]); else print "0%"}'; }
cpu_ticks() { [[ -n "$1" && -r /proc/$1/stat ]] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }
HZ=$(getconf CLK_TCK)
# CPU milliseconds per request: ticks used during the run over requests served.
per_request() { awk -v a="$1" -v hz="$HZ" -v n="$2" 'BEGIN {if (n > 0) printf "%.3f", 1000 * a / hz / n; else printf "0"}'; }

# Progress: how many runs this bench makes (each step's block adds its
# own), how many are done, and a guess of the time left from the time the
# runs so far took.
declare -A PLAN=([reference]=1 [step06]=$((5 + 6 + 2 * $(wc -w <<<"$SIZES"))) [step08]=$((7 + 6 + 3 * $(wc -w <<<"$SIZES")))
  [step09]=12 [step10]=17)
PLANNED=0; for step in reference $STEPS; do PLANNED=$((PLANNED + ${PLAN[$step]:-0})); done
DONE=0 STARTED=$SECONDS
progress() { # label
  local left="" per
  if ((DONE > 0)); then
    per=$(( (SECONDS - STARTED) / DONE ))
    left=", about $(( (PLANNED - DONE) * per / 60 + 1 )) min left"
  fi
  echo "bench: [$((DONE + 1))/$PLANNED$left] $1"
}

# run LABEL URL PID...: one wrk run against URL, served by the programs
# PID... (for their CPU). One `run` line in $RESULTS: its step (the label's
# first word), GROUP (default main), the connections, POSTS (default
# 1,000), the figures. ALSO=GROUP records the same line in that group too
# (the 32-connection point of a scaling curve is the main table's run).
run() {
  local name=$1 url=$2; shift 2
  local pids=("$@") before=() out db0 db1 rps p50 p99 i programs="" step=${name%%[ :]*}
  progress "$name"
  for i in "${!pids[@]}"; do before[i]=$(cpu_ticks "${pids[i]}"); done
  db0=$(cpu_ticks "$DBPID")
  local header=(); [[ -n "${COOKIE:-}" ]] && header=(-H "Cookie: $COOKIE")
  local machine0; machine0=$(machine_ticks)
  out=$(wrk -t"$((CONNECTIONS < 2 ? 1 : 2))" -c"$CONNECTIONS" -d"${RUN_SECONDS:-$SECONDS_PER_RUN}s" --timeout "${WRK_TIMEOUT:-10s}" --latency "${header[@]}" "$url")
  db1=$(cpu_ticks "$DBPID")
  LAST_MACHINE=$(machine_busy "$machine0" "$(machine_ticks)")
  local requests; requests=$(awk '/ requests in / {print $1}' <<<"$out")
  for i in "${!pids[@]}"; do
    programs+="${programs:+,}$(cat "/proc/${pids[i]}/comm" 2>/dev/null)=$(per_request $(( $(cpu_ticks "${pids[i]}") - before[i] )) "$requests")"
  done
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  LAST_NON2XX=$(awk '/Non-2xx/ {print $NF}' <<<"$out"); LAST_NON2XX=${LAST_NON2XX:-0}
  local socket; socket=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' <<<"$out")
  local db_ms="-"; [[ -n "$DBPID" ]] && db_ms=$(per_request $((db1 - db0)) "$requests")
  local group path=${url#http://127.0.0.1:}
  path=/${path#*/}
  for group in "${GROUP:-main}" ${ALSO:-}; do
    record run "$step" "$group" "$name" "GET $path" "$CONNECTIONS" "${POSTS:-1000}" "$rps" "$p50" "$p99" \
      "$requests" $((LAST_NON2XX + ${socket:-0})) "${LAST_MACHINE%\%}" "$db_ms" "$programs"
  done
  LAST_RPS=$rps LAST_P50=$p50 LAST_REQUESTS=$requests
  LAST_CPU=$(sed 's/=/ /g; s/,/ ms + /g; s/$/ ms of CPU a request/' <<<"$programs")
  echo "bench:   $rps req/s, p50 $p50, p99 $p99 (${LAST_CPU}; db $db_ms ms)"
  DONE=$((DONE + 1))
  settle
}

# scale_connections LABEL URL PID...: the main table's run of the request
# (also the 32-connection point of its curve; ALSO may add other groups),
# then the same at 1, 8 and 128 connections.
scale_connections() {
  local c
  ALSO="connections ${ALSO:-}" run "$@"
  for c in 1 8 128; do
    ALSO="" CONNECTIONS=$c GROUP=connections RUN_SECONDS=$SCALE_SECONDS run "$@"
  done
}

# at_size N LABEL URL PID...: a point of the posts curves, on the database
# of N posts the programs now use.
at_size() {
  local n=$1; shift
  POSTS=$n GROUP=posts RUN_SECONDS=$SCALE_SECONDS run "$@"
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

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# at_rest STEP NAME=PID...: each program's resident set now; after STEP:
# the `mem` lines, with each one's resident set now as "after the runs".
declare -A REST=()
at_rest() { local p; for p in "${@:2}"; do REST[$1.${p%%=*}]=$(rss_kb "${p#*=}"); done; }
after() { local p; for p in "${@:2}"; do record mem "$1" "${p%%=*}" "${REST[$1.${p%%=*}]}" "$(rss_kb "${p#*=}")"; done; }

# The larger databases of the posts curves: ${DB}_N holds N generated
# posts, imported once and kept (checked by their count) between runs.
sized_db() { echo "${DB}_$1"; }
for n in $SIZES; do
  have=$(MONGODB_DB=$(sized_db "$n") $BIN/datasets stats 2>/dev/null | awk '$1 == "posts" {gsub(",", "", $2); print $2; exit}')
  if [[ "${have:-0}" != "$n" ]]; then
    echo "bench: generating and importing $n posts into $(sized_db "$n") (once: kept for later runs)"
    GEN=$(mktemp --suffix=.jsonl)
    $BIN/datasets generate --count "$n" --seed 11 -o "$GEN" 2>/dev/null
    MONGODB_DB=$(sized_db "$n") $BIN/datasets import --drop "$GEN" >/dev/null 2>&1
    rm -f "$GEN"
  fi
done

# The post every item request asks for: the dataset's seventh.
ITEM=$(sed -n 7p datasets/reddit-1000.jsonl | grep -o '"\$oid":"[0-9a-f]\{24\}"' | head -1 | cut -d'"' -f4)

echo "bench: $CONNECTIONS connections, ${SECONDS_PER_RUN}s per run (${SCALE_SECONDS}s for the scaling curves), $PLANNED runs"
# The reference server: the ceiling of an item endpoint on this database.
REF="http://127.0.0.1:$((PORT + 9))"
MONGODB_DB=$DB PORT=$((PORT + 9)) RUST_LOG=warn $BIN/bench-reference &
REFPID=$!; PIDS+=("$REFPID")
wait_for "$REF"
settle # the imports above may still keep the database busy
at_rest reference bench-reference=$REFPID
run "reference: one post" "$REF/posts/$ITEM" "$REFPID"
after reference bench-reference=$REFPID
kill "$REFPID"; wait "$REFPID" 2>/dev/null || true

if [[ " $STEPS " == *" step06 "* ]]; then
  URL="http://127.0.0.1:$PORT"
  start06() { # database
    MONGODB_DB=$1 PORT=$PORT RUST_LOG=warn $BIN/step06-monolith &
    APP=$!; PIDS+=("$APP")
    wait_for "$URL"
  }
  start06 "$DB"
  at_rest step06 step06-monolith=$APP
  run "step06: stylesheet (no database)" "$URL/static/style.css" "$APP"
  run "step06: one post" "$URL/posts/$ITEM" "$APP"
  ALSO=posts scale_connections "step06: home (aggregation)" "$URL/" "$APP"
  ALSO=posts scale_connections "step06: search" "$URL/search_results/python" "$APP"
  # The cookie goes to this one run only (a prefix assignment): an
  # anonymous run must not send it.
  cookie=$(login_with_topics "$URL")
  COOKIE=$cookie run "step06: home, logged in with topics" "$URL/" "$APP"
  after step06 step06-monolith=$APP
  kill "$APP"; wait "$APP" 2>/dev/null || true
  for n in $SIZES; do
    start06 "$(sized_db "$n")"
    at_size "$n" "step06: search" "$URL/search_results/python" "$APP"
    at_size "$n" "step06: home (aggregation)" "$URL/" "$APP"
    kill "$APP"; wait "$APP" 2>/dev/null || true
  done
fi
if [[ " $STEPS " == *" step08 "* ]]; then
  WEB="http://127.0.0.1:$((PORT + 1))" API="http://127.0.0.1:$((PORT + 2))"
  start08() { # database
    MONGODB_DB=$1 PORT=$((PORT + 2)) RUST_LOG=warn $BIN/step08-api &
    APIPID=$!; PIDS+=("$APIPID")
    wait_for "$API"
    MONGODB_DB=$1 PORT=$((PORT + 1)) API_URL=$API RUST_LOG=warn $BIN/step08-web &
    WEBPID=$!; PIDS+=("$WEBPID")
    wait_for "$WEB"
  }
  # The API query behind step 08's search page (api_client.rs), counted.
  SEARCH08="$API/posts?where=%7B%22keywords%22%3A%7B%22%24all%22%3A%5B%22python%22%5D%7D%7D&sort=-score,-_id&max_results=25"
  start08 "$DB"
  curl -fs -o /dev/null "$API/posts/$ITEM" || { echo "bench: the API has no post $ITEM: is the dataset loaded?"; exit 1; }
  at_rest step08 step08-api=$APIPID step08-web=$WEBPID
  run "step08 API: one post" "$API/posts/$ITEM" "$APIPID"
  ALSO=posts run "step08 API: page 3 of 25 (count)" "$API/posts?max_results=25&page=3" "$APIPID"
  run "step08 API: page 3 of 25 (count=none)" "$API/posts?max_results=25&page=3&count=none" "$APIPID"
  run "step08 web: one post" "$WEB/posts/$ITEM" "$WEBPID" "$APIPID"
  scale_connections "step08 web: home (aggregation)" "$WEB/" "$WEBPID" "$APIPID"
  ALSO=posts scale_connections "step08 web: search" "$WEB/search_results/python" "$WEBPID" "$APIPID"
  ALSO=posts run "step08 API: search python, sorted, 25 (count)" "$SEARCH08" "$APIPID"
  after step08 step08-api=$APIPID step08-web=$WEBPID
  kill "$WEBPID" "$APIPID"; wait "$WEBPID" "$APIPID" 2>/dev/null || true
  for n in $SIZES; do
    start08 "$(sized_db "$n")"
    at_size "$n" "step08 API: page 3 of 25 (count)" "$API/posts?max_results=25&page=3" "$APIPID"
    at_size "$n" "step08 web: search" "$WEB/search_results/python" "$WEBPID" "$APIPID"
    at_size "$n" "step08 API: search python, sorted, 25 (count)" "$SEARCH08" "$APIPID"
    kill "$WEBPID" "$APIPID"; wait "$WEBPID" "$APIPID" 2>/dev/null || true
  done
fi
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
  procs9=(); for s in "${SERVICES9[@]}"; do procs9+=("step09-$s=${P9[$s]}"); done
  at_rest step09 "${procs9[@]}"
  ID=$ITEM
  WEB=$(u web)
  run "step09 web: one post" "$WEB/posts/$ID" "${P9[web]}" "${P9[posts]}" "${P9[tags]}"
  scale_connections "step09 web: home (materialised recommendations)" "$WEB/" "${P9[web]}" "${P9[recommend]}"
  scale_connections "step09 web: search" "$WEB/search_results/python" "${P9[web]}" "${P9[search]}"
  cookie=$(login_with_topics "$WEB")
  COOKIE=$cookie run "step09 web: home, logged in with topics" "$WEB/" "${P9[web]}" "${P9[tags]}" "${P9[recommend]}"
  run "step09 search: one page" "$(u search)/v1/search?q=python" "${P9[search]}"
  run "step09 recommend: v2, no topics" "$(u recommend)/v2/recommendations" "${P9[recommend]}"
  after step09 "${procs9[@]}"
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
  record note "Step 9's sync latency" "$SYNC_ROW"
  kill "${P9[@]}"; wait "${P9[@]}" 2>/dev/null || true
fi
if [[ " $STEPS " == *" step10 "* ]]; then
  # Step 10's ten programs on the ten ports below BENCH_PORT, in the
  # Procfile's order (web, posts, …, jobs: 5080-5089 by default), each on
  # its own database; the posts are a fresh copy of the bench's 1,000 in
  # `${DB}10` (the job import below adds to them, and must not change the
  # other steps' data). The targets start empty and sync snapshots them.
  declare -A S10=()
  for i in "${!SERVICES10[@]}"; do S10[${SERVICES10[i]}]=$i; done
  P10BASE=$((PORT - 10))
  u10() { echo "http://127.0.0.1:$((P10BASE + S10[$1]))"; }
  DB10=${DB}10
  $BIN/datasets drop "$DB10" "${DB10}_search" "${DB10}_recommend" "${DB10}_tags" "${DB10}_web" \
    "${DB10}_likes" "${DB10}_shares" "${DB10}_hide" "${DB10}_jobs" >/dev/null
  MONGODB_DB=$DB10 $BIN/datasets import datasets/reddit-1000.jsonl >/dev/null 2>&1
  declare -A P10
  start10() { # name, then extra environment
    local name=$1 db; shift
    db=${DB10}_$name; [[ $name == posts ]] && db=$DB10
    env PORT=$((P10BASE + S10[$name])) RUST_LOG=warn MONGODB_DB="$db" POSTS_URL="$(u10 posts)" \
      SEARCH_URL="$(u10 search)" RECOMMEND_URL="$(u10 recommend)" TAGS_URL="$(u10 tags)" \
      LIKES_URL="$(u10 likes)" SHARES_URL="$(u10 shares)" HIDE_URL="$(u10 hide)" JOBS_URL="$(u10 jobs)" \
      "$@" "$BIN/step10-$name" &
    P10[$name]=$!; PIDS+=("$!")
  }
  # restart10 name, then extra environment: the same program with other
  # settings, on the same port and database.
  restart10() {
    local name=$1
    kill "${P10[$name]}"; wait "${P10[$name]}" 2>/dev/null || true
    start10 "$@"
    wait_for "$(u10 "$name")" /health/live
  }
  for s in posts search recommend tags likes shares hide; do start10 $s; done
  for s in posts search recommend tags likes shares hide; do wait_for "$(u10 $s)" /health/ready; done
  start10 sync
  start10 jobs
  start10 web
  for s in jobs web; do wait_for "$(u10 $s)" /health/ready; done
  echo "bench: step10: waiting for sync to snapshot the posts into search and recommend"
  wait_for "$(u10 sync)" /health/ready
  # The memory, 10 s after all are ready (recommend reloads its candidates
  # after sync's last batch, the jobs workers poll their queue).
  sleep 10
  # PSS counts a page shared by several processes (libc, …) once in all.
  pss_kb() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
  procs10() { local s; for s in "${SERVICES10[@]}"; do echo "step10-$s=${P10[$s]}"; done; }
  mapfile -t procs < <(procs10)
  at_rest step10 "${procs[@]}"
  sum10=0 pss10=0
  for s in "${SERVICES10[@]}"; do
    sum10=$((sum10 + $(rss_kb "${P10[$s]}"))) pss10=$((pss10 + $(pss_kb "${P10[$s]}")))
  done
  record note "Step 10's memory, 10 s after all ten were ready" \
    "$((sum10 / 1024)) MiB resident in all (target < 150 MiB), $((pss10 / 1024)) MiB proportional (PSS: a page that several processes share, libc's, counted once)"
  echo "bench: step10: memory $((sum10 / 1024)) MiB for the ten processes"

  # Step 9's rows, on step 10.
  ID=$ITEM
  WEB=$(u10 web)
  run "step10 web: one post" "$WEB/posts/$ID" "${P10[web]}" "${P10[posts]}" "${P10[tags]}" "${P10[likes]}" "${P10[shares]}"
  scale_connections "step10 web: home (anonymous)" "$WEB/" "${P10[web]}" "${P10[recommend]}" "${P10[likes]}" "${P10[shares]}"
  scale_connections "step10 web: search" "$WEB/search_results/python" "${P10[web]}" "${P10[search]}" "${P10[likes]}" "${P10[shares]}"
  cookie10=$(login_with_topics "$WEB")
  COOKIE=$cookie10 run "step10 web: home, logged in with topics" "$WEB/" \
    "${P10[web]}" "${P10[tags]}" "${P10[hide]}" "${P10[recommend]}" "${P10[likes]}" "${P10[shares]}"
  run "step10 search: one page" "$(u10 search)/v1/search?q=python" "${P10[search]}"
  run "step10 recommend: v2, no topics" "$(u10 recommend)/v2/recommendations" "${P10[recommend]}"

  # Waiting, 1: the blocking vs async demo, web with WORKERS=2. wrk's
  # timeout is raised: a blocked request waits its turn behind the others.
  DEMO_C=${BENCH_DEMO_CONNECTIONS:-256} DEMO_MS=${BENCH_DEMO_MS:-100}
  demo_rows=""
  for kind in blocking async; do
    # A fresh web front for each: requests wrk gave up on would still be
    # queued behind the blocked workers.
    restart10 web WORKERS=2
    GROUP=demo CONNECTIONS=$DEMO_C WRK_TIMEOUT=30s run "step10 web: demo $kind, WORKERS=2, $DEMO_C connections" \
      "$WEB/demo/$kind?ms=$DEMO_MS" "${P10[web]}"
    if [[ $kind == blocking ]]; then ceiling=$((2 * 1000 / DEMO_MS)); else ceiling=$((DEMO_C * 1000 / DEMO_MS)); fi
    # Only the 200s count: a request that waited longer than actix's
    # client request timeout (5 s) to be read is answered 408.
    ok=$(awk -v n="$LAST_REQUESTS" -v e="$LAST_NON2XX" -v s="$SECONDS_PER_RUN" 'BEGIN {printf "%.1f", (n - e) / s}')
    demo_rows+="\`/demo/$kind?ms=$DEMO_MS\`: $ok answers 200 a second ($LAST_RPS req/s with $LAST_NON2XX non-2xx) against a ceiling of $ceiling/s"
    demo_rows+=" ($(awk -v r="$ok" -v c="$ceiling" 'BEGIN {printf "%.1f", 100 * r / c}')% of it; "
    [[ $kind == blocking ]] && demo_rows+="workers ÷ latency" || demo_rows+="connections ÷ latency, target ≥ 95%"
    demo_rows+="), p50 $LAST_P50; $LAST_CPU, the machine $LAST_MACHINE busy (all cores, wrk included). "
  done
  restart10 web
  wait_for "$WEB" /health/ready

  # Waiting, 2: the logged-in home page, few connections, without and then
  # with SIMULATED_LATENCY_MS on the five services the page calls; then the
  # same page with FANOUT=sequential (every call after the one before).
  LAT_MS=${BENCH_LATENCY_MS:-100}
  home_runs() { # label
    GROUP=fanout COOKIE=$cookie10 CONNECTIONS=4 run "step10 web: home, logged in, $1, 4 connections" "$WEB/" \
      "${P10[web]}" "${P10[tags]}" "${P10[hide]}" "${P10[recommend]}" "${P10[likes]}" "${P10[shares]}"
  }
  home_runs "no latency"; p50_none=$LAST_P50
  for s in tags likes shares hide recommend; do restart10 $s SIMULATED_LATENCY_MS="$LAT_MS"; done
  for s in tags likes shares hide recommend; do wait_for "$(u10 $s)" /health/ready; done
  home_runs "${LAT_MS} ms latency, FANOUT=concurrent"; p50_conc=$LAST_P50
  restart10 web FANOUT=sequential
  wait_for "$WEB" /health/ready
  home_runs "${LAT_MS} ms latency, FANOUT=sequential"; p50_seq=$LAST_P50
  FANOUT_ROW="median (wrk p50, 4 connections) $p50_none without latency; with $LAT_MS ms on tags, likes, shares, hide and recommend: $p50_conc concurrent (three rounds: at most $((3 * LAT_MS)) ms of waiting; the issue's bound is the no-latency time + 350 ms), $p50_seq one call after another (FANOUT=sequential: tags, hide, recommend, then likes and shares for the 12 posts, five calls of $LAT_MS ms)"
  echo "bench: step10: home: $FANOUT_ROW"
  restart10 web
  for s in tags likes shares hide recommend; do restart10 $s; done
  for s in tags likes shares hide recommend web; do wait_for "$(u10 $s)" /health/ready; done

  # Redirecting: a job import of generated posts through the jobs service,
  # from its 202 until it has succeeded (the GET answers 303), then until
  # sync has carried the posts' oplog head to search and to recommend.
  JOB_POSTS=${BENCH_JOB_POSTS:-$(q 10000 2000)}
  JOB_ROW="(skipped)"
  if [[ "$JOB_POSTS" -gt 0 ]]; then
    echo "bench: step10: importing $JOB_POSTS generated posts through the jobs service"
    hdr=$(mktemp)
    curl -fs -D "$hdr" -o /dev/null -X POST -H 'Content-Type: application/json' \
      -d "{\"generate\": $JOB_POSTS, \"seed\": 10}" "$(u10 jobs)/v1/jobs/import"
    t0=$(date +%s%N)
    loc=$(awk 'tolower($1) == "location:" {print $2}' "$hdr" | tr -d '\r')
    grep -q '^HTTP/[0-9.]* 202' "$hdr" || { echo "bench: the jobs service did not answer 202"; cat "$hdr"; exit 1; }
    rm -f "$hdr"
    while :; do
      code=$(curl -s -o /tmp/bench-job.json -w '%{http_code}' "$(u10 jobs)$loc")
      [[ $code == 303 ]] && break
      status=$(jq -r .status /tmp/bench-job.json 2>/dev/null || echo "?")
      [[ $code == 200 && ( $status == queued || $status == running ) ]] || { echo "bench: the job is $code $status"; cat /tmp/bench-job.json; exit 1; }
      (( ($(date +%s%N) - t0) > 1800000000000 )) && { echo "bench: the job did not finish in 30 min"; exit 1; }
      sleep 0.1
    done
    t1=$(date +%s%N)
    result=$(curl -fs "$(u10 jobs)$loc/result" | jq -c '{read, written, skipped, errors}' 2>/dev/null || echo "?")
    head=$(curl -fs "$(u10 posts)/oplog?sort=-seq&max_results=1&count=none" | jq '._items[0].seq // 0' || echo 0)
    # The last post the job wrote: searchable when search finds it by its title.
    last=$(curl -fs "$(u10 posts)/posts?sort=-_id&max_results=1&count=none")
    last_id=$(jq -r '._items[0]._id' <<<"$last")
    last_q=$(jq -r '._items[0].title | split(" ")[:6] | join(" ") | @uri' <<<"$last")
    t_search="" t_recommend="" t_found=""
    [[ "$last_id" =~ ^[0-9a-f]{24}$ ]] || { echo "bench: posts did not list the last post"; t_found=none; }
    while [[ -z "$t_search" || -z "$t_recommend" || -z "$t_found" ]]; do
      ready=$(curl -s "$(u10 sync)/health/ready" || true)
      now=$(date +%s%N)
      cs=$(jq '.targets.search.checkpoint // -1' <<<"$ready" 2>/dev/null || true)
      cr=$(jq '.targets.recommend.checkpoint // -1' <<<"$ready" 2>/dev/null || true)
      [[ -z "$t_search" ]] && (( ${cs:--1} >= head )) && t_search=$now
      [[ -z "$t_recommend" ]] && (( ${cr:--1} >= head )) && t_recommend=$now
      [[ -z "$t_found" ]] && curl -fs "$(u10 search)/v1/search?q=$last_q&max_results=50" | grep -q "$last_id" && t_found=$now
      (( (now - t1) > 600000000000 )) && { echo "bench: sync did not reach the oplog head in 10 min"; break; }
      sleep 0.1
    done
    secs() { awk -v a="$1" -v t="$t0" 'BEGIN {if (a !~ /^[0-9]+$/) print "n/a"; else printf "%.1f s", (a - t) / 1e9}'; }
    JOB_ROW=$(awk -v n="$JOB_POSTS" -v t0="$t0" -v t1="$t1" 'BEGIN {printf "%d posts in %.1f s from the 202 to succeeded: %d posts/s", n, (t1 - t0) / 1e9, n / ((t1 - t0) / 1e9)}')
    JOB_ROW+=" (result $result); the last post found by search $(secs "$t_found") after the 202; sync's checkpoints at the oplog head ($head) in search $(secs "$t_search"), in recommend $(secs "$t_recommend")"
    echo "bench: step10: job: $JOB_ROW"
  fi
  record note "Step 10's blocking vs async demo (web with WORKERS=2, $DEMO_C connections, ${DEMO_MS} ms a request)" "$demo_rows"
  record note "Step 10's logged-in home page" "$FANOUT_ROW"
  record note "Step 10's job import (\`POST /v1/jobs/import {\"generate\": $JOB_POSTS, \"seed\": 10}\`, default JOBS_BATCH_SIZE and POLL_MS)" "$JOB_ROW"
  mapfile -t procs < <(procs10)
  after step10 "${procs[@]}"
  kill "${P10[@]}"; wait "${P10[@]}" 2>/dev/null || true
fi
# The import rate, last: a large import (and the drop of what it wrote)
# leaves the database busy for a while, and slower runs after it, so no
# HTTP run comes after it. Generated posts into an emptied collection of a
# database of its own (inserts, as a first import does; a re-import would
# measure updates), dropped afterwards.
IMPORT_ROW="skipped (BENCH_IMPORT_POSTS=0)"
if [[ "$IMPORT_POSTS" -gt 0 ]]; then
  GEN=$(mktemp --suffix=.jsonl)
  $BIN/datasets generate --count "$IMPORT_POSTS" --seed 7 -o "$GEN" 2>/dev/null
  echo "bench: importing $IMPORT_POSTS generated posts into an empty ${DB}_import.posts"
  # `datasets import` times itself, from after the emptying to the last write.
  IMPORT_ROW=$(MONGODB_DB=${DB}_import $BIN/datasets import --drop "$GEN" 2>/dev/null | tail -n 1)
  $BIN/datasets drop "${DB}_import" >/dev/null
  rm -f "$GEN"
  echo "bench: import: $IMPORT_ROW"
fi

DBDESC="server at ${MONGODB_URI:-mongodb://127.0.0.1:27017}"
[[ -n "$DBPID" ]] && DBDESC="$DBDESC ($DBNAME, pid $DBPID, on this machine)"
record meta steps "reference $STEPS"
record meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
record meta machine "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
record meta database "$DBDESC, db \`$DB\` (1,000 posts; the posts curves on \`$(sized_db N)\`)"
record meta wrk "wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s --timeout 10s --latency (the scaling curves: -d${SCALE_SECONDS}s)${QUICK:+; QUICK=1, a short run}"
record note "Import" "\`datasets import\` of $IMPORT_POSTS generated posts into an empty \`${DB}_import.posts\`: $IMPORT_ROW"
$BIN/bench-report "$RESULTS" "$REPORT" "$CHARTS"
echo
cat "$REPORT"
