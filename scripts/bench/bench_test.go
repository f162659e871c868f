package main

import (
	"strings"
	"testing"
	"time"
)

func TestMedianAndPercentile(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 0: time.Millisecond} {
		if got := percentile(ds, p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
}

func TestTaskSharesMatchDatagen(t *testing.T) {
	got := taskShares(10, 4)
	if got[0] != 3 || got[1] != 3 || got[2] != 2 || got[3] != 2 {
		t.Fatalf("taskShares(10, 4) = %v, want 3 3 2 2 as datagen splits", got)
	}
}

func TestTablePrintsAlignedMarkdown(t *testing.T) {
	var tb table
	tb.add(row{group: "source", metric: "1 task", value: rate(812_345), baseline: rate(1_234_567), ratio: "0.66×", target: "≥ 0.90×", verdict: verdict(false, "27% short")})
	var b strings.Builder
	tb.print(&b)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[2], "812k rec/s") || !strings.Contains(lines[2], "1.23M rec/s") || !strings.Contains(lines[2], "NO (27% short)") {
		t.Fatalf("table:\n%s", b.String())
	}
	if w := len([]rune(lines[0])); w != len([]rune(lines[1])) || w != len([]rune(lines[2])) {
		t.Fatalf("rows of different widths:\n%s", b.String())
	}
}
