package testsvc

import (
	"testing"
	"time"
)

func TestWaitForReturnsWhenTheConditionHolds(t *testing.T) {
	calls := 0
	if !WaitFor(WaitLimit, func() bool { calls++; return calls == 5 }) {
		t.Fatal("WaitFor gave up on a condition that became true on the 5th call")
	}
	if calls != 5 {
		t.Fatalf("cond called %d times, want 5: WaitFor must stop at the first true", calls)
	}
}

func TestWaitForGivesUpAtTheDeadline(t *testing.T) {
	calls := 0
	if WaitFor(20*time.Millisecond, func() bool { calls++; return false }) {
		t.Fatal("WaitFor reported true for a condition that never held")
	}
	if calls < 2 {
		t.Fatalf("cond called %d times in the wait, want it checked again before giving up", calls)
	}
}

func TestConsistentlyChecksThroughout(t *testing.T) {
	calls := 0
	Consistently(t, 20*time.Millisecond, "the condition holds", func() bool { calls++; return true })
	if calls < 2 {
		t.Fatalf("cond called %d times in 20ms, want it checked repeatedly", calls)
	}
}
