package main

import "testing"

// Zones come as PostgreSQL prints them: hours, hours:minutes, hours:minutes:seconds.
func TestParseTimestampZones(t *testing.T) {
	const base = 1796414031123456 // 2026-12-04 19:53:51.123456 UTC, in µs
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"2026-12-04 19:53:51.123456+00", base, true},
		{"2026-12-04 21:53:51.123456+02", base, true},
		{"2026-12-04 14:23:51.123456-05:30", base, true},
		{"2026-12-04 19:54:01.123456+00:00:10", base, true},
		{"2026-12-04 19:53:51.123456+00:00:00:00", 0, false},
		{"2026-12-04 19:53:51.123456+", 0, false},
		{"2026-12-04 19:53:51.123456+0a", 0, false},
		{"2026-12-04 19:53:51.123456", 0, false},
	} {
		got, err := parseTimestamp(tc.in, true)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseTimestamp(%q) = %d, %v; want %d (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
