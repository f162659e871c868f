package testsvc

import (
	"fmt"
	"testing"
	"time"
)

// WaitLimit is how long tests wait for an event that should come within milliseconds on
// an idle machine: a deadlock guard, generous enough for a loaded 2-core machine running
// the race detector, never a statement about speed.
const WaitLimit = 30 * time.Second

// WaitFor calls cond until it reports true and returns true, or returns false once
// timeout has passed with cond never true. cond is called at once, then after pauses
// growing from 1 ms to 50 ms. Use it where a test must wait for something it cannot be
// told of (a file appearing, a metric moving, a process's status).
func WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	pause := time.Millisecond
	for {
		if cond() {
			return true
		}
		if !time.Now().Before(deadline) {
			return false
		}
		time.Sleep(min(pause, time.Until(deadline)))
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// Eventually waits as [WaitFor] does and fails t when cond is still false after
// timeout, saying what was awaited: what is a phrase such as "task 0 is RUNNING".
// Optional detail is called once, on failure, for what came instead.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool, detail ...func() string) {
	t.Helper()
	if WaitFor(timeout, cond) {
		return
	}
	msg := fmt.Sprintf("waited %v for %s; it never happened", timeout, what)
	for _, d := range detail {
		msg += "; " + d()
	}
	t.Fatal(msg)
}

// Consistently checks cond throughout d (as often as [WaitFor] does) and fails t the
// first time it is false: for what must not happen, such as a paused task being polled.
// d is how long the test gives the unwanted thing the chance to happen; a loaded machine
// only makes the check weaker, never makes it fail spuriously. Prefer waiting for a
// positive event that the unwanted one would have come before, where there is one.
func Consistently(t testing.TB, d time.Duration, what string, cond func() bool, detail ...func() string) {
	t.Helper()
	if !WaitFor(d, func() bool { return !cond() }) {
		return
	}
	msg := "expected " + what + " throughout " + d.String() + "; it stopped holding"
	for _, f := range detail {
		msg += "; " + f()
	}
	t.Fatal(msg)
}
