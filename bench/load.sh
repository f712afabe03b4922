#!/usr/bin/env bash
# copbook serve under load, on loopback only, bounded in time.
#
#   bench/load.sh [PAGES] [SECONDS] [CONNECTIONS]      (defaults 1000 30 64)
#
# Generates a handbook of PAGES pages (bench/gen_corpus.py) in /dev/shm,
# starts `copbook serve` on 127.0.0.1, and runs wrk (Debian's `wrk`) for
# SECONDS with CONNECTIONS connections over a mixed list of page URLs
# (bench/load.lua picks one at random per request) while
#   - a loop saves a page every 200 ms (prose edits, and every third save a
#     title edit, which rebuilds the whole site), and
#   - an SSE client (curl -N) stays connected to /__copbook/events.
# Prints requests/s, latency, socket errors, non-2xx responses, serve's
# RSS before, during (max) and after, and the reload events the stream got
# (and that it still gets one after the run). COPBOOK=path/to/copbook
# overrides the binary (default: target/release/copbook, built if missing).
set -euo pipefail

PAGES=${1:-1000}
SECS=${2:-30}
CONNS=${3:-64}
HERE=$(cd "$(dirname "$0")/.." && pwd)
BIN=${COPBOOK:-$HERE/target/release/copbook}
BOOK=/dev/shm/copbook-load-$PAGES
WORK=$(mktemp -d /tmp/copbook-load.XXXXXX)
PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
[ -x "$BIN" ] || (cd "$HERE" && cargo build --release --quiet)

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

rm -rf "$BOOK"
python3 "$HERE/bench/gen_corpus.py" "$PAGES" "$BOOK" >/dev/null

"$BIN" serve "$BOOK" -p "$PORT" 2>"$WORK/serve.log" &
SERVE=$!
PIDS+=("$SERVE")
for _ in $(seq 1 600); do
  grep -q '^serving ' "$WORK/serve.log" 2>/dev/null && curl -sf -o /dev/null "http://127.0.0.1:$PORT/" && break
  sleep 0.1
done
grep -q '^serving ' "$WORK/serve.log" || { cat "$WORK/serve.log"; exit 1; }
head -n 3 "$WORK/serve.log"

# Every page of the site, from handbook.json: answer pages, phases,
# members, roles, norms, and the index pages.
curl -sf "http://127.0.0.1:$PORT/handbook.json" | python3 -c '
import json, sys
h = json.load(sys.stdin)
urls = ["/", "/members/", "/roles/", "/norms/", "/progress/", "/print/"]
for k in ("phases", "pages", "members", "roles", "norms", "cases"):
    urls += ["/" + x["url"] for x in h.get(k, [])]
print("\n".join(u.replace("//", "/") for u in urls))' > "$WORK/paths.txt"
echo "URLs: $(wc -l < "$WORK/paths.txt") ($WORK/paths.txt)"
# Every URL answers 200 before the run.
bad=0
while read -r u; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$u")
  [ "$code" = 200 ] || { echo "before the run: $u -> $code"; bad=$((bad + 1)); }
done < "$WORK/paths.txt"
[ "$bad" = 0 ] || exit 1

curl -sN "http://127.0.0.1:$PORT/__copbook/events" > "$WORK/sse.log" &
SSE=$!
PIDS+=("$SSE")

# Warm up, then the memory baseline.
wrk -t2 -c"$CONNS" -d3s -s "$HERE/bench/load.lua" "http://127.0.0.1:$PORT" -- "$WORK/paths.txt" >/dev/null
RSS_BEFORE=$(ps -o rss= -p "$SERVE" | tr -d ' ')

# The editor: one save every 200 ms for the length of the run, written to
# a hidden file beside the page (ignored by copbook) and renamed over it,
# so that the page is replaced in one step (a `mv` across file systems
# would copy, and a rebuild could see the page missing or half written).
PAGE=$(find "$BOOK/content" -name '*.md' -path '*/0*' ! -name '_phase.md' | sort | awk 'NR == 1')
ORIG=$(cat "$PAGE")
EDIT="$(dirname "$PAGE")/.edit.tmp"
(
  i=0
  end=$((SECONDS + SECS))
  while [ $SECONDS -lt $end ]; do
    if [ $((i % 3)) = 2 ]; then
      printf '%s\n' "$ORIG" | sed "0,/^title = \"/s//title = \"Edited $i /" > "$EDIT"
    else
      printf '%s\n\nEdit %s under load.\n' "$ORIG" "$i" > "$EDIT"
    fi
    mv "$EDIT" "$PAGE"
    i=$((i + 1))
    sleep 0.2
  done
  echo "$i" > "$WORK/edits"
) &
EDITOR=$!
PIDS+=("$EDITOR")

# RSS once a second while wrk runs.
( while kill -0 "$SERVE" 2>/dev/null; do ps -o rss= -p "$SERVE" | tr -d ' '; sleep 1; done ) > "$WORK/rss.txt" &
PIDS+=("$!")

wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$HERE/bench/load.lua" "http://127.0.0.1:$PORT" -- "$WORK/paths.txt" | tee "$WORK/wrk.txt"
wait "$EDITOR"
sleep 2
RSS_AFTER=$(ps -o rss= -p "$SERVE" | tr -d ' ')
RSS_MAX=$(sort -n "$WORK/rss.txt" | tail -n 1)

RELOADS=$(grep -c '^event: reload' "$WORK/sse.log" || true)
ERRORS=$(grep -c '^event: error' "$WORK/sse.log" || true)
# The stream still works after the run: one more save, one more reload.
printf '%s\n\nAfter the run.\n' "$ORIG" > "$EDIT" && mv "$EDIT" "$PAGE"
for _ in $(seq 1 100); do
  [ "$(grep -c '^event: reload' "$WORK/sse.log")" -gt "$RELOADS" ] && break
  sleep 0.1
done
AFTER=$(grep -c '^event: reload' "$WORK/sse.log" || true)
kill -0 "$SSE" 2>/dev/null && SSE_ALIVE=yes || SSE_ALIVE=no

echo
echo "pages: $PAGES, URLs: $(wc -l < "$WORK/paths.txt"), connections: $CONNS, seconds: $SECS"
echo "edits saved: $(cat "$WORK/edits"), rebuilds logged: $(grep -c '^rebuilt' "$WORK/serve.log" || true), failed rebuilds: $(grep -c '^rebuild failed' "$WORK/serve.log" || true)"
echo "requests/s: $(awk '/^Requests\/sec/ {print $2}' "$WORK/wrk.txt")"
echo "socket errors: $(grep '^  Socket errors' "$WORK/wrk.txt" || echo none)"
echo "non-2xx: $(grep 'Non-2xx' "$WORK/wrk.txt" || echo 0)"
echo "serve RSS (KiB): before $RSS_BEFORE, max during $RSS_MAX, after $RSS_AFTER"
echo "serve RSS every 10 s (KiB): $(awk 'NR % 10 == 1' "$WORK/rss.txt" | tr '\n' ' ')"
echo "SSE: $RELOADS reload events during the run, $ERRORS error events; after the run: $AFTER (stream alive: $SSE_ALIVE)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
