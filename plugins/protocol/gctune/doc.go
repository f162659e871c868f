// Package gctune sets the garbage collector of a Tributary process (the kernel daemon and
// every Go plugin) for moving records: they allocate steadily and keep little alive, so
// at Go's default (collect when the heap doubles) the collector and the scavenger
// returning memory to the OS take a quarter of the record path's CPU. Start lets the heap
// grow to 5× the live heap (GOGC=400) but, through the soft memory limit, never past
// max(floor, 2× the live heap): small heaps collect rarely, while a large live heap gets
// Go's default growth instead of 5× its size. It only touches the runtime's GC settings,
// and nothing at all when the operator set GOGC or GOMEMLIMIT.
package gctune
