package record

import (
	"strings"
	"testing"
)

func TestAppendValueAndParse(t *testing.T) {
	filler := Filler(1, 2, 100)
	for _, tc := range []struct {
		seq   uint64
		task  int
		nanos int64
		want  string
	}{
		{0, 0, 0, "0000000000000000.0000.0000000000000000000."},
		{42, 3, 1732425600123456789, "0000000000000042.0003.1732425600123456789."},
		{MaxSeq + 5, MaxTasks + 1, -1, "0000000000000005.0001.0000000000000000000."},
	} {
		v := AppendValue([]byte("prefix"), 100, tc.seq, tc.task, tc.nanos, filler)
		if len(v) != 6+100 || string(v[:6]) != "prefix" {
			t.Fatalf("AppendValue(%d) = %q: want 100 bytes after the prefix", tc.seq, v)
		}
		v = v[6:]
		if got := string(v[:HeaderLen]); got != tc.want {
			t.Fatalf("header = %q, want %q", got, tc.want)
		}
		if string(v[HeaderLen:]) != string(filler[:100-HeaderLen]) {
			t.Fatalf("filler = %q", v[HeaderLen:])
		}
		h, ok := Parse(v)
		hs, oks := Parse(string(v))
		if !ok || !oks || h != hs {
			t.Fatalf("Parse(%q) = %+v %v / %+v %v", v, h, ok, hs, oks)
		}
		if h.Seq != tc.seq%MaxSeq || h.Task != tc.task%MaxTasks || h.UnixNanos != max(tc.nanos, 0) {
			t.Fatalf("Parse(%q) = %+v", v, h)
		}
	}
	if v := AppendValue(nil, 10, 7, 1, 0, nil); string(v) != "0000000000" {
		t.Fatalf("a 10-byte value = %q, want the header's first 10 bytes", v)
	}
	for _, bad := range []string{"", "0000000000000042.0003.1732425600123456789", strings.Replace(
		"0000000000000042.0003.1732425600123456789.", "3.", "x.", 1), strings.Repeat("0", 50)} {
		if h, ok := Parse(bad); ok {
			t.Fatalf("Parse(%q) = %+v, want not ok", bad, h)
		}
	}
}

func TestFiller(t *testing.T) {
	a, b, c := Filler(1, 0, 64), Filler(1, 0, 64), Filler(1, 1, 64)
	if string(a) != string(b) || string(a) == string(c) {
		t.Fatalf("fillers %q %q %q: want equal for equal seed and task, different otherwise", a, b, c)
	}
	for _, ch := range a {
		if ch < 'a' || ch > 'z' {
			t.Fatalf("filler byte %q is not a lowercase letter", ch)
		}
	}
}
