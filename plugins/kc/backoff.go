package kc

import (
	"math"
	"math/rand/v2"
	"time"
)

// Backoff is an exponential backoff schedule, as Kafka's ExponentialBackoff computes its
// retry and reconnect waits: the wait before retry number attempt+1 is
//
//	min(Initial × Multiplier^attempt, Max) × a random factor in [1-Jitter, 1+Jitter)
//
// and never more than Max. With Jitter 0 the schedule is a pure function of attempt.
// The zero value of each field works: Multiplier 0 means 2, Max 0 means no bound.
type Backoff struct {
	Initial    time.Duration // the first wait
	Max        time.Duration // the longest wait; 0 means unbounded
	Multiplier float64       // the growth per attempt; 0 (or anything below 1) means 2
	Jitter     float64       // the random spread, a fraction in [0, 1]; 0 means none
	// Rand returns a number in [0, 1) for the jitter; nil means math/rand/v2's Float64.
	// Tests set it so that a jittered schedule is deterministic.
	Rand func() float64
}

// Next returns the wait after attempt failures have already been waited for: Next(0) is
// Initial (jittered), Next(1) Initial×Multiplier, and so on up to Max. attempt below 0
// counts as 0. If Initial is Max or more, every wait is Initial capped at Max, as
// ExponentialBackoff's constant backoff.
func (b Backoff) Next(attempt int) time.Duration {
	initial := max(b.Initial, 0)
	if b.Max > 0 {
		initial = min(initial, b.Max)
	}
	mult := b.Multiplier
	if mult < 1 {
		mult = 2
	}
	limit := float64(math.MaxInt64)
	if b.Max > 0 {
		limit = float64(b.Max)
	}
	term := float64(initial) * math.Pow(mult, float64(max(attempt, 0)))
	term = min(term, limit)
	if j := min(b.Jitter, 1); j > 0 {
		r := b.Rand
		if r == nil {
			r = rand.Float64
		}
		term *= 1 - j + 2*j*r()
		term = min(term, limit)
	}
	if term >= float64(math.MaxInt64) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(term)
}
