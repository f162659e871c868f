package main

import (
	"strings"
	"testing"
)

// FuzzParseURI: parseURI never panics, an accepted URI has a host:port, and no error
// repeats the password the URI carries.
func FuzzParseURI(f *testing.F) {
	for _, s := range []string{"redis://h", "rediss://u:p@h:7000/2?timeout=5s", "redis://:pw@[::1]:1/0?database=3",
		"redis-sentinel://h", "redis://u:pw@h:1?bogus=1", "redis://u:pw@h:x", "%zz", "redis://pw@h/abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := parseURI(s)
		if err != nil {
			if i := strings.Index(s, "://"); i >= 0 {
				// The user info is in the authority: before the path, query or fragment.
				authority := s[i+3:]
				if end := strings.IndexAny(authority, "/?#"); end >= 0 {
					authority = authority[:end]
				}
				if at := strings.LastIndex(authority, "@"); at >= 0 {
					userinfo := authority[:at]
					if _, pw, ok := strings.Cut(userinfo, ":"); ok && len(pw) >= 4 && strings.Contains(err.Error(), pw) {
						t.Fatalf("parseURI(%q): error %q repeats the password", s, err)
					}
				}
			}
			return
		}
		if !strings.Contains(u.addr, ":") || u.db < 0 {
			t.Fatalf("parseURI(%q) = %+v: want host:port and a database ≥ 0", s, u)
		}
	})
}

// FuzzHostPort: hostPort never panics and what it accepts is host:port.
func FuzzHostPort(f *testing.F) {
	for _, s := range []string{"h", "h:1", "[::1]:6380", "::1", "h:port", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if addr, err := hostPort(s); err == nil && !strings.Contains(addr, ":") {
			t.Fatalf("hostPort(%q) = %q: want host:port", s, addr)
		}
	})
}
