package main

import (
	"context"

	"github.com/tributary-dev/tributary/plugins/protocol/gctune"
)

// kernelMemoryFloor is what the kernel daemon may use before its collector tightens
// (package gctune): 100 connectors fit under 150 MB RSS (make bench footprint).
const kernelMemoryFloor = 128 << 20

func tuneGC(ctx context.Context) { gctune.Start(ctx, kernelMemoryFloor) }
