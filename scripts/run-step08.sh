#!/usr/bin/env bash
# `make step08`: the REST API and the web front together, one terminal.
#
# Builds both programs, starts step08-api in the background and step08-web
# in the foreground, with each log line prefixed by its program. Ctrl-C (or
# either program exiting) stops both.
#
#   API_PORT=5002 WEB_PORT=5000   where they listen
#   DOMAIN=step08-rest/domains/reddit.toml   what the API serves
#   CARGO_PROFILE=dev   or release
set -euo pipefail
cd "$(dirname "$0")/.."

API_PORT=${API_PORT:-5002}
WEB_PORT=${WEB_PORT:-5000}
PROFILE=${CARGO_PROFILE:-dev}
DIR=$([[ "$PROFILE" == dev ]] && echo debug || echo "$PROFILE")

cargo build --profile "$PROFILE" -p step08-rest --bins
BIN=target/$DIR

prefix() { while IFS= read -r line; do printf '%s %s\n' "$1" "$line"; done; }

PORT=$API_PORT "$BIN/step08-api" > >(prefix "[api]") 2>&1 &
API=$!
# Both stop together: on Ctrl-C, on an error, or when one of them exits.
trap 'kill $API $WEB 2>/dev/null || true; wait 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$API_PORT/health" >/dev/null 2>&1 && break
  kill -0 $API 2>/dev/null || { echo "step08: the API did not start (see the [api] lines above)"; exit 1; }
  sleep 0.1
done
PORT=$WEB_PORT API_URL=${API_URL:-http://127.0.0.1:$API_PORT} "$BIN/step08-web" > >(prefix "[web]") 2>&1 &
WEB=$!
echo "step08: API at http://127.0.0.1:$API_PORT, pages at http://127.0.0.1:$WEB_PORT (Ctrl-C stops both)"
# Returns as soon as either program exits; the trap stops the other.
wait -n $API $WEB
