package gctune

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// GCPercent is the growth allowed while the live heap is small.
const GCPercent = 400

// slack is room above twice the live heap for what the limit counts besides the heap
// (goroutine stacks, the runtime's own structures).
const slack = 16 << 20

// Start applies the settings and keeps the limit following the live heap, every second
// until ctx ends. floor is the memory the process may use before the limit tightens
// collection (the kernel's 100-connector footprint target is 150 MB; a plugin's is less).
func Start(ctx context.Context, floor int64) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(GCPercent)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	adjust := func() {
		metrics.Read(sample)
		live := int64(0)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			live = int64(sample[0].Value.Uint64())
		}
		debug.SetMemoryLimit(Limit(floor, live))
	}
	adjust()
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				adjust()
			}
		}
	}()
}

// Limit is the soft memory limit for a live heap of live bytes.
func Limit(floor, live int64) int64 {
	return max(floor, 2*live+slack)
}
