package kc

import (
	"testing"
	"time"
)

func TestBackoffSchedule(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name string
		b    Backoff
		want []time.Duration // Next(0), Next(1), …
	}{
		{"doubling to a cap", Backoff{Initial: 100 * ms, Max: time.Second},
			[]time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, time.Second, time.Second}},
		{"the error policy's 300ms doubling", Backoff{Initial: 300 * ms, Max: 60 * time.Second, Multiplier: 2},
			[]time.Duration{300 * ms, 600 * ms, 1200 * ms, 2400 * ms, 4800 * ms, 9600 * ms, 19200 * ms, 38400 * ms, 60 * time.Second}},
		{"multiplier 1.5", Backoff{Initial: 100 * ms, Max: time.Second, Multiplier: 1.5},
			[]time.Duration{100 * ms, 150 * ms, 225 * ms, 337500 * time.Microsecond}},
		{"no cap", Backoff{Initial: time.Second},
			[]time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		// ExponentialBackoff's constant backoff: initial at or above max.
		{"initial above max", Backoff{Initial: 5 * time.Second, Max: time.Second},
			[]time.Duration{time.Second, time.Second}},
		{"zero", Backoff{}, []time.Duration{0, 0}},
	}
	for _, tt := range tests {
		for attempt, want := range tt.want {
			if got := tt.b.Next(attempt); got != want {
				t.Errorf("%s: Next(%d) = %v; want %v", tt.name, attempt, got, want)
			}
		}
	}
}

func TestBackoffLimits(t *testing.T) {
	b := Backoff{Initial: time.Millisecond, Max: time.Minute}
	if got := b.Next(-3); got != time.Millisecond {
		t.Errorf("Next(-3) = %v; want the initial 1ms", got)
	}
	for _, attempt := range []int{60, 1000, 1 << 30} {
		if got := b.Next(attempt); got != time.Minute {
			t.Errorf("Next(%d) = %v; want the cap 1m", attempt, got)
		}
	}
	unbounded := Backoff{Initial: time.Second}
	if got := unbounded.Next(1 << 20); got <= 0 {
		t.Errorf("unbounded Next(1<<20) = %v; want the largest Duration, not an overflow", got)
	}
}

func TestBackoffJitter(t *testing.T) {
	const ms = time.Millisecond
	r := 0.0
	b := Backoff{Initial: 100 * ms, Max: time.Second, Jitter: 0.2, Rand: func() float64 { return r }}
	tests := []struct {
		rand    float64
		attempt int
		want    time.Duration
	}{
		{0, 0, 80 * ms},          // factor 1-0.2
		{0.5, 0, 100 * ms},       // factor 1
		{0.75, 1, 220 * ms},      // factor 1.1
		{0, 10, 800 * ms},        // the cap, jittered down
		{0.999, 10, time.Second}, // jittered up, still capped
	}
	for _, tt := range tests {
		r = tt.rand
		if got := b.Next(tt.attempt); got != tt.want {
			t.Errorf("rand %v: Next(%d) = %v; want %v", tt.rand, tt.attempt, got, tt.want)
		}
	}
	// Without Rand, the jitter still stays inside its band.
	b.Rand = nil
	for range 100 {
		if got := b.Next(2); got < 320*ms || got > 480*ms {
			t.Fatalf("Next(2) with 20%% jitter = %v; want within [320ms, 480ms]", got)
		}
	}
}
