# Shared by the benchmark scripts: builds the release binary (unless BIN is set), starts it
# on the demo cooperative on embedded SQLite, or on a fresh PostgreSQL database beside the
# one named in $PG_ADMIN, and signs in a buyer of the demo with a cookie jar.
# Sets: BIN, work, base, backend, jar; defines csrf, login and ms; removes everything on exit.

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
if [ -n "${PG_ADMIN:-}" ]; then
  db_name="sammelkauf_bench_$$"
  psql "$PG_ADMIN" -q -c "CREATE DATABASE $db_name" >/dev/null
  # The same server and connection settings (a query such as ?host=/var/run/postgresql or
  # ?sslmode=disable is kept), another database.
  admin_path=${PG_ADMIN%%\?*}
  admin_query=${PG_ADMIN#"$admin_path"}
  database_url="${admin_path%/*}/$db_name$admin_query"
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
curl -fs "$base/healthz" >/dev/null || { cat "$work/server.log" >&2; exit 1; }
jar="$work/jar"
csrf() { sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1; }
token=$(curl -fs -c "$jar" "$base/login" | csrf)
curl -fs -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$token" \
  --data-urlencode "email=einkauf@regio-it-aachen.example" \
  --data-urlencode "password=sammelkauf-demo" "$base/login"

# Signs a demo account in; prints "COOKIE CSRF" (the session cookie and its form token).
login() {
  local jar="$work/$1.jar" token
  token=$(curl -fs -c "$jar" "$base/login" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
  curl -fs -b "$jar" -c "$jar" -o /dev/null \
    --data-urlencode "csrf=$token" --data-urlencode "email=$1" \
    --data-urlencode "password=sammelkauf-demo" "$base/login"
  token=$(curl -fs -b "$jar" -c "$jar" "$base/lots" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
  printf '%s %s\n' "$(awk '$6 ~ /sammelkauf/ {print $6 "=" $7}' "$jar" | tail -1)" "$token"
}
ms() { # wrk's latency ("850.00us", "1.23ms", "2.01s") in milliseconds
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n = n * 1000
    printf "%.1f", n }'
}
