#!/usr/bin/env bash
# A 3-node Tributary cluster on this machine, laid out like three VMs: a kfake broker on
# 127.0.0.1:9092 and agents node1..node3 on the loopback addresses 127.0.0.1..3, each with
# the default ports (REST 8083, admin 8084, cluster 8085, Raft 8086) and bootstrap_expect 3.
#
#   scripts/cluster.sh start [N]   start the broker and all nodes, or node N alone; refuses
#                                  ports already taken, waits until each node is healthy
#   scripts/cluster.sh status      each process and its /health, then tributary members
#   scripts/cluster.sh stop [N]    stop everything, or node N (SIGTERM, then waits)
#   scripts/cluster.sh kill N      SIGKILL node N, to watch its tasks move
#   scripts/cluster.sh --tls start  the same, secured: a CA and node certificates from
#                                  `tributary tls` in $CLUSTER_DIR/tls, mutual TLS between
#                                  nodes, a join key, https REST and TLS admin gRPC with the
#                                  users of $CLUSTER_DIR/tls/credentials.properties
#                                  (admin: admin-secret, viewer: viewer-secret, read-only)
# Data and logs live in $CLUSTER_DIR (default /tmp/tributary-cluster).
set -euo pipefail
tls=
if [ "${1:-}" = --tls ]; then tls=1; shift; fi
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${TRIBUTARY_BIN:-$root/bin}
dir=${CLUSTER_DIR:-/tmp/tributary-cluster}
ports=(8083 8084 8085 8086)

die() { echo "cluster.sh: $*" >&2; exit 1; }

# running FILE: the pid in FILE is a live process.
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# taken HOST PORT: something listens there already.
taken() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# healthy N: node N's REST /health answers 200.
healthy() {
  local code
  if [ -n "$tls" ]; then
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 --cacert "$dir/tls/tributary-agent-ca.pem" "https://127.0.0.$1:8083/health" 2>/dev/null || true)
  else
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.$1:8083/health" 2>/dev/null || true)
  fi
  [ "$code" = 200 ]
}

# cli ARGS...: the tributary CLI, with the CA and the admin token when --tls.
cli() {
  if [ -n "$tls" ]; then
    "$bin/tributary" --tls-ca "$dir/tls/tributary-agent-ca.pem" --token admin-secret "$@"
  else
    "$bin/tributary" "$@"
  fi
}

# make_tls: the CA, a certificate per node, the join key and the users, made once.
make_tls() {
  [ -f "$dir/tls/tributary-agent-ca.pem" ] && return
  mkdir -p "$dir/tls"
  (cd "$dir/tls" && "$bin/tributary" tls ca create >/dev/null &&
    for n in 1 2 3; do "$bin/tributary" tls cert create --server "node$n" --additional-ipaddress "127.0.0.$n" >/dev/null; done)
  head -c 24 /dev/urandom | base64 >"$dir/tls/join-key"
  printf 'admin: admin-secret,admin\nviewer: viewer-secret,read-only\n' >"$dir/tls/credentials.properties"
  chmod 600 "$dir/tls/join-key" "$dir/tls/credentials.properties"
  echo "certificates, join key and users in $dir/tls"
}

start_broker() {
  if running "$dir/broker.pid"; then echo "broker already running, pid $(cat "$dir/broker.pid")"; return; fi
  taken 127.0.0.1 9092 && die "127.0.0.1:9092 is taken by another process; stop it (ss -ltnp 'sport = :9092') or set up the cluster elsewhere"
  mkdir -p "$dir"
  nohup "$bin/tributary" broker --port 9092 --data-dir "$dir/kafka" >"$dir/broker.log" 2>&1 &
  echo $! >"$dir/broker.pid"
  for _ in $(seq 1 100); do taken 127.0.0.1 9092 && break; sleep 0.1; done
  running "$dir/broker.pid" || die "the broker exited; see $dir/broker.log: $(tail -3 "$dir/broker.log")"
  echo "broker  pid $(cat "$dir/broker.pid")  127.0.0.1:9092"
}

start_node() {
  local n=$1 host=127.0.0.$1
  if running "$dir/node$n/pid"; then echo "node$n already running, pid $(cat "$dir/node$n/pid")"; return; fi
  for p in "${ports[@]}"; do
    taken "$host" "$p" && die "$host:$p is taken by another process (a tributary dev?); stop it first (ss -ltnp 'sport = :$p')"
  done
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
  if [ -n "$tls" ]; then
    make_tls
    cat >>"$dir/node$n/agent.yaml" <<YAML
join_key: $(cat "$dir/tls/join-key")
tls:
  ca_file: $dir/tls/tributary-agent-ca.pem
  cert_file: $dir/tls/tributary-server-node$n.pem
  key_file: $dir/tls/tributary-server-node$n-key.pem
auth:
  credentials_file: $dir/tls/credentials.properties
YAML
  fi
  nohup "$bin/tributary" agent -config "$dir/node$n/agent.yaml" >"$dir/node$n/agent.log" 2>&1 &
  echo $! >"$dir/node$n/pid"
  local scheme=http
  [ -n "$tls" ] && scheme=https
  echo "node$n  pid $(cat "$dir/node$n/pid")  admin $host:8084  rest $scheme://$host:8083  log $dir/node$n/agent.log"
}

# wait_healthy N...: wait (up to 60 s) until each node answers /health, failing loudly
# with the end of its log if it exits or never does.
wait_healthy() {
  local n
  for n in "$@"; do
    for _ in $(seq 1 300); do
      healthy "$n" && break
      running "$dir/node$n/pid" || die "node$n exited; the end of $dir/node$n/agent.log:
$(tail -5 "$dir/node$n/agent.log")"
      sleep 0.2
    done
    healthy "$n" || die "node$n is not healthy after 60 s; see $dir/node$n/agent.log"
  done
}

stop_pid() { # FILE NAME
  running "$1" || return 0
  local pid
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { echo "$2 did not stop in 10 s; SIGKILL"; kill -9 "$pid"; }
  echo "$2 stopped"
}

case ${1:-start} in
start)
  if [ -n "${2:-}" ]; then
    [[ $2 =~ ^[123]$ ]] || die "no node $2: nodes are 1, 2 and 3"
    start_node "$2"
    wait_healthy "$2"
  else
    start_broker
    for n in 1 2 3; do start_node "$n"; done
    wait_healthy 1 2 3
  fi
  cli --addr 127.0.0.1:8084 members || cli --addr "127.0.0.${2:-1}:8084" members
  ;;
status)
  running "$dir/broker.pid" && echo "broker  pid $(cat "$dir/broker.pid")  running" || echo "broker  not running"
  for n in 1 2 3; do
    if running "$dir/node$n/pid"; then
      if healthy "$n"; then h=healthy; else h="not healthy"; fi
      echo "node$n   pid $(cat "$dir/node$n/pid")  running, $h"
    else
      echo "node$n   not running"
    fi
  done
  for n in 1 2 3; do
    healthy "$n" && { cli --addr "127.0.0.$n:8084" members; exit 0; }
  done
  die "no node is healthy"
  ;;
kill)
  [[ ${2:-} =~ ^[123]$ ]] || die "kill N: N is 1, 2 or 3"
  running "$dir/node$2/pid" || die "node$2 is not running"
  kill -9 "$(cat "$dir/node$2/pid")" && echo "node$2 killed"
  ;;
stop)
  if [ -n "${2:-}" ]; then
    [[ $2 =~ ^[123]$ ]] || die "no node $2: nodes are 1, 2 and 3"
    stop_pid "$dir/node$2/pid" "node$2"
  else
    for n in 1 2 3; do stop_pid "$dir/node$n/pid" "node$n"; done
    stop_pid "$dir/broker.pid" broker
  fi
  ;;
*)
  sed -n '2,16p' "$0"; exit 2
  ;;
esac
