package main

import (
	"testing"
	"time"
)

// FuzzPathFormat: any path.format either is refused or prints any time without
// panicking, and a pattern of quoted text prints that text.
func FuzzPathFormat(f *testing.F) {
	for _, s := range []string{"'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH", "yyyy-MM-dd'T'HH:mm:ss.SSSZZ", "''''", "'unclosed", "q", "MMMM EEEE a",
		"x/w/e/D/C/G/z", "", "'"} {
		f.Add(s, int64(1700000000000))
	}
	f.Fuzz(func(t *testing.T, pattern string, ms int64) {
		pf, err := parsePathFormat(pattern)
		if err != nil {
			return
		}
		ms %= 1 << 50 // within Go's and Joda-Time's year range
		for _, loc := range []*time.Location{time.UTC, time.FixedZone("x", -5*3600)} {
			_ = pf.appendFormat(nil, bucketStart(ms, 3600000, loc))
		}
		q, err := parsePathFormat("'" + pattern + "'")
		if err == nil && len(pattern) > 0 && !containsQuote(pattern) {
			if got := string(q.appendFormat(nil, time.Unix(0, 0))); got != pattern {
				t.Errorf("quoted %q prints %q", pattern, got)
			}
		}
	})
}

func containsQuote(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			return true
		}
	}
	return false
}
