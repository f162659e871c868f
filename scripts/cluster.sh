#!/usr/bin/env bash
# A 3-node Tributary cluster on this machine, laid out like three VMs: a kfake broker on
# 127.0.0.1:9092 and agents node1..node3 on the loopback addresses 127.0.0.1..3, each with
# the default ports (REST 8083, admin 8084, cluster 8085, Raft 8086) and bootstrap_expect 3.
#
#   scripts/cluster.sh start     start broker and nodes (data and logs in $CLUSTER_DIR)
#   scripts/cluster.sh status    tributary members, as seen from node1
#   scripts/cluster.sh stop      stop everything (SIGTERM)
#   scripts/cluster.sh kill N    SIGKILL node N, to watch its tasks move
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${TRIBUTARY_BIN:-$root/bin}
dir=${CLUSTER_DIR:-/tmp/tributary-cluster}

start_node() {
  local n=$1 host=127.0.0.$1
  mkdir -p "$dir/node$n"
  cat >"$dir/node$n/agent.yaml" <<YAML
node_id: node$n
data_dir: $dir/node$n/data
bind_addr: $host
bootstrap_expect: 3
join: [127.0.0.1:8085, 127.0.0.2:8085, 127.0.0.3:8085]
plugin_dir: $bin/plugins
kafka:
  bootstrap_servers: [127.0.0.1:9092]
YAML
  nohup "$bin/tributary" agent -config "$dir/node$n/agent.yaml" >"$dir/node$n/agent.log" 2>&1 &
  echo $! >"$dir/node$n/pid"
  echo "node$n  pid $(cat "$dir/node$n/pid")  admin $host:8084  rest http://$host:8083  log $dir/node$n/agent.log"
}

case ${1:-start} in
start)
  mkdir -p "$dir"
  nohup "$bin/tributary" broker --port 9092 --data-dir "$dir/kafka" >"$dir/broker.log" 2>&1 &
  echo $! >"$dir/broker.pid"
  echo "broker pid $(cat "$dir/broker.pid")  127.0.0.1:9092"
  for n in 1 2 3; do start_node "$n"; done
  for _ in $(seq 1 300); do
    alive=$("$bin/tributary" --addr 127.0.0.1:8084 members -o json 2>/dev/null | grep -c '"alive": *true' || true)
    [ "$alive" = 3 ] && break
    sleep 0.2
  done
  "$bin/tributary" --addr 127.0.0.1:8084 members
  ;;
status)
  "$bin/tributary" --addr 127.0.0.1:8084 members
  ;;
kill)
  kill -9 "$(cat "$dir/node${2:?node number}/pid")" && echo "node$2 killed"
  ;;
stop)
  for n in 1 2 3; do [ -f "$dir/node$n/pid" ] && kill "$(cat "$dir/node$n/pid")" 2>/dev/null || true; done
  [ -f "$dir/broker.pid" ] && kill "$(cat "$dir/broker.pid")" 2>/dev/null || true
  echo stopped
  ;;
*)
  sed -n '2,11p' "$0"; exit 2
  ;;
esac
