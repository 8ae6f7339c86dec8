# Sourced by the scripts: the project's pinned tools, built or downloaded once
# per user into a cache outside the clone, and reused by every clone on the
# machine while their pinned version is there. `make clean` does not touch it.
#
#   TOOLS_CACHE   where they go (default: ${XDG_CACHE_HOME:-~/.cache}/mongo-workshop)
#
# Each tool lives in a folder named after its version, so a new pin installs
# beside the old one and never half-replaces it.

TOOLS_CACHE=${TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mongo-workshop}

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
    echo "python3 is needed for $package: apt-get install python3 python3-venv" >&2
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
    echo "python3 cannot create a virtual environment for $package: apt-get install python3-venv" >&2
    return 1
  fi
  echo "installing $package==$version into ${venv/#$HOME/\~} (once)" >&2
  if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "$package==$version" >&2; then
    rm -rf "$venv"
    tool_unlock
    echo "pip could not install $package==$version: check your network or PyPI access" >&2
    return 1
  fi
  touch "$venv/.complete"
  tool_unlock
  echo "$venv/bin"
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
