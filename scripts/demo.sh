#!/usr/bin/env bash
# The seed pipeline end to end on the embedded broker: starts `tributary dev` in a scratch
# data dir, appends lines to the seed input, shows them arriving in the output file, the
# connectors' status, and the topic read back with kcat. Stops everything when done.
# Keep it running instead with:  bin/tributary dev
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin
data=${DEMO_DIR:-$(mktemp -d -t tributary-demo-XXXX)}
log=$data/dev.log
mkdir -p "$data"

"$bin/tributary" dev --data-dir "$data" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT

for _ in $(seq 1 600); do
  grep -q '^Seed pipeline' "$log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "tributary dev exited early" >&2; exit 1; }
  sleep 0.1
done
grep -q '^Seed pipeline' "$log" || { cat "$log"; echo "tributary dev did not start within 60s" >&2; exit 1; }
sed -n '/^Tributary dev/,$p' "$log"

in=$data/seed/input.txt
out=$data/seed/output.txt
echo
echo "==> appending 5 lines to $in"
for i in 1 2 3 4 5; do echo "hello from the seed pipeline, line $i" >>"$in"; done

for _ in $(seq 1 300); do
  [ -f "$out" ] && [ "$(wc -l <"$out")" -ge 5 ] && break
  sleep 0.1
done
echo "==> $out now holds:"
cat "$out" 2>/dev/null || true
[ "$(wc -l <"$out" 2>/dev/null || echo 0)" -ge 5 ] || { echo "the lines did not arrive" >&2; cat "$log"; exit 1; }

echo
echo "==> tributary connectors list"
"$bin/tributary" connectors list
for c in seed-file-source seed-file-sink; do
  echo "==> tributary connectors status $c"
  "$bin/tributary" connectors status "$c"
done
if command -v kcat >/dev/null; then
  echo "==> kcat -C -t seed-lines -e (the topic, read by a client Tributary did not write)"
  kcat -b 127.0.0.1:9092 -C -t seed-lines -e -q
fi
echo
echo "demo ok; data kept in $data"
