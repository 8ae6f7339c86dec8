#!/usr/bin/env bash
# `make docs` and `make docs-check`: builds the workshop guide with mdBook and
# checks every link of the built book with lychee (offline: files and anchors
# of the book and the repository, no network). Both tools are pinned and built
# once per machine into the per-user tool cache (see scripts/tools.sh).
#
#   scripts/docs.sh build   the book, into target/book/
#   scripts/docs.sh check   the book, then its links and anchors
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/scripts/tools.sh"
MDBOOK_VERSION="0.5.4"
LYCHEE_VERSION="0.24.2"

# mdBook includes nothing, silently, for an {{#include FILE:NAME}} whose
# FILE has no `ANCHOR: NAME` line: every such anchor must exist.
check_anchors() {
  local chapter spec file anchor missing=0
  for chapter in "$ROOT"/docs/src/*.md; do
    while read -r spec; do
      file=${spec%%:*} anchor=${spec#*:}
      if ! grep -q "ANCHOR: $anchor\b" "$ROOT/docs/src/$file" 2>/dev/null; then
        echo "docs: ${chapter#"$ROOT"/} includes $file:$anchor, but $file has no 'ANCHOR: $anchor'"
        missing=1
      fi
    done < <(grep -o '{{#include [^}: ]*:[A-Za-z_][A-Za-z0-9_-]*}}' "$chapter" | sed -E 's/^\{\{#include //; s/\}\}$//')
  done
  return "$missing"
}

build() {
  check_anchors
  local mdbook
  mdbook=$(cargo_tool mdbook "$MDBOOK_VERSION" mdbook --no-default-features --features search)
  # mdBook only warns about a missing {{#include}} file and builds anyway:
  # here any warning or error fails the build.
  local log
  log=$("$mdbook" build "$ROOT/docs" 2>&1) || { echo "$log"; return 1; }
  echo "$log"
  if grep -qE '(WARN|ERROR)' <<<"$log"; then
    echo "docs: mdBook warned (above): fix the chapter"
    return 1
  fi
  # The chapters link to files of the repository (`../../step08-rest/README.md`),
  # which work on GitHub and, since the book is built two folders below the
  # root like docs/src/, in the built book opened from disk. mdBook rewrites
  # every link to a .md file into .html, which exists only for its own
  # chapters: point the links that leave the book (`../../`) at the .md again
  # (only where the repository has that .md and no such .html).
  local target
  grep -ho 'href="\.\./\.\./[^"#]*\.html' "$ROOT"/target/book/*.html | sort -u | while read -r target; do
    target=${target#href=\"../../}
    target=${target%.html}
    if [[ -f "$ROOT/$target.md" && ! -e "$ROOT/$target.html" ]]; then
      sed -i "s#href=\"\.\./\.\./$target\.html#href=\"../../$target.md#g" "$ROOT"/target/book/*.html
    fi
  done
}

check() {
  build
  local lychee
  lychee=$(cargo_tool lychee "$LYCHEE_VERSION" lychee --no-default-features)
  # --offline: only links to files (the book's pages and the repository's
  # files they point at) are checked, each with its #anchor; web links are
  # listed as excluded, never fetched.
  "$lychee" --offline --include-fragments --no-progress --root-dir "$ROOT/target/book" "$ROOT/target/book"
}

case "${1:-}" in
  build) build ;;
  check) check ;;
  *) echo "usage: $0 build|check" >&2; exit 2 ;;
esac
