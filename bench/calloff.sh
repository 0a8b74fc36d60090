#!/usr/bin/env bash
# A call-off beside an order on the release build: one buyer of the demo places COUNT order
# lines in an open lot and COUNT call-offs in the running framework (the headsets), one
# after another, and the mean time of each kind is printed.
#
#   bench/calloff.sh                                          # embedded SQLite
#   bench/calloff.sh postgres://postgres@127.0.0.1:5432/test  # PostgreSQL (a fresh database)
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-300}
PG_ADMIN=${1:-}
# shellcheck source=bench/demo-server.sh
source bench/demo-server.sh
order_lot="" framework_lot=""
for id in $(curl -fs -b "$jar" "$base/lots" | grep -o 'href="/lots/[0-9]*"' | grep -o '[0-9]*' | sort -un); do
  page=$(curl -fs -b "$jar" "$base/lots/$id")
  [ -z "$order_lot" ] && echo "$page" | grep -q 'action="/lots/'"$id"'/orders"' && order_lot=$id
  [ -z "$framework_lot" ] && echo "$page" | grep -q 'id="calloff-quantity"' && framework_lot=$id
done
page=$(curl -fs -b "$jar" "$base/lots/$order_lot")
token=$(echo "$page" | csrf)
order_site=$(echo "$page" | sed -n 's/.*<option value="\([0-9]*\)".*/\1/p' | head -1)
increment=$(echo "$page" | sed -n 's/.*Vielfaches von \([0-9]*\).*/\1/p' | head -1)
framework_page=$(curl -fs -b "$jar" "$base/lots/$framework_lot")
calloff_site=$(echo "$framework_page" | sed -n '/calloff-site/,/select>/s/.*<option value="\([0-9]*\)".*/\1/p' | head -1)
calloff_quantity=$(echo "$framework_page" | sed -n 's/.*Packungsgröße)<\/dt><dd>\([0-9]*\)<.*/\1/p' | head -1)
total() { curl -fs -b "$jar" "$base/lots/$order_lot" | sed -n 's/.*id="lot-total">\([0-9.]*\)<.*/\1/p' | tr -d . ; }
before=$(total)
mean() { awk '{ s += $1 } END { printf "%.2f ms", 1000 * s / NR }'; }
orders=$(for i in $(seq 1 "$COUNT"); do
  curl -s -b "$jar" -o /dev/null -w '%{time_total}\n' --data-urlencode "csrf=$token" \
    --data-urlencode "site=$order_site" --data-urlencode "quantity=${increment:-1}" \
    --data-urlencode "idempotency_key=bench-order-$i" "$base/lots/$order_lot/orders"
done | mean)
calloffs=$(for i in $(seq 1 "$COUNT"); do
  curl -s -b "$jar" -o /dev/null -w '%{time_total}\n' --data-urlencode "csrf=$token" \
    --data-urlencode "site=$calloff_site" --data-urlencode "quantity=${calloff_quantity:-1}" \
    --data-urlencode "idempotency_key=bench-calloff-$i" "$base/lots/$framework_lot/calloffs"
done | mean)
# Every request must have been stored (a refusal would be cheaper and skew the figures).
after=$(total)
[ "$((after - before))" -eq "$((COUNT * ${increment:-1}))" ] || { echo "not every order line was stored ($before → $after)" >&2; exit 1; }
check=$(curl -fs -b "$jar" "$base/lots/$framework_lot/calloffs.csv" | grep -c '^Abruf;' || true)
[ "$check" -ge "$COUNT" ] || { echo "only $check call-offs stored" >&2; exit 1; }
echo "$backend: $COUNT order lines (lot $order_lot): mean $orders per request"
echo "$backend: $COUNT call-offs (framework $framework_lot): mean $calloffs per request"
