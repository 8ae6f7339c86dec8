#!/usr/bin/env bash
# Validates every step's Kubernetes manifests (step*/k8s/) offline, without
# a cluster:
#
# 1. Each kustomization there (k8s/ and its optional mongodb/, seed/,
#    ingress/) is rendered as `kubectl apply -k` would render it, by
#    `kubectl kustomize` where kubectl is installed; without it, the files
#    the kustomization lists, as they are (the kustomizations use no
#    generators or patches, so that is the same set of objects; anything
#    else in them is refused).
# 2. kubernetes-validate (pinned, installed once into the per-user tool
#    cache; see scripts/tools.sh) checks every object against the
#    Kubernetes JSON schemas it ships, strictly (an unknown field is an
#    error), for each Kubernetes version in K8S_VERSIONS. No schema is
#    downloaded: after the first install this needs no network.
# 3. scripts/check-k8s.py checks what a schema cannot (probes, ports,
#    exposure, settings; its docstring lists them).
#
# Both checks first prove they can fail: deliberately broken manifests
# must be refused, or this script fails. Where the validator cannot be
# installed (no python3, no venv, no PyPI), it says why and skips.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
VERSION="1.34.1"
# The oldest Kubernetes the manifests support, and the newest the pinned
# validator knows.
K8S_VERSIONS="1.31.0 1.34.0"
if ! bin=$(python_tool kubernetes-validate "$VERSION"); then
  echo "k8s: SKIPPED, the Kubernetes manifests are not validated (why: the line above)"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

validate() { # FILE...: the schema check, for every version
  local version
  for version in $K8S_VERSIONS; do
    "$bin/kubernetes-validate" --strict --quiet --no-warn -k "$version" "$@" || return 1
  done
}

# The schema check must refuse a broken manifest: a port given as a string
# where the schema wants a number, and a misspelt field (which a lax
# validator, or `kubectl apply` without server-side validation, ignores).
cat >"$work/broken-port.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: "5000", targetPort: http}]
EOF
cat >"$work/broken-field.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: step10-web:dev
          readinessProbe: {httpGet: {path: /health/ready, port: http}}
          livenessProbe: {httpGett: {path: /health/live, port: http}}
EOF
for broken in broken-port broken-field; do
  if validate "$work/$broken.yaml" >"$work/$broken.out" 2>&1; then
    echo "k8s: self-test FAILED: kubernetes-validate accepted $broken.yaml:"
    sed 's/^/  /' "$work/$broken.yaml"
    exit 1
  fi
done
grep -q "'5000' is not of type 'integer'" "$work/broken-port.out" \
  && grep -q "'httpGett' was unexpected" "$work/broken-field.out" \
  || { echo "k8s: self-test FAILED: kubernetes-validate refused the broken manifests for another reason:"; cat "$work"/broken-*.out; exit 1; }
echo "k8s: self-test: kubernetes-validate refuses a string port and a misspelt field"

# KUBECTL=none checks as a machine without kubectl does.
KUBECTL=${KUBECTL:-kubectl}
render() { # DIR: the kustomization's objects on stdout
  if command -v "$KUBECTL" >/dev/null; then
    "$KUBECTL" kustomize "$1"
  else
    "$bin/python" - "$1" <<'PY'
import pathlib, sys, yaml
root = pathlib.Path(sys.argv[1])
k = yaml.safe_load(open(root / "kustomization.yaml"))
extra = set(k) - {"apiVersion", "kind", "namespace", "resources", "images"}
if extra:
    sys.exit(f"k8s: {root}: cannot render {sorted(extra)} without kubectl (install kubectl)")
for resource in k.get("resources", []):
    print("---")
    print(open(root / resource).read())
PY
  fi
}

command -v "$KUBECTL" >/dev/null \
  || echo "k8s: kubectl not found: validating the files each kustomization lists, as they are (kubectl kustomize renders them where kubectl is installed)"
found=0
for kustomization in step*/k8s/kustomization.yaml; do
  [[ -f "$kustomization" ]] || continue
  found=1
  k8s=$(dirname "$kustomization")
  step=$(dirname "$k8s")
  all="$work/$step.yaml"
  : >"$all"
  rendered=()
  # The system first, then the optional parts beside it.
  for dir in "$k8s" $(find "$k8s" -mindepth 2 -name kustomization.yaml -printf '%h\n' | sort); do
    out="$work/$(echo "$dir" | tr / _).yaml"
    render "$dir" >"$out"
    rendered+=("$out")
    { echo ---; cat "$out"; } >>"$all"
  done
  validate "${rendered[@]}" || { echo "k8s: $k8s: does not match the Kubernetes schemas (above)"; exit 1; }
  echo "k8s: $k8s: $(grep -c '^kind:' "$all") objects in ${#rendered[@]} kustomizations match the Kubernetes $K8S_VERSIONS schemas (strict)"
  "$bin/python" scripts/check-k8s.py "$step" "$all" --self-test
  "$bin/python" scripts/check-k8s.py "$step" "$all"
done
((found)) || echo "k8s: no step*/k8s/kustomization.yaml: nothing to validate"
