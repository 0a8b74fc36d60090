#!/usr/bin/env bash
# The bulk order upload at scale on the release build: a buyer of the demo uploads a CSV of
# LINES order lines (5,000 by default) over its delivery sites; prints the time of the
# preview (every line checked) and of the confirmation (every line stored in one
# transaction), and checks that the same file again adds nothing.
#
#   bench/upload.sh                                          # embedded SQLite
#   bench/upload.sh postgres://postgres@127.0.0.1:5432/test  # PostgreSQL (a fresh database)
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${LINES:-5000}
PG_ADMIN=${1:-}
# shellcheck source=bench/demo-server.sh
source bench/demo-server.sh
# The first lot that shows the upload form.
lot=""
for id in $(curl -fs -b "$jar" "$base/lots" | grep -o 'href="/lots/[0-9]*"' | grep -o '[0-9]*' | sort -un); do
  if curl -fs -b "$jar" "$base/lots/$id" | grep -q 'name="csv_file"'; then lot=$id; break; fi
done
[ -n "$lot" ] || { echo "no open lot takes orders" >&2; exit 1; }
page=$(curl -fs -b "$jar" -c "$jar" "$base/lots/$lot")
token=$(echo "$page" | csrf)
increment=$(echo "$page" | sed -n 's/.*Vielfaches von \([0-9]*\).*/\1/p' | head -1)
increment=${increment:-1}
mapfile -t sites < <(curl -fs -b "$jar" "$base/lots/$lot/orders/template.csv" | tail -n +2 | cut -d';' -f1)
{
  echo "Lieferort;Menge;Preisobergrenze;Referenz"
  for i in $(seq 1 "$LINES"); do
    echo "${sites[$((i % ${#sites[@]}))]};$((increment * (1 + i % 9)));;Schule $i"
  done
} >"$work/upload.csv"
preview_time=$(curl -s -b "$jar" -o "$work/preview.html" -w '%{http_code} %{time_total}' \
  -F "csrf=$token" -F "csv_file=@$work/upload.csv;type=text/csv" -F "csv_text=" \
  "$base/lots/$lot/orders/upload")
confirm_time=$(curl -s -b "$jar" -o /dev/null -w '%{http_code} %{time_total}' \
  --data-urlencode "csrf=$token" --data-urlencode "csv@$work/upload.csv" \
  "$base/lots/$lot/orders/upload/confirm")
again=$(curl -s -b "$jar" -o /dev/null -w '%{redirect_url}' \
  --data-urlencode "csrf=$token" --data-urlencode "csv@$work/upload.csv" \
  "$base/lots/$lot/orders/upload/confirm")
echo "$backend, lot $lot, $LINES lines ($(wc -c <"$work/upload.csv") bytes)"
echo "preview (check every line):  HTTP ${preview_time% *}, ${preview_time#* } s"
echo "confirm (store every line):  HTTP ${confirm_time% *}, ${confirm_time#* } s"
echo "same file again:             ${again##*notice=}"
