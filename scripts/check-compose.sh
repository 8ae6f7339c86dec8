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

# What the schema cannot say, for the files of the split steps (step 9 on):
# only the web front publishes a port (so every other service can be
# scaled with `--scale`), no service pins a container name (which would
# forbid a second instance), every long-running service has a health
# check on its /health/ready, and every `*_URL` a service's code reads
# (its crate beside the file, named as the service) is set for it.
for file in $files; do
  case "$file" in step0[0-8]*|compose.yaml) continue ;; esac
  "$bin/python" - "$file" <<'PY'
import pathlib
import re
import sys
from ruamel.yaml import YAML

path = sys.argv[1]
step = pathlib.Path(path).parent
services = YAML(typ="safe").load(open(path))["services"]
problems = []
for name, service in services.items():
    if "container_name" in service:
        problems.append(f"{name}: container_name forbids --scale")
    if service.get("ports") and name != "web":
        problems.append(f"{name}: publishes a port; only web may (the others are scaled and internal)")
    if name in ("mongo", "seed"):
        continue
    test = " ".join(service.get("healthcheck", {}).get("test", []))
    if "/health/ready" not in test:
        problems.append(f"{name}: no health check on /health/ready")
    src = step / name / "src"
    reads = set()
    for rs in src.rglob("*.rs") if src.is_dir() else []:
        reads |= set(re.findall(r'"([A-Z][A-Z0-9]*_URL)"', rs.read_text()))
    for var in sorted(reads - set(service.get("environment") or {})):
        problems.append(f"{name}: {var} is not set (its code reads it)")
if "web" not in services or not services["web"].get("ports"):
    problems.append("web: the front must publish its port")
if problems:
    print(f"compose: {path}:\n  " + "\n  ".join(problems))
    sys.exit(1)
print(f"compose: {path}: only web is published, every service is scalable, checks /health/ready and has the URLs it reads")
PY
done
