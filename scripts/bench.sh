#!/usr/bin/env bash
# Runs Tributary's benchmarks (make bench): builds the harness in scripts/bench and runs it
# against the binaries in bin/ (make build). Flags go to the harness, e.g.
#   scripts/bench.sh -quick            a ~1-minute smoke run
#   scripts/bench.sh -n 5              five alternating runs per measurement
#   scripts/bench.sh -only source,sink -profile /tmp/prof
# See scripts/bench/main.go and BENCHMARKS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
go build -o bin/bench ./scripts/bench
exec bin/bench -bin bin "$@"
