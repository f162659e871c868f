package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tributary-dev/tributary/plugins/protocol"
)

// benchBoundary runs the Go benchmarks of the plugin boundary in plugins/datagen:
// BenchmarkPollThroughPlugin (one task's Polls of 1024 100-byte records from the real
// datagen process, through the kernel's plugin host) and BenchmarkPoll (the plugin side
// alone, in process), -count n, with -benchmem.
func benchBoundary(ctx context.Context, env *benchEnv, t *table) error {
	benchtime := "3s"
	if env.quick {
		benchtime = "1s"
	}
	args := []string{"test", "-run", "^$", "-bench", "Poll", "-benchmem", "-benchtime", benchtime,
		"-count", strconv.Itoa(env.n), "./plugins/datagen/"}
	if p := env.profilePath("boundary-kernel.pprof"); p != "" {
		args = append(args, "-cpuprofile", p)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moduleRoot(env)
	cmd.Env = append(os.Environ(), "TRIBUTARY_BIN="+env.bin)
	if p := env.profilePath("boundary"); p != "" {
		cmd.Env = append(cmd.Env, protocol.CPUProfileEnv+"="+p) // boundary-tributary-datagen.pprof
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	fmt.Printf("   go %s\n", strings.Join(args, " "))
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go test: %v\n%s", err, out.String())
	}
	// name → metric unit → values, one per -count.
	results := map[string]map[string][]float64{}
	var names []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i] // drop -GOMAXPROCS
		}
		if results[name] == nil {
			results[name] = map[string][]float64{}
			names = append(names, name)
		}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				results[name][f[i+1]] = append(results[name][f[i+1]], v)
			}
		}
		fmt.Printf("   %s\n", sc.Text())
	}
	if len(names) == 0 {
		return fmt.Errorf("no benchmark results in:\n%s", out.String())
	}
	for _, name := range names {
		m := results[name]
		r := median(m["records/s"])
		through := strings.HasPrefix(name, "BenchmarkPollThroughPlugin")
		metric := strings.TrimPrefix(name, "Benchmark")
		if !through {
			metric += " (plugin side, in process)"
		}
		rw := row{group: "plugin boundary", metric: metric, value: rate(r)}
		if through {
			rw.target = "≥ 1M rec/s/task"
			rw.verdict = verdict(r >= 1e6, fmt.Sprintf("%.0f%% short", (1-r/1e6)*100))
		}
		t.add(rw)
		side := "kernel side"
		if !through {
			side = "plugin side"
		}
		t.add(row{metric: "  allocations per 1024-record poll, " + side, value: fmt.Sprintf("%.0f (%.0f KB)", median(m["allocs/op"]), median(m["B/op"])/1000)})
		if k, p := m["kernel-cpu-ns/record"], m["plugin-cpu-ns/record"]; through && len(k) > 0 {
			t.add(row{metric: "  CPU per record by process",
				value: fmt.Sprintf("kernel side %.2f + plugin %.2f µs", median(k)/1000, median(p)/1000)})
		}
	}
	return nil
}

// moduleRoot is the directory of go.mod: the working directory (scripts/bench.sh runs
// from the repository root), else the parent of -bin.
func moduleRoot(env *benchEnv) string {
	if wd, err := os.Getwd(); err == nil {
		if _, err := os.Stat(filepath.Join(wd, "go.mod")); err == nil {
			return wd
		}
	}
	return filepath.Dir(env.bin)
}
