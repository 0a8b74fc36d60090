#!/usr/bin/env bash
# A deadline rush on the release build: buyers view a lot's page while other members' buyers
# order on the same lot. Measures the static stylesheet (the ceiling), then for each order
# rate the lot page read by CONNECTIONS connections cycling through the demo buyers'
# sessions, while WRITERS other members' buyers place orders at that rate in total (paced,
# each order one new line of one unit), and checks that every acknowledged order is stored.
#
#   bench/rush.sh                      # embedded SQLite in a temporary folder
#   bench/rush.sh postgres://postgres@127.0.0.1:5432/test
#                                      # PostgreSQL: a fresh database beside the one named
# Settings: DURATION (10s), CONNECTIONS (64), THREADS (2), RATES ("0 10 100"), BIN (builds
# target/release/sammelkauf when unset).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
RATES=${RATES:-0 10 100}
PG_ADMIN=${1:-}

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
source bench/demo-server.sh

# Readers: the buyers of the members that do not write, each signed in once.
readers=()
for slug in regio-it-aachen suedwestfalen-it ekom21-hessen komm-one kdo-oldenburg \
  civitec-siegburg gkd-recklinghausen kaaw-unna; do
  read -r cookie _ < <(login "einkauf@$slug.example") || continue
  [ -n "$cookie" ] && readers+=("$cookie")
done
[ "${#readers[@]}" -gt 0 ] || { echo "no demo buyer could sign in" >&2; exit 1; }
lot=$(curl -fs -H "Cookie: ${readers[0]}" "$base/lots" | tr '\n' ' ' \
  | sed -n 's/.*href="\/lots\/\([0-9]*\)"[^<]*Notebooks 14 Zoll.*/\1/p' | head -1)
[ -n "$lot" ] || { echo "no open demo lot found" >&2; exit 1; }

# Writers: other members' buyers, each with one of its delivery sites.
writers=()
for slug in krz-minden-ravensberg-lippe itk-rheinland dataport akdb-bayern; do
  read -r cookie csrf < <(login "einkauf@$slug.example") || continue
  site=$(curl -fs -H "Cookie: $cookie" "$base/lots/$lot" \
    | sed -n 's/.*<option value="\([0-9][0-9]*\)".*/\1/p' | head -1)
  [ -n "$site" ] && [ -n "$csrf" ] && writers+=("$cookie|$csrf|$site")
done
[ "${#writers[@]}" -gt 0 ] || { echo "no demo buyer could order" >&2; exit 1; }

total_shown() {
  curl -fs -H "Cookie: ${readers[0]}" "$base/lots/$lot" \
    | sed -n 's/.*id="lot-total">\([0-9.]*\)<.*/\1/p' | tr -d '.'
}
wrk_field() { # wrk_field FILE WHAT: requests/s, p50, p99 (ms), requests, non-2xx/3xx
  case $2 in
    rps) awk '/Requests\/sec/ {printf "%d", $2}' "$1" ;;
    p50) ms "$(awk '$1 == "50%" {print $2}' "$1")" ;;
    p99) ms "$(awk '$1 == "99%" {print $2}' "$1")" ;;
    requests) awk '/requests in/ {print $1}' "$1" ;;
    bad) awk '/Non-2xx or 3xx/ {n = $5} END {print n + 0}' "$1" ;;
  esac
}

# The ceiling, after an uncounted warm-up like every measured run.
wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$base/static/style.css" >/dev/null
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$base/static/style.css" >"$work/static.txt"
static_rps=$(wrk_field "$work/static.txt" rps)
echo "static file: $static_rps/s" >&2

rows=()
failed=0
for rate in $RATES; do
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s bench/pages.lua "$base" -- "$lot" "${readers[@]}" >/dev/null
  before=$(total_shown)
  pids=()
  if [ "$rate" -gt 0 ]; then
    # Each writer places rate / writers orders a second: one every INTERVAL ms.
    interval=$(awk -v r="$rate" -v w="${#writers[@]}" 'BEGIN {printf "%.3f", 1000 * w / r}')
    i=0
    for w in "${writers[@]}"; do
      IFS='|' read -r cookie csrf site <<<"$w"
      wrk -t1 -c1 -d"$DURATION" --latency -s bench/paced-orders.lua "$base" \
        -- "$cookie" "$csrf" "$site" "$lot" "$rate-$i" "$interval" >"$work/orders-$rate-$i.txt" &
      pids+=($!)
      i=$((i + 1))
    done
  fi
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/pages.lua "$base" \
    -- "$lot" "${readers[@]}" >"$work/pages-$rate.txt"
  [ "${#pids[@]}" -gt 0 ] && wait "${pids[@]}"
  sleep 1 # orders still in flight when wrk stopped land
  stored=$(( $(total_shown) - before ))
  rps=$(wrk_field "$work/pages-$rate.txt" rps)
  share=$(awk -v a="$rps" -v b="$static_rps" 'BEGIN {printf "%.1f %%", 100 * a / b}')
  page="$rps/s ($share), p50 $(wrk_field "$work/pages-$rate.txt" p50) ms, p99 $(wrk_field "$work/pages-$rate.txt" p99) ms, non-2xx/3xx $(wrk_field "$work/pages-$rate.txt" bad)"
  if [ "$rate" -gt 0 ]; then
    acked=0; placed=0; opm=0; worst=0
    for f in "$work"/orders-"$rate"-*.txt; do
      n=$(wrk_field "$f" requests); bad=$(wrk_field "$f" bad)
      acked=$(( acked + n - bad ))
      q=$(wrk_field "$f" p99)
      worst=$(awk -v a="$worst" -v b="$q" 'BEGIN {print (b > a) ? b : a}')
    done
    seconds=$(awk -v d="$DURATION" 'BEGIN {n = d + 0; if (d ~ /m$/) n *= 60; print n}')
    achieved=$(awk -v a="$acked" -v s="$seconds" 'BEGIN {printf "%.1f", a / s}')
    orders="$achieved/s acknowledged ($acked), p99 $worst ms (worst writer), $stored stored"
    # Every acknowledged order is stored; a request cut off when wrk stopped may be stored
    # without being counted, never the other way round.
    if [ "$stored" -lt "$acked" ] || [ "$stored" -gt $(( acked + ${#writers[@]} )) ]; then
      orders="$orders — MISMATCH"
      failed=1
    fi
  else
    orders="–"
  fi
  rows+=("| $rate orders/s | $page | $orders |")
  printf '%s orders/s: %s; %s\n' "$rate" "$page" "$orders" >&2
done

echo
echo "$backend, $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d$DURATION (${#readers[@]} buyers' sessions in turn, ${#writers[@]} writers), $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "static file: $static_rps/s"
echo
echo "| lot page while orders land | lot page | orders |"
echo "|---|---|---|"
printf '%s\n' "${rows[@]}"
exit "$failed"
