package version

import "testing"

func TestGetPrefersBuildValues(t *testing.T) {
	oldV, oldC := Version, Commit
	t.Cleanup(func() { Version, Commit = oldV, oldC })
	Version, Commit = "1.2.3", "abcdef1"
	if v, c := Get(); v != "1.2.3" || c != "abcdef1" {
		t.Errorf("Get() = %q, %q; want the -ldflags values 1.2.3, abcdef1", v, c)
	}
	Version, Commit = "", ""
	if v, c := Get(); v == "" || c == "" {
		t.Errorf("Get() without build values = %q, %q; want a fallback for both", v, c)
	}
}
