package main

import (
	"os"
	"runtime/debug"
)

// Garbage collector defaults for the kernel daemon (agent, dev), used unless the operator
// sets GOGC or GOMEMLIMIT. Moving records allocates steadily and keeps little alive, so a
// collection every 5× of the live heap instead of every 2× halves the GC's share of the
// record path (make bench: source +18%, sink +55% throughput, BENCHMARKS.md) while the
// footprint with 100 idle connectors barely moves (most of it is not heap). The soft
// memory limit is a backstop: near it the collector runs as often as it must.
const (
	kernelGCPercent   = 400
	kernelMemoryLimit = 1 << 30
)

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(kernelGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(kernelMemoryLimit)
	}
}
