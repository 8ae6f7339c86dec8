# Sourced by the scripts: the project's pinned tools, built or downloaded once
# per user into a cache outside the clone, and reused by every clone on the
# machine while their pinned version is there. `make clean` does not touch it.
#
#   TOOLS_CACHE   where they go (default: ${XDG_CACHE_HOME:-~/.cache}/mongo-workshop)
#
# Each tool lives in a folder named after its version, so a new pin installs
# beside the old one and never half-replaces it.

TOOLS_CACHE=${TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mongo-workshop}
CARGO=${CARGO:-cargo}

# tool_say MESSAGE: a line on stderr, prefixed with the calling script's name
# (`db:`, `docs:`), so that stdout stays the tool's path.
tool_say() { echo "$(basename "$0" .sh): $*" >&2; }

# python_tool NAME VERSION [PACKAGE]: prints the bin/ folder of a virtual
# environment holding PACKAGE==VERSION (PACKAGE defaults to NAME), creating it
# the first time. Returns 1, with the reason on stderr, when python3, venv or
# pip cannot do it; a half-made environment is removed.
python_tool() {
  local name=$1 version=$2 package=${3:-$1}
  local venv="$TOOLS_CACHE/py-$name-$version"
  if [[ -f "$venv/.complete" ]]; then
    echo "$venv/bin"
    return 0
  fi
  if ! command -v python3 >/dev/null; then
    tool_say "python3 is needed for $package: apt-get install python3 python3-venv"
    return 1
  fi
  mkdir -p "$TOOLS_CACHE"
  tool_lock "py-$name-$version"
  if [[ -f "$venv/.complete" ]]; then # another clone installed it meanwhile
    tool_unlock
    echo "$venv/bin"
    return 0
  fi
  rm -rf "$venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    rm -rf "$venv"
    tool_unlock
    tool_say "python3 cannot create a virtual environment for $package: apt-get install python3-venv"
    return 1
  fi
  tool_say "installing $package==$version into ${venv/#$HOME/\~} (once)"
  if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "$package==$version" >&2; then
    rm -rf "$venv"
    tool_unlock
    tool_say "pip could not install $package==$version: check your network or PyPI access"
    return 1
  fi
  touch "$venv/.complete"
  tool_unlock
  echo "$venv/bin"
}

# cargo_tool CRATE VERSION BINARY [cargo install flags...]: prints the path of
# BINARY from CRATE@VERSION (`--locked`), building it the first time into
# $TOOLS_CACHE/BINARY-VERSION/. The build's target folder stays in the cache
# until it succeeds, so an interrupted build resumes; its log is
# $TOOLS_CACHE/BINARY-VERSION.build.log, and a line every minute says how far
# it got. Returns 1, with the end of the log on stderr, when it fails.
cargo_tool() {
  local crate=$1 version=$2 binary=$3
  shift 3
  local name="$binary-$version"
  local root="$TOOLS_CACHE/$name" build="$TOOLS_CACHE/build-$name" log="$TOOLS_CACHE/$name.build.log"
  if [[ -x "$root/bin/$binary" ]]; then
    echo "$root/bin/$binary"
    return 0
  fi
  tool_lock "$name"
  if [[ -x "$root/bin/$binary" ]]; then # another clone built it meanwhile
    tool_unlock
    echo "$root/bin/$binary"
    return 0
  fi
  tool_say "building $crate $version (once per machine: every later run, in any clone, reuses"
  tool_say "  ${root/#$HOME/\~}/bin/$binary; build log: ${log/#$HOME/\~})"
  local started=$SECONDS status=0
  "$CARGO" install "$crate@$version" --locked --root "$root" --target-dir "$build" "$@" >"$log" 2>&1 &
  local cargo_pid=$!
  # shellcheck disable=SC2064
  trap "kill $cargo_pid 2>/dev/null || true" INT TERM
  while kill -0 "$cargo_pid" 2>/dev/null; do
    sleep 5
    if (((SECONDS - started) % 60 < 5)); then
      tool_say "  still building $binary: $(grep -c '^ *Compiling' "$log" || true) crates compiled, $(((SECONDS - started) / 60)) min so far"
    fi
  done
  wait "$cargo_pid" || status=$?
  trap - INT TERM
  tool_unlock
  if ((status != 0)) || [[ ! -x "$root/bin/$binary" ]]; then
    tool_say "building $crate $version failed; the end of its log:"
    tail -n 15 "$log" | sed "s/^/$(basename "$0" .sh):   | /" >&2
    return 1
  fi
  rm -rf "$build"
  tool_say "built $binary in $(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s"
  echo "$root/bin/$binary"
}

# tool_lock NAME / tool_unlock: one install of a tool at a time across the
# clones of this machine (flock, where the system has it).
tool_lock() {
  mkdir -p "$TOOLS_CACHE"
  command -v flock >/dev/null || return 0
  exec {TOOL_LOCK_FD}>"$TOOLS_CACHE/$1.lock"
  flock "$TOOL_LOCK_FD"
}
tool_unlock() {
  [[ -n "${TOOL_LOCK_FD:-}" ]] || return 0
  exec {TOOL_LOCK_FD}>&-
  TOOL_LOCK_FD=
}
