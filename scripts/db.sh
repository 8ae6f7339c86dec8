#!/usr/bin/env bash
# Makes a MongoDB-compatible server reachable at $MONGODB_URI, for development and tests.
#
#   scripts/db.sh start   if the URI answers (mongod, a Docker `mongo`), use it; otherwise
#                         start SecantusDB's Rust server on the URI's port (built once,
#                         pinned), or its Python server when the Rust one cannot be built
#   scripts/db.sh stop    stop only the server that `start` started on that port
#   scripts/db.sh status  say what answers, and which server it is
#
#   DB_SERVER              unset: the Rust server, falling back to the Python one,
#                          loudly, when it cannot be built; rust: the Rust server
#                          or a failure (CI); python: the Python server
#
# Every port has its own folder, .dev/db-<port>/: the data (one folder per
# server kind, their files differ), the pid file, the log, and which kind runs.
# Two development servers of one checkout therefore run side by side.
#
# SecantusDB is beta software: both versions are pinned here, on purpose. The
# Rust server declares rustc 1.98 but builds and runs with older compilers;
# `--ignore-rust-version` lets cargo try, and `--locked` keeps its tested
# dependency versions.
set -euo pipefail

RUST_SERVER_VERSION="0.5.3-beta.196" # crate secantus-mdb, binary secantusd-rs
PYTHON_SERVER_VERSION="0.7.0b3"      # PyPI secantusdb, binary secantusd-py
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools.sh
source "$ROOT/scripts/tools.sh"
URI="${MONGODB_URI:-mongodb://127.0.0.1:27017}"
RUST_ROOT="$TOOLS_CACHE/secantusd-rs-$RUST_SERVER_VERSION"
RUST_BIN="$RUST_ROOT/bin/secantusd-rs"

# host and port of the first host in the URI (mongodb://[user:pass@]host[:port][,…][/db][?…])
hostport=${URI#*://}
hostport=${hostport#*@}
hostport=${hostport%%[/?,]*}
if [[ "$hostport" == \[* ]]; then   # [::1]:27017
  HOST=${hostport%%]*}; HOST=${HOST#[}
  rest=${hostport#*]}
else
  HOST=${hostport%%:*}
  rest=${hostport#"$HOST"}
fi
PORT=27017
[[ "$rest" == :* ]] && PORT=${rest#:}

DIR="$ROOT/.dev/db-$PORT"
PIDFILE="$DIR/server.pid"
KINDFILE="$DIR/server.kind"
LOG="$DIR/server.log"

say() { echo "db: $*"; }
shout() { # a message nobody should miss
  echo "db: ===================================================================="
  local line; for line in "$@"; do echo "db: $line"; done
  echo "db: ===================================================================="
}
rel() { local p=${1#"$ROOT"/}; echo "${p/#$HOME/\~}"; }

answers() {
  # A TCP connect is enough to tell "something listens"; the apps report
  # anything else (a wrong server) with a clear error of their own.
  (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
}

our_pid() {
  [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && cat "$PIDFILE"
}

describe() { # describe KIND
  case "$1" in
    rust) echo "SecantusDB Rust server (secantusd-rs $RUST_SERVER_VERSION)" ;;
    python) echo "SecantusDB Python server (secantusdb $PYTHON_SERVER_VERSION)" ;;
    *) echo "SecantusDB" ;;
  esac
}

# Why the Rust server cannot be built here, with what to install; empty when it can.
rust_missing() {
  local missing=()
  command -v "$CARGO" >/dev/null || missing+=("cargo (https://rustup.rs)")
  command -v cmake >/dev/null || missing+=("cmake (apt-get install cmake; macOS: brew install cmake)")
  command -v cc >/dev/null || command -v gcc >/dev/null || command -v clang >/dev/null ||
    missing+=("a C compiler (apt-get install build-essential; macOS: xcode-select --install)")
  ((${#missing[@]} == 0)) || printf '%s\n' "${missing[@]}"
}

# Builds secantusd-rs into the per-user cache, once (see cargo_tool).
build_rust_server() {
  [[ -x "$RUST_BIN" ]] && return 0
  local missing; missing=$(rust_missing)
  if [[ -n "$missing" ]]; then
    FALLBACK_REASON=("the Rust development server (secantusd-rs) needs, to be built:" "${missing//$'\n'/; }")
    return 1
  fi
  say "the development server secantusd-rs is built once per machine: about 7 to 15 minutes on 2 cores"
  if ! cargo_tool secantus-mdb "$RUST_SERVER_VERSION" secantusd-rs --ignore-rust-version >/dev/null; then
    FALLBACK_REASON=("the Rust development server (secantusd-rs $RUST_SERVER_VERSION) did not build: see $(rel "$TOOLS_CACHE/secantusd-rs-$RUST_SERVER_VERSION.build.log")"
      "(it needs network access to crates.io the first time, cmake and a C compiler)")
    return 1
  fi
}

# Sets SERVER_CMD (the command line without the listening flags) and KIND.
choose_server() {
  local wanted=${DB_SERVER:-}
  FALLBACK_REASON=()
  case "$wanted" in
    "" | rust)
      if build_rust_server; then
        KIND=rust SERVER_CMD=("$RUST_BIN")
        return
      fi
      if [[ "$wanted" == rust ]]; then
        say "${FALLBACK_REASON[@]}"
        say "DB_SERVER=rust: no fallback to the Python server"
        exit 1
      fi
      shout "${FALLBACK_REASON[@]}" \
        "FALLING BACK to the Python server (secantusdb $PYTHON_SERVER_VERSION): it works, but is" \
        "10-60x slower on counts, sorted pages and writes, and the tests take longer." \
        "Install what is named above and run 'make db-stop db' to switch."
      ;;
    python) ;;
    *) say "DB_SERVER must be rust or python, not '$wanted'"; exit 2 ;;
  esac
  local bin
  bin=$(python_tool secantusdb "$PYTHON_SERVER_VERSION") || {
    say "no development server could be started: install what is named above, or start MongoDB yourself (docker compose up -d mongo)"
    exit 1
  }
  KIND=python SERVER_CMD=("$bin/secantusd-py")
}

start() {
  if answers; then
    if pid=$(our_pid); then
      say "$(describe "$(cat "$KINDFILE" 2>/dev/null)") (pid $pid) already answers at $HOST:$PORT"
    else
      say "a server already answers at $HOST:$PORT: using it"
    fi
    return
  fi
  case "$HOST" in
    127.0.0.1|localhost|::1) ;;
    *) say "$URI does not answer, and it is not on this machine: start that server, or unset MONGODB_URI"; exit 1 ;;
  esac
  if pid=$(our_pid); then
    say "the server started here earlier (pid $pid) runs but does not answer at $HOST:$PORT; stopping it"
    stop
  fi
  choose_server
  local data="$DIR/data-$KIND"
  mkdir -p "$data"
  BIND=$HOST; [[ "$BIND" == localhost ]] && BIND=127.0.0.1
  say "starting the $(describe "$KIND") on $BIND:$PORT (data in $(rel "$data"), log in $(rel "$LOG"))"
  # setsid: the server outlives the make process that started it. RUST_LOG is
  # the workshop's setting for its own programs, not for the database.
  env -u RUST_LOG setsid nohup "${SERVER_CMD[@]}" --host "$BIND" --port "$PORT" --storage-path "$data" \
    --log-level WARNING >>"$LOG" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PIDFILE"
  echo "$KIND" >"$KINDFILE"
  for _ in $(seq 1 120); do
    if answers; then say "$(describe "$KIND") answers at $HOST:$PORT (pid $pid); stop it with 'make db-stop'"; return; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      say "the server exited at start; the end of $(rel "$LOG"):"; tail -n 20 "$LOG" | sed 's/^/db:   | /' >&2
      rm -f "$PIDFILE" "$KINDFILE"; exit 1
    fi
    sleep 0.5
  done
  say "the server did not answer within 60 s; see $(rel "$LOG")"; exit 1
}

stop() {
  if pid=$(our_pid); then
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    say "stopped the $(describe "$(cat "$KINDFILE" 2>/dev/null)") on port $PORT (pid $pid)"
    rm -f "$PIDFILE" "$KINDFILE"
  else
    rm -f "$PIDFILE" "$KINDFILE"
    say "no server started by 'make db' runs on port $PORT (a server you started yourself is left alone)"
  fi
}

status() {
  if answers; then
    if pid=$(our_pid); then
      say "$(describe "$(cat "$KINDFILE" 2>/dev/null)") (pid $pid) answers at $HOST:$PORT, started by make db"
    else
      say "a server answers at $HOST:$PORT, not started by make db (your mongod, Docker's mongo, or another checkout's)"
    fi
  else
    say "nothing answers at $HOST:$PORT: run 'make db'"; exit 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
