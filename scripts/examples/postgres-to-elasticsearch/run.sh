#!/usr/bin/env bash
# The pipeline users come for, on one machine: a row changes in PostgreSQL and is
# searchable in Elasticsearch seconds later. Starts PostgreSQL 15 (TESTBED recipe: a
# scratch cluster with wal_level=logical on a free port), an Elasticsearch (the one at
# $ELASTICSEARCH_URL, else the in-process look-alike the tests use), and `tributary dev`;
# applies postgres-source.yaml and elasticsearch-sink*.yaml with only hosts, ports and the
# secrets path changed; then shows an INSERT, an UPDATE and a DELETE arrive as a document
# create, update and delete. Stops everything it started when done (DEMO_KEEP=1 keeps
# the scratch dir). Needs `make build` and the postgresql package (apt-get install postgresql).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
bin=$root/bin
pgbin=/usr/lib/postgresql/15/bin
[ -x "$pgbin/initdb" ] || { echo "needs PostgreSQL 15: apt-get install postgresql" >&2; exit 1; }
[ -x "$bin/tributary" ] || { echo "needs bin/tributary: run make build" >&2; exit 1; }

work=$(mktemp -d -t tributary-pg-es-XXXX)
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
psql_q() { psql -X -q -h 127.0.0.1 -p "$pgport" -U postgres -d inventory -v ON_ERROR_STOP=1 "$@"; }
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
psql -X -q -h 127.0.0.1 -p "$pgport" -U postgres -c "CREATE DATABASE inventory"
user=$(sed -n 's/^username=//p' "$here/secrets/postgres-credentials.properties")
pass=$(sed -n 's/^password=//p' "$here/secrets/postgres-credentials.properties")
psql_q -f "$here/inventory.sql"
psql_q -c "CREATE ROLE $user WITH LOGIN REPLICATION PASSWORD '$pass'" \
  -c "GRANT USAGE ON SCHEMA inventory TO $user" -c "GRANT SELECT ON ALL TABLES IN SCHEMA inventory TO $user" \
  -c "GRANT CREATE ON DATABASE inventory TO $user" -c "ALTER TABLE inventory.customers OWNER TO $user" \
  -c "ALTER TABLE inventory.orders OWNER TO $user"
echo "    127.0.0.1:$pgport, database inventory, user $user"

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

echo "==> starting tributary dev"
bport=$(free_port) rport=$(free_port) aport=$(free_port) cport=$(free_port) raport=$(free_port)
"$bin/tributary" dev --data-dir "$work/dev" --seed=false --broker-port "$bport" --rest-port "$rport" \
  --admin-port "$aport" --cluster-port "$cport" --raft-port "$raport" --offset-flush-interval 500ms >"$work/dev.log" 2>&1 &
pids+=($!)
export TRIBUTARY_ADDR=127.0.0.1:$aport
wait_for 60 "tributary dev" grep -q '^Tributary dev is running' "$work/dev.log" || { cat "$work/dev.log"; exit 1; }

# The manifests as they are, but for where PostgreSQL, Elasticsearch and the secrets live.
mkdir -p "$work/manifests"
for f in postgres-source.yaml elasticsearch-sink.yaml elasticsearch-sink-unwrap.yaml; do
  sed -e "s|database.hostname: postgres|database.hostname: 127.0.0.1|" \
      -e "s|database.port: 5432|database.port: $pgport|" \
      -e "s|http://elasticsearch:9200|$es|" \
      -e "s|/opt/kafka/external-configuration/connector-config|$here/secrets|" \
      "$here/$f" >"$work/manifests/$f"
done
echo "==> tributary apply -f postgres-source.yaml -f elasticsearch-sink.yaml -f elasticsearch-sink-unwrap.yaml"
"$bin/tributary" apply -f "$work/manifests/postgres-source.yaml"
"$bin/tributary" apply -f "$work/manifests/elasticsearch-sink.yaml"
"$bin/tributary" apply -f "$work/manifests/elasticsearch-sink-unwrap.yaml"

envelope_index=$es/dbserver1.inventory.customers
rows_index=$es/customers
doc() { curl -sf "$1/_doc/$2"; }
show() { echo "    GET ${1#$es}/_doc/$2 → $(curl -s "$1/_doc/$2")"; }

echo "==> the initial snapshot: 4 customers become documents"
wait_for 60 "the snapshot in Elasticsearch" doc "$rows_index" 4 || { "$bin/tributary" connectors status inventory-connector; tail -50 "$work/dev.log"; exit 1; }
show "$rows_index" 1

echo "==> INSERT INTO inventory.customers … 'Anne Marie'"
psql_q -c "INSERT INTO inventory.customers (first_name, last_name, email) VALUES ('Anne Marie', 'Kretchmar', 'annemarie@noanswer.org')"
wait_for 30 "the insert" doc "$rows_index" 5
show "$rows_index" 5

echo "==> UPDATE inventory.customers SET first_name = 'Sarah' WHERE id = 1"
psql_q -c "UPDATE inventory.customers SET first_name = 'Sarah' WHERE id = 1"
wait_for 30 "the update" sh -c "curl -sf '$rows_index/_doc/1' | grep -q Sarah"
show "$rows_index" 1
echo "    the whole change event, as Debezium writes it, in the other index:"
wait_for 30 "the update event" sh -c "curl -sf '$envelope_index/_doc/1' | grep -q Sarah"
show "$envelope_index" 1

echo "==> DELETE FROM inventory.customers WHERE id = 5"
psql_q -c "DELETE FROM inventory.customers WHERE id = 5"
wait_for 30 "the delete" sh -c "! curl -sf '$rows_index/_doc/5'"
show "$rows_index" 5

echo
for c in inventory-connector elasticsearch-sink elasticsearch-sink-unwrap; do
  echo "==> tributary connectors status $c"
  "$bin/tributary" connectors status "$c"
done
echo "==> tributary connectors offsets inventory-connector"
"$bin/tributary" connectors offsets inventory-connector
echo
echo "demo ok"
