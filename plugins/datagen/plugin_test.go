package main

// Tests and benchmarks of the built tributary-datagen binary, launched by the kernel's
// plugin host as the kernel launches it: go-plugin, AutoMTLS, gRPC over a Unix socket.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/kernel/pluginhost/hosttest"
	"github.com/tributary-dev/tributary/plugins/datagen/record"
	"github.com/tributary-dev/tributary/plugins/testsvc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

var (
	buildOnce sync.Once
	binary    string // the tributary-datagen binary under test
	buildErr  error
	buildDir  string // removed by TestMain when the binary was built here
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// pluginBinary returns the datagen binary: $TRIBUTARY_BIN/plugins/tributary-datagen when
// TRIBUTARY_BIN is set (make test and make bench set it to the freshly built bin/),
// otherwise one built from this package, once.
func pluginBinary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		if dir := os.Getenv("TRIBUTARY_BIN"); dir != "" {
			binary = filepath.Join(dir, "plugins", "tributary-datagen")
			_, buildErr = os.Stat(binary)
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "datagen-test-"); buildErr != nil {
			return
		}
		binary = filepath.Join(buildDir, "tributary-datagen")
		buildErr = testsvc.GoBuild("", binary, ".")
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binary
}

// hostClient launches the datagen binary under a plugin host and returns its client.
func hostClient(tb testing.TB) *pluginhost.Client {
	tb.Helper()
	return hosttest.Client(tb, pluginBinary(tb), "tributary-datagen", "DatagenSource")
}

func TestServedThroughPluginHost(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and launches the plugin binary")
	}
	c := hostClient(t)
	ctx := context.Background()
	desc, err := c.Plugin.Describe(ctx, &pluginv1.DescribeRequest{})
	if err != nil || len(desc.Connectors) != 1 || desc.Connectors[0].Name != "datagen" {
		t.Fatalf("describe: %v, %v", desc, err)
	}
	cfg := map[string]string{"topic": "t", "count": "3000", "value.type": "bytes"}
	open := func(handle string, offsets ...*pluginv1.SourceOffset) {
		t.Helper()
		if _, err := c.Source.Open(ctx, &pluginv1.OpenSourceRequest{Task: &pluginv1.TaskRef{Handle: handle},
			ConnectorClass: "DatagenSource", Config: cfg, Offsets: offsets}); err != nil {
			t.Fatalf("open: %v", err)
		}
	}
	poll := func(handle string) []*pluginv1.Record {
		t.Helper()
		resp, err := c.Source.Poll(ctx, &pluginv1.PollRequest{Handle: handle, MaxRecords: 1024, TimeoutMs: 50})
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		return resp.Records
	}
	open("a")
	var sizes []int
	var last *pluginv1.Record
	for range 4 {
		recs := poll("a")
		sizes = append(sizes, len(recs))
		for _, r := range recs {
			h, ok := record.Parse(r.GetValue().GetBytesValue())
			if want := r.SourceOffset; !ok || string(want) != fmt.Sprintf(`{"seq":%d}`, h.Seq) {
				t.Fatalf("record offset %s with header %+v", want, h)
			}
			last = r
		}
	}
	if fmt.Sprint(sizes) != "[1024 1024 952 0]" {
		t.Fatalf("poll sizes %v, want [1024 1024 952 0]", sizes)
	}
	if _, err := c.Source.Close(ctx, &pluginv1.CloseRequest{Handle: "a"}); err != nil {
		t.Fatal(err)
	}
	// Reopened at its last offset, the task has nothing left to generate.
	open("b", &pluginv1.SourceOffset{Partition: last.SourcePartition, Offset: last.SourceOffset})
	if recs := poll("b"); len(recs) != 0 {
		t.Fatalf("a finished task generated %d more records", len(recs))
	}
}

// BenchmarkPollThroughPlugin measures one task's records per second across the
// kernel↔plugin boundary: Poll requests of up to 1024 records (the kernel's batch) of
// 100-byte values from the datagen process, over go-plugin's gRPC connection. Allocations
// are the kernel side's (unmarshalling the response), per Poll.
func BenchmarkPollThroughPlugin(b *testing.B) {
	// The kernel daemon's collector setting (cmd/tributary/gc.go), for the kernel side
	// measured here in the test process; the plugin process sets its own.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	for _, vt := range []string{valueString, valueBytes} {
		b.Run(vt, func(b *testing.B) {
			c := hostClient(b)
			ctx := context.Background()
			handle := "bench-" + vt
			if _, err := c.Source.Open(ctx, &pluginv1.OpenSourceRequest{Task: &pluginv1.TaskRef{Handle: handle},
				ConnectorClass: "datagen", Config: map[string]string{"topic": "t", "value.type": vt}}); err != nil {
				b.Fatal(err)
			}
			req := &pluginv1.PollRequest{Handle: handle, MaxRecords: 1024, TimeoutMs: 1000}
			records := 0
			b.ReportAllocs()
			kernel0, plugin0 := selfCPU(), processCPU(c.Pid)
			for b.Loop() {
				resp, err := c.Source.Poll(ctx, req)
				if err != nil || len(resp.Records) != 1024 {
					b.Fatalf("poll: %d records, %v", len(resp.GetRecords()), err)
				}
				records += len(resp.Records)
			}
			b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(records), "ns/record")
			// CPU time per record on each side of the boundary: steadier than the rate on a
			// busy machine, and it says which side to make cheaper.
			b.ReportMetric(float64(selfCPU()-kernel0)/float64(records), "kernel-cpu-ns/record")
			b.ReportMetric(float64(processCPU(c.Pid)-plugin0)/float64(records), "plugin-cpu-ns/record")
		})
	}
}

// selfCPU returns the user and system CPU time this process has used, in nanoseconds.
func selfCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// processCPU returns the user and system CPU time process pid has used, in nanoseconds,
// from /proc/PID/stat (clock ticks of 10ms); 0 when it cannot be read.
func processCPU(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// "pid (comm) state ppid …": utime and stime are fields 14 and 15, counted from 1.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return (utime + stime) * int64(10*time.Millisecond)
}
