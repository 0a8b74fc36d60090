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
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/sammelkauf
fi
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
db_name=""
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  if [ -n "$db_name" ]; then
    psql "$PG_ADMIN" -q -c "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
if [ -n "$PG_ADMIN" ]; then
  db_name="sammelkauf_calloff_$$"
  psql "$PG_ADMIN" -q -c "CREATE DATABASE $db_name" >/dev/null
  database_url="${PG_ADMIN%/*}/$db_name"
  backend=PostgreSQL
else
  database_url="$work/bench.db"
  backend=SQLite
fi
DATABASE_URL="$database_url" BIND="127.0.0.1:$port" DATA_DIR="$work/data" \
  MAIL_TICK_SECONDS=3600 RUST_LOG=warn "$BIN" serve --demo >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fs "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
jar="$work/jar"
csrf() { sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1; }
token=$(curl -fs -c "$jar" "$base/login" | csrf)
curl -fs -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$token" \
  --data-urlencode "email=einkauf@regio-it-aachen.example" \
  --data-urlencode "password=sammelkauf-demo" "$base/login"
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
