#!/usr/bin/env bash
# One page's Server-Timing, drawn as the browser's developer tools draw it
# (Network, the document, Timing, "Server Timing"): one bar per entry, each
# from the left edge (the header has durations, not start times), then the
# sum of the service calls against `total`, the whole request.
#
#   scripts/timing-view.sh [URL] [USER]
#
# URL defaults to the home page of `make step09` / `make step10`
# (http://127.0.0.1:5000/). With USER, it logs in as USER first (the login
# form and its CSRF token, as a browser does), so the page is the logged-in
# one. In step 09 the calls follow each other and add up to about `total`;
# in step 10 (`SIMULATED_LATENCY_MS=100 make step10` shows it best) they
# overlap and add up to more.
set -euo pipefail
url=${1:-http://127.0.0.1:5000/}
user=${2:-}
base=${url%/}
base=$(printf '%s' "$base" | sed -E 's#^(https?://[^/]+).*#\1#')
jar=$(mktemp)
headers=$(mktemp)
trap 'rm -f "$jar" "$headers"' EXIT

if [ -n "$user" ]; then
  token=$(curl -fsS -c "$jar" -b "$jar" "$base/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
  [ -n "$token" ] || { echo "timing-view: no CSRF token in $base/login" >&2; exit 1; }
  curl -fsS -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$token" \
    --data-urlencode "username=$user" --data-urlencode "next=/" "$base/login"
fi
# Twice: the first view warms the connections between the services.
curl -fsS -o /dev/null -b "$jar" "$url"
waited=$(curl -fsS -o /dev/null -D "$headers" -b "$jar" -w '%{time_total}' "$url")
timing=$(grep -i '^server-timing:' "$headers" | cut -d: -f2- | tr -d '\r')
[ -n "$timing" ] || { echo "timing-view: $url answered no Server-Timing header" >&2; exit 1; }

# Entries are separated by commas outside quotes (a description may hold
# commas: the post ids of one counts call).
printf '%s\n' "$timing" | awk -v url="$url" -v user="$user" -v waited="$waited" '
  function entry(e,    name, desc, dur) {
    gsub(/^ +| +$/, "", e)
    if (e == "") return
    name = e; sub(/;.*/, "", name)
    desc = ""; if (match(e, /desc="[^"]*"/)) desc = substr(e, RSTART + 6, RLENGTH - 7)
    dur = 0; if (match(e, /dur=[0-9.]+/)) dur = substr(e, RSTART + 4, RLENGTH - 4) + 0
    n++; names[n] = name; descs[n] = desc; durs[n] = dur
    if (dur > max) max = dur
    if (name == "total") total = dur; else if (name != "render") calls += dur
  }
  {
    quoted = 0; current = ""
    for (i = 1; i <= length($0); i++) {
      c = substr($0, i, 1)
      if (c == "\"") quoted = !quoted
      if (c == "," && !quoted) { entry(current); current = "" } else current = current c
    }
    entry(current)
  }
  END {
    width = 40
    printf "%s%s\n\n", url, (user != "" ? " (logged in as " user ")" : "")
    for (i = 1; i <= n; i++) {
      bar = ""; len = (max > 0 ? int(durs[i] / max * width + 0.5) : 0)
      if (len == 0 && durs[i] > 0) len = 1
      for (k = 0; k < width; k++) bar = bar (k < len ? "█" : " ")
      printf "%-10s %s %9.2f ms  %s\n", names[i], bar, durs[i], substr(descs[i], 1, 60)
    }
    printf "\nthe service calls add up to %.2f ms; ", calls
    if (total > 0) printf "the whole request took %.2f ms on the server (%.1f×)", total, calls / total
    else printf "the page sends no total entry"
    printf "; curl waited %.2f ms for the page\n", waited * 1000
  }'
