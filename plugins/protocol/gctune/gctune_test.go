package gctune

import "testing"

func TestLimitFollowsTheLiveHeap(t *testing.T) {
	const floor = 128 << 20
	for _, c := range []struct{ live, want int64 }{
		{0, floor},
		{40 << 20, floor},              // small heap: up to the floor, GOGC=400 below it
		{100 << 20, 2*100<<20 + slack}, // large heap: Go's default doubling
	} {
		if got := Limit(floor, c.live); got != c.want {
			t.Errorf("Limit(%d MiB live) = %d MiB; want %d MiB", c.live>>20, got>>20, c.want>>20)
		}
	}
}
