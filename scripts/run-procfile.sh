#!/usr/bin/env bash
# Runs the programs of a step together from its Procfile, with honcho (a
# Procfile runner, pinned, installed once into the per-user tool cache; see
# scripts/tools.sh): one terminal, every log line prefixed with its program,
# Ctrl-C stops them all, and when one of them exits (a port already taken, a
# bad setting) honcho stops the others and exits with its status.
#
#   scripts/run-procfile.sh step08-rest/Procfile
#   scripts/run-procfile.sh step09-services/Procfile -c search=2,web=2
#
# Arguments after the Procfile go to `honcho start` (`-c NAME=N` runs N
# instances of a line). honcho's base port is 5000: instance k of the n-th
# line gets PORT=5000 + 100·n + k, which a Procfile line may use.
#
#   CARGO_PROFILE=dev   or release: which build the Procfile's $BIN points at
#                       (the caller builds it first)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/scripts/tools.sh"
HONCHO_VERSION="2.0.0"
PROCFILE=${1:?usage: $0 PROCFILE [honcho start options]}
shift
PROFILE=${CARGO_PROFILE:-dev}
[[ "$PROFILE" == dev ]] && dir=debug || dir=$PROFILE
# The Procfile's commands start the programs from $BIN.
export BIN="$ROOT/target/$dir"
bin=$(python_tool honcho "$HONCHO_VERSION") || {
  echo "run: honcho, the Procfile runner, could not be installed (above: why). Start each line of $PROCFILE in a terminal of its own instead."
  exit 1
}
cd "$ROOT"
colour=()
[[ -t 1 ]] || colour=(--no-colour) # plain text into a log or a pipe
exec "$bin/honcho" "${colour[@]}" -f "$PROCFILE" -d "$ROOT" start -p 5000 "$@"
