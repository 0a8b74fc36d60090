#!/usr/bin/env bash
# Load benchmark of the release build: starts the server on demo data, measures the static
# stylesheet (the ceiling), a lot page and the lot list as a buyer, and order placement,
# grows one lot by LINES lines from other members, and measures the pages again.
#
#   bench/load.sh                      # embedded SQLite in a temporary folder
#   bench/load.sh postgres://postgres@127.0.0.1:5432/test
#                                      # PostgreSQL: a fresh database is created beside
#                                      # the one named, and dropped afterwards
# Settings: DURATION (10s), CONNECTIONS (64), THREADS (2), LINES (100000), BIN (builds
# target/release/sammelkauf when unset).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
LINES=${LINES:-100000}
PG_ADMIN=${1:-}

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
# The release build on the demo data (emails are queued as in production; their delivery is
# left out of the measurement).
source bench/demo-server.sh

read -r reader_cookie _ < <(login einkauf@regio-it-aachen.example)
lot=$(curl -fs -H "Cookie: $reader_cookie" "$base/lots" | tr '\n' ' ' \
  | sed -n 's/.*href="\/lots\/\([0-9]*\)"[^<]*Notebooks 14 Zoll.*/\1/p' | head -1)
[ -n "$lot" ] || { echo "no open demo lot found" >&2; exit 1; }

# Other members' buyers who place the lines, each with one of its delivery sites.
writers=()
for email in einkauf@krz-minden-ravensberg-lippe.example einkauf@itk-rheinland.example \
  einkauf@dataport.example einkauf@akdb-bayern.example; do
  read -r cookie csrf < <(login "$email") || continue
  page=$(curl -fs -H "Cookie: $cookie" "$base/lots/$lot")
  site=$(printf '%s' "$page" | sed -n 's/.*<option value="\([0-9][0-9]*\)".*/\1/p' | head -1)
  [ -n "$site" ] && [ -n "$csrf" ] && writers+=("$cookie|$csrf|$site")
done
[ "${#writers[@]}" -gt 0 ] || { echo "no demo buyer could order" >&2; exit 1; }

total_shown() {
  curl -fs -H "Cookie: $reader_cookie" "$base/lots/$lot" \
    | sed -n 's/.*id="lot-total">\([0-9.]*\)<.*/\1/p' | tr -d '.'
}

results=()
static_rps=""
# measure NAME [wrk arguments…]: one wrk run, one row of the table.
measure() {
  local name=$1; shift
  local out rps p50 p99 bad share
  # A short run first, not counted: connections, prepared statements and caches warm up.
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$@" >/dev/null
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@")
  rps=$(printf '%s' "$out" | awk '/Requests\/sec/ {printf "%d", $2}')
  p50=$(ms "$(printf '%s' "$out" | awk '$1 == "50%" {print $2}')")
  p99=$(ms "$(printf '%s' "$out" | awk '$1 == "99%" {print $2}')")
  bad=$(printf '%s' "$out" | awk '/Non-2xx or 3xx/ {print $5}')
  [ -z "$static_rps" ] && static_rps=$rps
  share=$(awk -v a="$rps" -v b="$static_rps" 'BEGIN {printf "%.1f %%", 100 * a / b}')
  results+=("| $name | $rps/s | $share | $p50 ms | $p99 ms | ${bad:-0} |")
  printf '%s: %s/s p99 %s ms\n' "$name" "$rps" "$p99" >&2
}

order_load() { # order_load DURATION RUN: every writer's buyer at once, split connections
  local duration=$1 run=$2 each pids=() w cookie csrf site
  each=$(( CONNECTIONS / ${#writers[@]} )); [ "$each" -lt 1 ] && each=1
  for w in "${writers[@]}"; do
    IFS='|' read -r cookie csrf site <<<"$w"
    wrk -t1 -c"$each" -d"$duration" --latency -s bench/orders.lua "$base" \
      -- "$cookie" "$csrf" "$site" "$lot" "$run-${#pids[@]}" >"$work/orders-$run-${#pids[@]}.txt" &
    pids+=($!)
  done
  wait "${pids[@]}"
}

measure "GET /static/style.css" "$base/static/style.css"
measure "lot page as a buyer (small lot)" -H "Cookie: $reader_cookie" "$base/lots/$lot"
measure "lot list" -H "Cookie: $reader_cookie" "$base/lots"

order_load 2s warmup # not counted, like the pages' first runs
before=$(total_shown)
# The peak is measured from here: what start-up and the demo's seeding took before does not
# count (writing 5 to clear_refs resets the process's peak RSS, Linux 4.0 and later).
rss_before=$(awk '/VmRSS/ {printf "%d MB", $2 / 1024}' "/proc/$server/status")
rss_scope="since the order load began"
echo 5 >"/proc/$server/clear_refs" 2>/dev/null || rss_scope="since start (the peak could not be reset)"
order_load "$DURATION" measured
after=$(total_shown)
acked=0; rps=0; p99=0
for f in "$work"/orders-measured-*.txt; do
  n=$(awk '/requests in/ {print $1}' "$f"); bad=$(awk '/Non-2xx or 3xx/ {print $5}' "$f")
  acked=$(( acked + n - ${bad:-0} ))
  rps=$(awk -v a="$rps" -v b="$(awk '/Requests\/sec/ {print $2}' "$f")" 'BEGIN {printf "%d", a + b}')
  q=$(ms "$(awk '$1 == "99%" {print $2}' "$f")")
  p99=$(awk -v a="$p99" -v b="$q" 'BEGIN {print (b > a) ? b : a}')
done
share=$(awk -v a="$rps" -v b="$static_rps" 'BEGIN {printf "%.1f %%", 100 * a / b}')
results+=("| order placement (POST, each a new line) | $rps/s | $share | – | $p99 ms (worst client) | – |")
stored=$(( after - before ))
rss=$(awk '/VmHWM/ {printf "%d MB", $2 / 1024}' "/proc/$server/status")

echo "growing lot $lot by $LINES lines…" >&2
run=0
while [ $(( $(total_shown) - before )) -lt "$LINES" ]; do
  run=$((run + 1))
  order_load 15s "grow$run"
done
grown=$(( $(total_shown) - before ))

measure "lot page after $grown more lines of other members" -H "Cookie: $reader_cookie" "$base/lots/$lot"
measure "lot list at that size" -H "Cookie: $reader_cookie" "$base/lots"

echo
echo "$backend, $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
echo "| | throughput | of static | p50 | p99 | non-2xx/3xx |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${results[@]}"
echo
echo "order placement: $acked acknowledged, $stored stored (the lot's total moved by $stored units of 1)"
echo "peak RSS under the order load: $rss ($rss_scope; $rss_before before it)"
