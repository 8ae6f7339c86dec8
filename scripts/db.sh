#!/usr/bin/env bash
# Makes a MongoDB-compatible server reachable at $MONGODB_URI, for development and tests.
#
#   scripts/db.sh start   if the URI answers (mongod, a Docker `mongo`), use it; otherwise
#                         install SecantusDB into .dev/venv and start it on the URI's port
#   scripts/db.sh stop    stop only the server that `start` started
#   scripts/db.sh status  say what answers
#
# SecantusDB is beta software: its version is pinned here, on purpose.
set -euo pipefail

SECANTUS_VERSION="0.7.0b3"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEV="$ROOT/.dev"
VENV="$DEV/venv"
DATA="$DEV/secantus-data"
PIDFILE="$DEV/secantus.pid"
LOG="$DEV/secantus.log"
URI="${MONGODB_URI:-mongodb://127.0.0.1:27017}"

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

say() { echo "db: $*"; }

answers() {
  # A TCP connect is enough to tell "something listens"; the apps report
  # anything else (a wrong server) with a clear error of their own.
  (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
}

our_pid() {
  [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && cat "$PIDFILE"
}

install_secantus() {
  if [[ -x "$VENV/bin/secantusd-py" ]] && "$VENV/bin/pip" show secantusdb 2>/dev/null | grep -qx "Version: $SECANTUS_VERSION"; then
    return
  fi
  command -v python3 >/dev/null || { say "python3 is needed to install the development database: apt-get install python3 python3-venv"; exit 1; }
  if [[ ! -x "$VENV/bin/pip" ]]; then
    say "creating $VENV"
    python3 -m venv "$VENV" 2>/dev/null || {
      rm -rf "$VENV"
      say "python3 cannot create a virtual environment: install it with 'apt-get install python3-venv' (Debian/Ubuntu), or start MongoDB yourself (docker compose up -d mongo)"
      exit 1
    }
  fi
  say "installing secantusdb==$SECANTUS_VERSION from PyPI (once)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "secantusdb==$SECANTUS_VERSION" || {
    say "pip could not install secantusdb==$SECANTUS_VERSION; check your network or PyPI access"
    exit 1
  }
}

start() {
  if answers; then
    if pid=$(our_pid); then say "SecantusDB (pid $pid) already answers at $HOST:$PORT"; else say "a server already answers at $HOST:$PORT: using it"; fi
    return
  fi
  case "$HOST" in
    127.0.0.1|localhost|::1) ;;
    *) say "$URI does not answer, and it is not on this machine: start that server, or unset MONGODB_URI"; exit 1 ;;
  esac
  install_secantus
  mkdir -p "$DATA"
  BIND=$HOST; [[ "$BIND" == localhost ]] && BIND=127.0.0.1
  say "starting SecantusDB on $BIND:$PORT (data in ${DATA#"$ROOT"/}, log in ${LOG#"$ROOT"/})"
  # setsid: the server outlives the make process that started it.
  setsid nohup "$VENV/bin/secantusd-py" --host "$BIND" --port "$PORT" --storage-path "$DATA" \
    --log-level WARNING >>"$LOG" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 120); do
    if answers; then say "SecantusDB answers at $HOST:$PORT (pid $(cat "$PIDFILE")); stop it with 'make db-stop'"; return; fi
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      say "SecantusDB exited at start; the end of its log:"; tail -n 20 "$LOG" >&2; rm -f "$PIDFILE"; exit 1
    fi
    sleep 0.5
  done
  say "SecantusDB did not answer within 60 s; see $LOG"; exit 1
}

stop() {
  if pid=$(our_pid); then
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    rm -f "$PIDFILE"
    say "stopped SecantusDB (pid $pid)"
  else
    rm -f "$PIDFILE"
    say "no server started by 'make db' is running (a server you started yourself is left alone)"
  fi
}

status() {
  if answers; then
    if pid=$(our_pid); then say "SecantusDB (pid $pid) answers at $HOST:$PORT"; else say "a server answers at $HOST:$PORT (not started by make db)"; fi
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
