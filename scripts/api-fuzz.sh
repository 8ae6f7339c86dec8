#!/usr/bin/env bash
# `make api-fuzz`: the REST engine, then every step 9 service, then step 10's
# new and changed services, against their own OpenAPI documents. schemathesis (an OpenAPI-driven tester, pinned,
# installed once into the per-user tool cache; see scripts/tools.sh)
# generates requests from /openapi.json and fails on any 5xx and on any
# answer the document does not allow. Three ignored tests, each bounded in
# examples and time:
# - `openapi_fuzz` of mongo-rest's tests: its test domain, served on port 0
#   with a database of its own (mongo-rest/tests/api/openapi_fuzz.rs);
# - `fuzz` of step09-system-tests: posts, tags, search, recommend, sync and
#   web all started in one process with fresh databases, a few posts seeded
#   and synced, then each service's document in turn, with the settings of
#   its step09-services/<service>/schemathesis.toml
#   (step09-services/system-tests/tests/system/fuzz.rs);
# - `fuzz` of step10-system-tests: all ten step 10 services in one process,
#   a few posts, likes, a share and a hidden post seeded, then likes,
#   shares, hide, web and jobs (the services step 10 adds or changes; the
#   others are step 9's code, fuzzed above), with the settings of each
#   step10-async/<service>/schemathesis.toml
#   (step10-async/system-tests/tests/system/fuzz.rs), about 3 minutes.
# Where schemathesis cannot be installed (no python3, no venv, no PyPI), it
# says why and skips.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/scripts/tools.sh"
VERSION="4.32.5"
if ! bin=$(python_tool schemathesis "$VERSION"); then
  echo "api-fuzz: SKIPPED, the OpenAPI document is not checked (why: the line above)"
  exit 0
fi
cd "$ROOT"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Runs one ignored fuzz test; fails unless it ran and passed. On a failure,
# schemathesis' failure sections are repeated last, where a CI log's tail
# shows them (the test's own output ends with a backtrace and the services'
# shutdown lines).
fuzz() {
  local what=$1 package=$2 test=$3 filter=$4
  if SCHEMATHESIS="$bin/schemathesis" ${CARGO:-cargo} test -p "$package" --test "$test" "$filter" -- --ignored --nocapture 2>&1 | tee "$log" \
    && grep -q "test result: ok. 1 passed" "$log"; then
    return 0
  fi
  # A filter that matched no test would pass without checking anything.
  if ! grep -q "test result: " "$log" || grep -q "test result: ok. 0 passed" "$log"; then
    echo "api-fuzz: $what's fuzz test did not run"
    exit 1
  fi
  echo "api-fuzz: $what's fuzz FAILED; schemathesis' failures, again:"
  sed -n '/: FAILED (/p; /=== FAILURES ===/,/=== SUMMARY ===/p' "$log" | grep -v '^\[20' | head -n 150
  exit 1
}
fuzz "the REST engine" mongo-rest api openapi_fuzz
fuzz "step 9" step09-system-tests system fuzz
fuzz "step 10" step10-system-tests system fuzz
