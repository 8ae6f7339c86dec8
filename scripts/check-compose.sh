#!/usr/bin/env bash
# Validates every Compose file of the repository against the Compose
# specification's JSON schema (check-jsonschema, pinned, installed once into
# the per-user tool cache; see scripts/tools.sh). Docker is not needed: this
# checks the files, it does not run them. Where the validator cannot be
# installed (no python3, no venv, no PyPI), it says why and skips.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
VERSION="0.39.0"
if ! bin=$(python_tool check-jsonschema "$VERSION"); then
  echo "compose: SKIPPED, the Compose files are not validated (why: the line above)"
  exit 0
fi
files=$(git ls-files -- 'compose.yaml' '*/compose.yaml' 'docker-compose.yml' '*/docker-compose.yml' 2>/dev/null || true)
[[ -n "$files" ]] || files=compose.yaml
# shellcheck disable=SC2086
"$bin/check-jsonschema" --builtin-schema vendor.compose-spec $files
