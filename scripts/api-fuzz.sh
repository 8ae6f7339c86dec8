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
SCHEMATHESIS="$bin/schemathesis" ${CARGO:-cargo} test -p mongo-rest --test api openapi_fuzz -- --ignored --nocapture 2>&1 | tee "$log"
# A filter that matched no test would pass without checking anything.
grep -q "test result: ok. 1 passed" "$log" || { echo "api-fuzz: the openapi_fuzz test did not run"; exit 1; }
SCHEMATHESIS="$bin/schemathesis" ${CARGO:-cargo} test -p step09-system-tests --test system fuzz -- --ignored --nocapture 2>&1 | tee "$log"
grep -q "test result: ok. 1 passed" "$log" || { echo "api-fuzz: step 9's fuzz test did not run"; exit 1; }
SCHEMATHESIS="$bin/schemathesis" ${CARGO:-cargo} test -p step10-system-tests --test system fuzz -- --ignored --nocapture 2>&1 | tee "$log"
grep -q "test result: ok. 1 passed" "$log" || { echo "api-fuzz: step 10's fuzz test did not run"; exit 1; }
