#!/usr/bin/env bash
# Validates every Compose file of the repository against the Compose
# specification's JSON schema (check-jsonschema, pinned, in .dev/tools).
# Docker is not needed: this checks the files, it does not run them.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="0.39.0"
TOOLS=.dev/tools
if [[ ! -x "$TOOLS/bin/check-jsonschema" ]] || ! "$TOOLS/bin/pip" show check-jsonschema 2>/dev/null | grep -qx "Version: $VERSION"; then
  if ! command -v python3 >/dev/null || ! python3 -m venv "$TOOLS" 2>/dev/null; then
    rm -rf "$TOOLS"
    echo "compose: skipped: python3 with venv is needed to validate compose.yaml (apt-get install python3-venv)"
    exit 0
  fi
  "$TOOLS/bin/pip" install --quiet --disable-pip-version-check "check-jsonschema==$VERSION"
fi
files=$(git ls-files -- 'compose.yaml' '*/compose.yaml' 'docker-compose.yml' '*/docker-compose.yml' 2>/dev/null || true)
[[ -n "$files" ]] || files=compose.yaml
# shellcheck disable=SC2086
"$TOOLS/bin/check-jsonschema" --builtin-schema vendor.compose-spec $files
