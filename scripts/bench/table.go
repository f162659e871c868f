package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// row is one line of the results table.
type row struct {
	group, metric   string
	value, baseline string // Tributary's figure and the raw client's, formatted
	ratio           string
	target, verdict string
}

type table struct{ rows []row }

func (t *table) add(r row) { t.rows = append(t.rows, r) }

// print writes the table as Markdown, so it pastes into BENCHMARKS.md.
func (t *table) print(w io.Writer) {
	header := row{"benchmark", "metric", "Tributary", "raw sarama", "ratio", "target", "met"}
	all := append([]row{header}, t.rows...)
	cols := func(r row) []string {
		return []string{r.group, r.metric, r.value, r.baseline, r.ratio, r.target, r.verdict}
	}
	width := make([]int, 7)
	for _, r := range all {
		for i, c := range cols(r) {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range cells {
			fmt.Fprintf(&b, " %s%s |", c, strings.Repeat(" ", width[i]-len([]rune(c))))
		}
		fmt.Fprintln(w, b.String())
	}
	line(cols(header))
	sep := make([]string, 7)
	for i := range sep {
		sep[i] = strings.Repeat("-", width[i])
	}
	line(sep)
	for _, r := range t.rows {
		line(cols(r))
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianDuration(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(median(xs))
}

// percentile returns the p-th percentile (0..100) of sorted xs, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// rate formats records per second: 812k/s, 1.23M/s.
func rate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2fM rec/s", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.0fk rec/s", r/1e3)
	}
	return fmt.Sprintf("%.0f rec/s", r)
}

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.1f ms", float64(d)/1e6)
}

// mb formats a size given in KiB (as /proc reports it) in megabytes (10^6 bytes), the
// unit of the targets.
func mb(kb int64) string { return fmt.Sprintf("%.1f MB", float64(kb)*1024/1e6) }

// verdict says whether a figure met its target, and by how much it missed.
func verdict(ok bool, miss string) string {
	if ok {
		return "yes"
	}
	return "NO (" + miss + ")"
}
