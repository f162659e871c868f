#!/usr/bin/env bash
# The seed's closing exercise on one machine: an orders table in PostgreSQL, captured by
# Debezium's connector onto one topic, read by two sinks at once — Confluent's
# Elasticsearch sink keeps an index equal to the table, Confluent's S3 sink archives every
# change as JSON lines. Starts PostgreSQL 15 (TESTBED recipe), an Elasticsearch (the one at
# $ELASTICSEARCH_URL, else the look-alike the tests use), an S3 server (versitygw, from the
# tool cache: scripts/install-tools.sh versitygw) and `tributary dev`; applies the three
# manifests with only hosts, ports and the secrets path changed; then shows the snapshot, an
# INSERT, an UPDATE and a DELETE arrive in both. Stops everything it started when done
# (DEMO_KEEP=1 keeps the scratch dir). Needs `make build`, the postgresql package and curl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
bin=${TRIBUTARY_BIN:-$root/bin}
pgbin=/usr/lib/postgresql/15/bin
tools=${TOOLS_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/tributary/bin}
[ -x "$pgbin/initdb" ] || { echo "needs PostgreSQL 15: apt-get install postgresql" >&2; exit 1; }
[ -x "$bin/tributary" ] || { echo "needs $bin/tributary: run make build" >&2; exit 1; }
vgw=$tools/versitygw
[ -x "$vgw" ] || vgw=$(command -v versitygw) || { echo "needs versitygw: scripts/install-tools.sh versitygw" >&2; exit 1; }

work=$(mktemp -d -t tributary-orders-XXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -f "$work/pg/data/postmaster.pid" ] && as_postgres "$pgbin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
  [ -n "${DEMO_KEEP:-}" ] && echo "scratch kept in $work" || rm -rf "$work"
}
trap cleanup EXIT

# free_port picks a port nothing listens on, below the ephemeral range.
free_port() {
  local p
  while :; do
    p=$((10000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_q() { psql -X -q -h 127.0.0.1 -p "$pgport" -U postgres -d shop -v ON_ERROR_STOP=1 "$@"; }
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2; shift 2
  for _ in $(seq 1 $((secs * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "timed out after ${secs}s waiting for $what" >&2
  return 1
}

echo "==> starting PostgreSQL"
pgport=$(free_port)
mkdir -p "$work/pg" && chmod 755 "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg"
as_postgres "$pgbin/initdb" -D "$work/pg/data" -U postgres -A trust --no-sync >/dev/null
cat >>"$work/pg/data/postgresql.conf" <<CONF
listen_addresses='127.0.0.1'
port=$pgport
unix_socket_directories='$work/pg'
wal_level=logical
fsync=off
CONF
as_postgres "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w start >/dev/null
psql -X -q -h 127.0.0.1 -p "$pgport" -U postgres -c "CREATE DATABASE shop"
user=$(sed -n 's/^username=//p' "$here/secrets/postgres-credentials.properties")
pass=$(sed -n 's/^password=//p' "$here/secrets/postgres-credentials.properties")
psql_q -f "$here/orders.sql"
psql_q -c "CREATE ROLE $user WITH LOGIN REPLICATION PASSWORD '$pass'" \
  -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO $user" -c "GRANT CREATE ON DATABASE shop TO $user" \
  -c "ALTER TABLE public.orders OWNER TO $user"
echo "    127.0.0.1:$pgport, database shop, user $user"

if [ -n "${ELASTICSEARCH_URL:-}" ]; then
  es=$ELASTICSEARCH_URL
  echo "==> using Elasticsearch at $es"
else
  esport=$(free_port)
  es=http://127.0.0.1:$esport
  echo "==> starting the Elasticsearch look-alike the tests use (set ELASTICSEARCH_URL for a real one)"
  (cd "$root" && go build -o "$work/fake-elasticsearch" ./plugins/testsvc/esfake/cmd/fake-elasticsearch)
  "$work/fake-elasticsearch" --addr "127.0.0.1:$esport" >"$work/es.log" 2>&1 &
  pids+=($!)
fi
wait_for 30 "Elasticsearch at $es" curl -sf "$es/"

echo "==> starting S3 (versitygw) with the bucket orders-archive"
ak=$(sed -n 's/^access.key.id=//p' "$here/secrets/s3-credentials.properties")
sk=$(sed -n 's/^secret.access.key=//p' "$here/secrets/s3-credentials.properties")
s3port=$(free_port)
s3url=http://127.0.0.1:$s3port
mkdir -p "$work/s3"
ROOT_ACCESS_KEY_ID=$ak ROOT_SECRET_ACCESS_KEY=$sk "$vgw" --port "127.0.0.1:$s3port" posix "$work/s3" >"$work/s3.log" 2>&1 &
pids+=($!)
# s3 makes a signed S3 request with curl (SigV4, as any S3 client).
s3() { curl -sS --fail-with-body --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ak:$sk" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
s3_keys() { s3 "$s3url/orders-archive?list-type=2" | grep -o '<Key>[^<]*</Key>' | sed -e 's/<Key>//' -e 's/<\/Key>//'; }
# s3_get prints an object; = and + in its key are percent-encoded, as SigV4 signs them.
s3_get() { local k=${1//+/%2B}; s3 "$s3url/orders-archive/${k//=/%3D}"; }
s3_all() { for k in $(s3_keys); do s3_get "$k"; done; }
export -f s3 s3_keys s3_get s3_all # for wait_for's bash -c
export s3url ak sk
wait_for 30 "versitygw" curl -s "$s3url/"
s3 -X PUT "$s3url/orders-archive"

echo "==> starting tributary dev"
bport=$(free_port) rport=$(free_port) aport=$(free_port) cport=$(free_port) raport=$(free_port)
"$bin/tributary" dev --data-dir "$work/dev" --plugin-dir "$bin/plugins" --seed=false --broker-port "$bport" --rest-port "$rport" \
  --admin-port "$aport" --cluster-port "$cport" --raft-port "$raport" --offset-flush-interval 500ms >"$work/dev.log" 2>&1 &
pids+=($!)
export TRIBUTARY_ADDR=127.0.0.1:$aport
wait_for 60 "tributary dev" grep -q '^Tributary dev is running' "$work/dev.log" || { cat "$work/dev.log"; exit 1; }

# The manifests as they are, but for where PostgreSQL, Elasticsearch, S3 and the secrets live.
mkdir -p "$work/manifests"
for f in postgres-source.yaml elasticsearch-sink.yaml s3-sink.yaml; do
  sed -e "s|database.hostname: postgres|database.hostname: 127.0.0.1|" \
      -e "s|database.port: 5432|database.port: $pgport|" \
      -e "s|http://elasticsearch:9200|$es|" \
      -e "s|http://s3:7070|$s3url|" \
      -e "s|/opt/kafka/external-configuration/connector-config|$here/secrets|" \
      "$here/$f" >"$work/manifests/$f"
  echo "==> tributary apply -f $f"
  "$bin/tributary" apply -f "$work/manifests/$f"
done

index=$es/orders
doc() { curl -sf "$index/_doc/$1"; }
show() { echo "    GET /orders/_doc/$1 → $(curl -s "$index/_doc/$1")"; }
fail() { for c in orders-cdc orders-to-elasticsearch orders-to-s3; do "$bin/tributary" connectors status "$c" || true; done; tail -50 "$work/dev.log"; exit 1; }

echo "==> the initial snapshot: 3 orders become documents and archived rows"
wait_for 60 "the snapshot in Elasticsearch" doc 3 || fail
show 1
wait_for 60 "the snapshot in S3" bash -c '[ "$(s3_all | grep -c "\"__op\":\"r\"")" -ge 3 ]' || fail

echo "==> INSERT INTO orders … ('anne', 'tent', 1, 310.00)"
psql_q -c "INSERT INTO public.orders (customer, product, quantity, price) VALUES ('anne', 'tent', 1, 310.00)"
wait_for 30 "the insert in Elasticsearch" doc 4 || fail
show 4

echo "==> UPDATE orders SET quantity = 3 WHERE id = 2"
psql_q -c "UPDATE public.orders SET quantity = 3 WHERE id = 2"
wait_for 30 "the update in Elasticsearch" sh -c "curl -sf '$index/_doc/2' | grep -q '\"quantity\":3'" || fail
show 2

echo "==> DELETE FROM orders WHERE id = 3"
psql_q -c "DELETE FROM public.orders WHERE id = 3"
wait_for 30 "the delete in Elasticsearch" sh -c "! curl -sf '$index/_doc/3'" || fail
show 3

echo "==> the archive in S3 keeps every version, the deleted order too"
wait_for 60 "the delete in S3" bash -c 's3_all | grep -q "\"__deleted\":\"true\""' || fail
for k in $(s3_keys); do
  echo "    s3://orders-archive/$k"
  s3_get "$k" | sed 's/^/      /'
done
versions=$(s3_all | wc -l)
[ "$versions" -eq 6 ] || { echo "the archive holds $versions versions; want 6 (3 snapshot rows, insert, update, delete)" >&2; fail; }

echo
for c in orders-cdc orders-to-elasticsearch orders-to-s3; do
  echo "==> tributary connectors status $c"
  "$bin/tributary" connectors status "$c"
done
echo
echo "demo ok"
