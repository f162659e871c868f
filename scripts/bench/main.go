// Command bench is Tributary's benchmark harness, run by `make bench` (scripts/bench.sh).
//
// It starts a kfake broker (`tributary broker`) and kernel nodes (`tributary agent`) as
// processes of their own and measures, side by side in one run, the pipeline against the
// raw sarama client it wraps, alternating the two (A/B, B/A, …) and reporting the median
// of -n runs:
//
//   - source throughput: datagen → kernel → topic versus the raw async producer, 1 and 4
//     tasks;
//   - sink throughput: topic → kernel → file sink versus a raw consumer writing the same
//     lines to a file with the same fsync policy;
//   - the plugin boundary alone (go test -bench PollThroughPlugin in plugins/datagen);
//   - end-to-end latency at a fixed rate, datagen → topic → file sink;
//   - footprint: kernel and plugin RSS, idle and with 100 connectors;
//   - failover: SIGKILL of the node running a task in a 3-node cluster until the task is
//     RUNNING elsewhere.
//
// It prints a table against the targets of the benchmarks issue. With -profile DIR the
// kernel nodes of the throughput and latency benchmarks are this harness in agent mode
// (the same kernel, with CPU and allocation profiles written on exit) and the datagen
// plugin writes its own CPU profile.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// benchEnv is what every benchmark shares.
type benchEnv struct {
	bin      string   // bin/: tributary and plugins/
	dir      string   // scratch: data dirs, logs, output files
	profile  string   // where to write profiles; "" for none
	agentEnv []string // extra environment of the kernel nodes
	logLevel string
	flush    time.Duration
	n        int
	records  int64
	size     int
	quick    bool

	broker     string
	brokerProc *proc
	kafka      *kafka

	anomalies []string // things that should not happen, reported after the table
}

// anomaly records and prints something that should not have happened but does not stop
// the measurement, such as duplicates on a topic.
func (e *benchEnv) anomaly(s string) {
	fmt.Printf("   ANOMALY: %s\n", s)
	e.anomalies = append(e.anomalies, s)
}

func (e *benchEnv) tributary() string { return filepath.Join(e.bin, "tributary") }

// profilePath returns where the named profile goes, or "" without -profile.
func (e *benchEnv) profilePath(name string) string {
	if e.profile == "" {
		return ""
	}
	return filepath.Join(e.profile, name)
}

// brokerPid returns the broker's pid for CPU accounting.
func (e *benchEnv) brokerPid() int { return e.brokerProc.pid() }

func main() {
	if len(os.Args) > 1 && os.Args[1] == "agent" {
		if err := runProfilingAgent(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(run())
}

func run() int {
	env := &benchEnv{}
	var only, keep string
	var latencyFor time.Duration
	var failoverRounds, connectors int
	flag.StringVar(&env.bin, "bin", "bin", "directory holding the tributary binary and plugins/ (make build)")
	flag.IntVar(&env.n, "n", 3, "runs of each measurement; the median is reported")
	flag.BoolVar(&env.quick, "quick", false, "a smoke run of about a minute: -n 1, 200k records, short latency and failover runs")
	flag.Int64Var(&env.records, "records", 1_000_000, "records per throughput run")
	flag.IntVar(&env.size, "size", 100, "value size in bytes")
	flag.DurationVar(&env.flush, "flush", 100*time.Millisecond, "the agents' offset flush interval (sink tasks flush and fsync at it; so does the raw consumer)")
	flag.DurationVar(&latencyFor, "latency-for", 10*time.Second, "how long each latency run measures, after 2s of warm-up")
	flag.IntVar(&failoverRounds, "failover-rounds", 0, "SIGKILL rounds of the failover benchmark, alternately of a follower and of the leader (default 2×-n)")
	flag.IntVar(&connectors, "connectors", 100, "connectors in the footprint benchmark")
	flag.StringVar(&only, "only", "", "comma-separated benchmarks to run: boundary,source,source4,sink,latency,footprint,failover,postgres,elasticsearch,redis,s3,jdbc (default all)")
	flag.StringVar(&env.profile, "profile", "", "write CPU and allocation profiles of the kernel and the datagen plugin to this directory")
	flag.Func("agent-env", "an environment variable KEY=VALUE for the kernel nodes and their plugins, e.g. GOGC=200 (repeatable; for experiments)", func(v string) error {
		if !strings.Contains(v, "=") {
			return fmt.Errorf("want KEY=VALUE, got %q", v)
		}
		env.agentEnv = append(env.agentEnv, v)
		return nil
	})
	flag.StringVar(&env.logLevel, "log-level", "warn", "the kernel nodes' log level (their logs are in the scratch directory)")
	flag.StringVar(&keep, "keep", "", "keep the scratch directory (logs, data) at this path instead of a temporary one")
	flag.Parse()
	if env.quick {
		env.n = 1
		env.records = 200_000
		latencyFor = 3 * time.Second
	}
	if failoverRounds == 0 {
		failoverRounds = 2 * env.n
	}
	var err error
	if env.bin, err = filepath.Abs(env.bin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if _, err := os.Stat(filepath.Join(env.bin, "plugins", "tributary-datagen")); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v: run make build first\n", err)
		return 2
	}
	if env.profile != "" {
		if env.profile, err = filepath.Abs(env.profile); err == nil {
			err = os.MkdirAll(env.profile, 0o755)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
	}
	if keep != "" {
		env.dir, err = filepath.Abs(keep)
		if err == nil {
			err = os.MkdirAll(env.dir, 0o755)
		}
	} else {
		env.dir, err = os.MkdirTemp("", "tributary-bench-")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	defer stopAll()

	want := map[string]bool{}
	for _, b := range strings.Split(only, ",") {
		if b = strings.TrimSpace(b); b != "" {
			want[b] = true
		}
	}
	enabled := func(name string) bool { return len(want) == 0 || want[name] }

	started := time.Now()
	fmt.Printf("Tributary benchmarks: %s, %d CPUs (%s), %s\n", cpuModel(), runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format(time.RFC3339))
	fmt.Printf("runs per measurement %d, %d records of %d bytes, offset flush %s, scratch %s\n", env.n, env.records, env.size, env.flush, env.dir)
	if len(env.agentEnv) > 0 {
		fmt.Printf("kernel node environment: %s\n", strings.Join(env.agentEnv, " "))
	}
	fmt.Println()

	var t table
	failed := false
	phase := func(name string, fn func() error) {
		if !enabled(name) || ctx.Err() != nil {
			return
		}
		fmt.Printf("== %s\n", name)
		t0 := time.Now()
		if err := fn(); err != nil {
			failed = true
			fmt.Printf("   ERROR: %v\n", err)
			t.add(row{group: name, metric: "error", value: firstLine(err.Error())})
		}
		fmt.Printf("   (%s)\n\n", time.Since(t0).Round(100*time.Millisecond))
	}

	phase("boundary", func() error { return benchBoundary(ctx, env, &t) })
	needBroker := false
	for _, b := range []string{"source", "source4", "sink", "latency", "footprint", "failover", "postgres", "elasticsearch", "redis", "s3", "jdbc"} {
		needBroker = needBroker || enabled(b)
	}
	if needBroker {
		p, addr, err := startBroker(env)
		if err == nil {
			env.brokerProc, env.broker = p, addr
			env.kafka, err = newKafka(addr)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: broker:", err)
			return 1
		}
		defer env.kafka.close()
		phase("source", func() error { return benchSource(ctx, env, &t, 1) })
		phase("source4", func() error { return benchSource(ctx, env, &t, 4) })
		phase("sink", func() error { return benchSink(ctx, env, &t) })
		phase("elasticsearch", func() error { return benchElasticsearch(ctx, env, &t) })
		phase("redis", func() error { return benchRedis(ctx, env, &t) })
		phase("s3", func() error { return benchS3(ctx, env, &t) })
		phase("latency", func() error { return benchLatency(ctx, env, &t, latencyFor) })
		phase("footprint", func() error { return benchFootprint(ctx, env, &t, connectors) })
		phase("failover", func() error { return benchFailover(ctx, env, &t, failoverRounds) })
		phase("postgres", func() error { return benchPostgres(ctx, env, &t) })
		phase("jdbc", func() error { return benchJDBC(ctx, env, &t) })
	}

	fmt.Printf("== results (median of %d; ratio = Tributary / raw sarama)\n\n", env.n)
	t.print(os.Stdout)
	for _, a := range env.anomalies {
		fmt.Printf("\nANOMALY: %s", a)
	}
	fmt.Printf("\ntotal time %s\n", time.Since(started).Round(time.Second))
	if env.profile != "" {
		fmt.Printf("profiles in %s (go tool pprof -top %s/<name>)\n", env.profile, env.profile)
	}
	if failed || ctx.Err() != nil {
		fmt.Printf("logs kept in %s\n", env.dir)
		return 1
	}
	if keep == "" {
		stopAll()
		os.RemoveAll(env.dir)
	}
	return 0
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if len(line) > 120 {
		line = line[:120] + "…"
	}
	return line
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
