package pluginhost

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/plugins/testsvc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// fileBinary returns the real plugins/file binary: $TRIBUTARY_BIN's (make test's -race
// build in bin/race), or one built once for this test binary, with -race when the tests
// run with it (testsvc.Built). Its stderr reaches the host's log, where newHost looks for
// the race detector's reports.
func fileBinary(tb testing.TB) string {
	tb.Helper()
	return testsvc.Built(tb, "plugins/tributary-file", "../../plugins/file")
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		runHelperKernel(dir)
		return
	}
	code := m.Run()
	testsvc.RemoveBuilt()
	os.Exit(code)
}

// helperEnv makes the test binary act as a kernel process hosting the plugins of the
// directory it names, for TestPluginsDieWithKernel.
const helperEnv = "PLUGINHOST_TEST_HELPER_DIR"

func runHelperKernel(dir string) {
	h, err := New(context.Background(), Config{Dir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println(h.Processes()[0].Pid)
	select {} // until killed
}

// processGone reports whether pid has exited (a zombie nobody reaped counts as gone).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return os.IsNotExist(err)
	}
	// The state follows the parenthesised command name: "pid (comm) S ...".
	if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) {
		return b[i+2] == 'Z' || b[i+2] == 'X'
	}
	return false
}

// syncBuffer collects log output; plugin logs arrive from go-plugin's goroutines, also
// after a test has finished with t.Log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// pluginDir returns a plugin directory holding the file plugin, plus files the scan
// must ignore.
func pluginDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(fileBinary(t), filepath.Join(dir, "tributary-file")); err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]os.FileMode{"README": 0o644, "tributary-notes.txt": 0o644, "other-plugin": 0o755} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\nexit 3\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "tributary-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func newHost(t *testing.T, cfg Config) (*Host, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = h.Close()
		// The plugin processes have ended: a race one of them reported is in its stderr,
		// which the host logs.
		testsvc.CheckRaces(t, "the plugins' log", logs.String())
		if t.Failed() {
			t.Logf("host logs:\n%s", logs.String())
		}
	})
	return h, logs
}

func TestDescribeAndResolve(t *testing.T) {
	h, _ := newHost(t, Config{Dir: pluginDir(t)})

	var names []string
	for _, d := range h.Connectors() {
		names = append(names, fmt.Sprintf("%s/%s/%s", d.Name, d.Binary, d.Type))
	}
	if got, want := strings.Join(names, " "), "file-sink/tributary-file/CONNECTOR_TYPE_SINK file-source/tributary-file/CONNECTOR_TYPE_SOURCE"; got != want {
		t.Fatalf("connectors = %s, want %s", got, want)
	}
	src, err := h.Resolve("file-source")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]*pluginv1.ConfigKey{}
	for _, k := range src.Config {
		keys[k.Name] = k
	}
	if k := keys["batch.size"]; k == nil || k.DefaultValue != "2000" || k.Type != pluginv1.ConfigKey_TYPE_INT {
		t.Fatalf("batch.size definition = %v", k)
	}
	if k := keys["file"]; k == nil || !k.Required || k.Documentation == "" || k.Importance != pluginv1.ConfigKey_IMPORTANCE_HIGH {
		t.Fatalf("file definition = %v", k)
	}

	for class, want := range map[string]string{
		"file-source": "file-source",
		"org.apache.kafka.connect.file.FileStreamSourceConnector": "file-source",
		"FileStreamSource":                        "file-source",
		"FileStreamSinkConnector":                 "file-sink", // simple name of an alias
		"com.example.connect.FileStreamSink":      "file-sink", // a class name whose simple name is an alias
		"io.other.file.FileStreamSourceConnector": "file-source",
	} {
		d, err := h.Resolve(class)
		if err != nil || d.Name != want {
			t.Errorf("Resolve(%q) = %q, %v; want %s", class, d.GetName(), err, want)
		}
	}

	_, err = h.Resolve("file-SOURCE")
	want := `unknown connector class "file-SOURCE"; available: ` +
		`file-sink (org.apache.kafka.connect.file.FileStreamSinkConnector, FileStreamSink), ` +
		`file-source (org.apache.kafka.connect.file.FileStreamSourceConnector, FileStreamSource); plugins are searched in `
	if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, ErrUnknownClass) {
		t.Fatalf("Resolve of an unknown class: %v\nwant: %s", err, want)
	}
	if _, err := h.Client("nope"); !errors.Is(err, ErrUnknownClass) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("Client of an unknown class: %v", err)
	}

	procs := h.Processes()
	if len(procs) != 1 || procs[0].Binary != "tributary-file" || !procs[0].Running || procs[0].Pid == 0 ||
		strings.Join(procs[0].Connectors, ",") != "file-sink,file-source" {
		t.Fatalf("processes = %+v, want the one file plugin running", procs)
	}
}

func TestEmptyAndMissingDir(t *testing.T) {
	dir := t.TempDir()
	h, _ := newHost(t, Config{Dir: dir})
	if n := len(h.Connectors()); n != 0 {
		t.Fatalf("%d connectors in an empty dir", n)
	}
	if _, err := h.Resolve("file-source"); err == nil || err.Error() != `unknown connector class "file-source"; available: none; `+
		`plugins are searched in `+dir+` (executables named tributary-*); after copying a binary there, run `+"`tributary plugins reload`" {
		t.Fatalf("Resolve in an empty host: %v", err)
	}
	if _, err := New(context.Background(), Config{Dir: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Fatal("New accepted a missing plugin dir")
	}
}

func TestBrokenBinaryIsSkipped(t *testing.T) {
	dir := pluginDir(t)
	broken := filepath.Join(dir, "tributary-broken")
	if err := os.WriteFile(broken, []byte("#!/bin/sh\necho 'not a plugin' >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h, _ := newHost(t, Config{Dir: dir})
	if _, err := h.Resolve("file-source"); err != nil {
		t.Fatalf("a broken plugin next to it stopped the file plugin: %v", err)
	}
	procs := h.Processes()
	if len(procs) != 2 || procs[0].Binary != "tributary-broken" || procs[0].Running || procs[0].LastError == "" {
		t.Fatalf("processes = %+v, want tributary-broken not running with its error", procs)
	}
}

func TestChecksumPinning(t *testing.T) {
	b, err := os.ReadFile(fileBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)

	h, _ := newHost(t, Config{Dir: pluginDir(t), Checksums: map[string]string{"tributary-file": hex.EncodeToString(sum[:])}})
	if _, err := h.Resolve("file-sink"); err != nil {
		t.Fatalf("a correctly pinned binary was refused: %v", err)
	}

	wrong := sha256.Sum256([]byte("something else"))
	h, _ = newHost(t, Config{Dir: pluginDir(t), Checksums: map[string]string{"tributary-file": hex.EncodeToString(wrong[:])}})
	if n := len(h.Connectors()); n != 0 {
		t.Fatalf("a binary with a mismatched checksum was run: %d connectors", n)
	}
	procs := h.Processes()
	if len(procs) != 1 || procs[0].Running || !strings.Contains(procs[0].LastError, "checksums did not match") {
		t.Fatalf("processes = %+v, want tributary-file refused for its checksum", procs)
	}
}

func openSource(t *testing.T, c *Client, handle, path string) {
	t.Helper()
	_, err := c.Source.Open(context.Background(), &pluginv1.OpenSourceRequest{
		Task:           &pluginv1.TaskRef{Handle: handle, Connector: "lines", Task: 0},
		ConnectorClass: "FileStreamSource",
		Config:         map[string]string{"file": path, "topic": "lines", "tasks.max": "1"},
	})
	if err != nil {
		t.Fatalf("open source task: %v", err)
	}
}

// pollLines polls until n lines arrived or 10 s passed.
func pollLines(t *testing.T, c *Client, handle string, n int) []*pluginv1.Record {
	t.Helper()
	var recs []*pluginv1.Record
	deadline := time.Now().Add(10 * time.Second)
	for len(recs) < n && time.Now().Before(deadline) {
		resp, err := c.Source.Poll(context.Background(), &pluginv1.PollRequest{Handle: handle, MaxRecords: 2, TimeoutMs: 200})
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		if len(resp.Records) > 2 {
			t.Fatalf("poll with max_records 2 returned %d records", len(resp.Records))
		}
		recs = append(recs, resp.Records...)
	}
	if len(recs) != n {
		t.Fatalf("polled %d lines, want %d", len(recs), n)
	}
	return recs
}

func TestTasksThroughPlugin(t *testing.T) {
	h, logs := newHost(t, Config{Dir: pluginDir(t)})
	c, err := h.Client("org.apache.kafka.connect.file.FileStreamSourceConnector")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := t.TempDir()

	in := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(in, []byte("alpha\nbeta\ngamma\npartial"), 0o644); err != nil {
		t.Fatal(err)
	}
	openSource(t, c, "src-1", in)
	recs := pollLines(t, c, "src-1", 3)
	for i, want := range []string{"alpha", "beta", "gamma"} {
		if got := recs[i].Value.GetStringValue(); got != want {
			t.Fatalf("line %d = %q, want %q", i, got, want)
		}
	}
	if got, want := string(recs[2].SourceOffset), `{"position":17}`; got != want {
		t.Fatalf("offset of gamma = %s, want %s", got, want)
	}
	if _, err := c.Source.Commit(ctx, &pluginv1.CommitRequest{Handle: "src-1", Offsets: []*pluginv1.SourceOffset{{Partition: recs[2].SourcePartition, Offset: recs[2].SourceOffset}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Source.Close(ctx, &pluginv1.CloseRequest{Handle: "src-1"}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Source.Poll(ctx, &pluginv1.PollRequest{Handle: "src-1"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("poll after close: %v, want NotFound", err)
	}

	// A missing file fails Open with a reason naming it.
	missing := filepath.Join(dir, "missing.txt")
	_, err = c.Source.Open(ctx, &pluginv1.OpenSourceRequest{
		Task: &pluginv1.TaskRef{Handle: "src-2"}, ConnectorClass: "file-source",
		Config: map[string]string{"file": missing, "topic": "t"},
	})
	if st := status.Convert(err); st.Code() != codes.Unknown || !strings.Contains(st.Message(), missing) || !strings.Contains(st.Message(), "no such file") {
		t.Fatalf("open of a missing file: %v", err)
	}

	// Validate through the plugin: generic checks and the connector's own.
	vr, err := c.Connector.Validate(ctx, &pluginv1.ValidateRequest{ConnectorClass: "file-source", Config: map[string]string{"file": in, "batch.size": "0"}})
	if err != nil {
		t.Fatal(err)
	}
	var verrs []string
	for _, e := range vr.Errors {
		verrs = append(verrs, e.Key)
	}
	if strings.Join(verrs, ",") != "topic" {
		t.Fatalf("validate errors on keys %v, want topic", verrs)
	}

	// The sink appends and flushes.
	out := filepath.Join(dir, "out.txt")
	sink, err := h.Client("file-sink")
	if err != nil {
		t.Fatal(err)
	}
	_, err = sink.Sink.Open(ctx, &pluginv1.OpenSinkRequest{
		Task: &pluginv1.TaskRef{Handle: "sink-1", Connector: "out"}, ConnectorClass: "FileStreamSink",
		Config: map[string]string{"file": out, "topics": "lines"}, Partitions: []*pluginv1.TopicPartition{{Topic: "lines"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	put := []*pluginv1.Record{
		{Topic: "lines", Value: &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: "one"}}, KafkaOffset: 0},
		{Topic: "lines", Value: &pluginv1.Value{Kind: &pluginv1.Value_StructValue{StructValue: &pluginv1.Struct{Fields: []*pluginv1.Field{{Name: "n", Value: &pluginv1.Value{Kind: &pluginv1.Value_IntValue{IntValue: 2}}}}}}}, KafkaOffset: 1},
	}
	if _, err := sink.Sink.Put(ctx, &pluginv1.PutRequest{Handle: "sink-1", Records: put}); err != nil {
		t.Fatal(err)
	}
	offsets := []*pluginv1.TopicPartitionOffset{{Topic: "lines", Partition: 0, Offset: 2}}
	fr, err := sink.Sink.Flush(ctx, &pluginv1.FlushRequest{Handle: "sink-1", Offsets: offsets})
	if err != nil {
		t.Fatal(err)
	}
	if len(fr.Offsets) != 1 || fr.Offsets[0].Topic != "lines" || fr.Offsets[0].Offset != 2 {
		t.Fatalf("flush returned %v, want lines/0@2", fr.Offsets)
	}
	if b, _ := os.ReadFile(out); string(b) != "one\n{\"n\":2}\n" {
		t.Fatalf("sink file = %q", b)
	}
	if _, err := sink.Sink.Close(ctx, &pluginv1.CloseRequest{Handle: "sink-1"}); err != nil {
		t.Fatal(err)
	}

	// The plugin's own logs reached the host's slog logger, structured.
	if l := logs.String(); !strings.Contains(l, "reading file from the start") || !strings.Contains(l, "connector=lines") {
		t.Fatalf("plugin log entry not forwarded; host logs:\n%s", l)
	}
}

func TestRestartAfterKill(t *testing.T) {
	h, _ := newHost(t, Config{Dir: pluginDir(t), BackoffMin: 50 * time.Millisecond, BackoffMax: time.Second})
	c, err := h.Client("file-source")
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("before\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	openSource(t, c, "task-a", in)
	pollLines(t, c, "task-a", 1)

	pid := h.Processes()[0].Pid
	if pid != c.Pid {
		t.Fatalf("Processes says pid %d, the client %d", pid, c.Pid)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done was not closed after the plugin process was killed")
	}
	if err := c.Err(); err == nil || err.Error() != "plugin tributary-file exited: signal: killed" {
		t.Fatalf("Err() = %v, want plugin tributary-file exited: signal: killed", err)
	}
	if _, err := c.Source.Poll(context.Background(), &pluginv1.PollRequest{Handle: "task-a"}); err == nil {
		t.Fatal("the dead process's client still answered")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c2, err := h.WaitClient(ctx, "FileStreamSource")
	if err != nil {
		t.Fatalf("no new process: %v", err)
	}
	if c2 == c || c2.Pid == pid {
		t.Fatalf("WaitClient returned the dead client (pid %d)", c2.Pid)
	}
	p := h.Processes()[0]
	if !p.Running || p.Restarts != 1 || p.LastExit != "signal: killed" || p.Pid != c2.Pid {
		t.Fatalf("process after restart = %+v, want running, 1 restart, last exit signal: killed", p)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("the killed process %d still exists: %v", pid, err)
	}

	// A task opened on the new process works; the old handle is gone with the old one.
	if _, err := c2.Source.Poll(context.Background(), &pluginv1.PollRequest{Handle: "task-a"}); status.Code(err) != codes.NotFound {
		t.Fatalf("old handle on the new process: %v, want NotFound", err)
	}
	openSource(t, c2, "task-a", in)
	if got := pollLines(t, c2, "task-a", 1)[0].Value.GetStringValue(); got != "before" {
		t.Fatalf("line from the restarted plugin = %q", got)
	}
}

func TestCloseKillsProcesses(t *testing.T) {
	h, logs := newHost(t, Config{Dir: pluginDir(t)})
	c, err := h.Client("file-sink")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.txt")
	_, err = c.Sink.Open(context.Background(), &pluginv1.OpenSinkRequest{
		Task: &pluginv1.TaskRef{Handle: "s"}, ConnectorClass: "file-sink", Config: map[string]string{"file": out},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Put without a flush: the plugin's graceful shutdown closes the task, which writes it.
	if _, err := c.Sink.Put(context.Background(), &pluginv1.PutRequest{Handle: "s", Records: []*pluginv1.Record{{Value: &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: "last words"}}}}}); err != nil {
		t.Fatal(err)
	}
	pid := c.Pid
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	// Graceful means the tasks closed and the process exited by itself when asked (the
	// SDK warns when its tasks outlast its shutdown budget, go-plugin logs an error when
	// the process did not exit cleanly and a warning when it had to kill it), however
	// long that took on a busy machine.
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "plugin failed to exit gracefully") || strings.Contains(line, "did not close in time") ||
			(strings.Contains(line, "plugin process exited") && strings.Contains(line, "error=")) {
			t.Errorf("the plugin did not stop gracefully: %s", line)
		}
	}
	if !strings.Contains(logs.String(), `msg="plugin process exited"`) {
		t.Errorf("Close returned before the plugin process was seen to exit; logs:\n%s", logs.String())
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
	if err := c.Err(); err == nil || err.Error() != "plugin tributary-file stopped: plugin host closed" {
		t.Fatalf("Err() after Close = %v", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("plugin process %d outlived Close: %v", pid, err)
	}
	if b, _ := os.ReadFile(out); string(b) != "last words\n" {
		t.Fatalf("sink file after shutdown = %q, want the put record", b)
	}
	if _, err := h.Client("file-sink"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Client after Close: %v, want ErrUnavailable", err)
	}
	if _, err := h.WaitClient(context.Background(), "file-sink"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("WaitClient after Close: %v, want ErrUnavailable", err)
	}
	if err := h.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// BenchmarkPollThroughPlugin measures records per second through Poll over go-plugin's
// gRPC connection (AutoMTLS, Unix socket), batches of 2000 100-byte lines.
func BenchmarkPollThroughPlugin(b *testing.B) {
	dir := b.TempDir()
	if err := os.Symlink(fileBinary(b), filepath.Join(dir, "tributary-file")); err != nil {
		b.Fatal(err)
	}
	h, err := New(context.Background(), Config{Dir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	c, err := h.Client("file-source")
	if err != nil {
		b.Fatal(err)
	}
	in := filepath.Join(dir, "in.txt")
	line := strings.Repeat("v", 99) + "\n"
	const lines = 200_000
	if err := os.WriteFile(in, []byte(strings.Repeat(line, lines)), 0o644); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	handle, left, n := "", 0, 0
	total := 0
	b.ReportAllocs()
	for b.Loop() {
		if left == 0 {
			b.StopTimer()
			if handle != "" {
				_, _ = c.Source.Close(ctx, &pluginv1.CloseRequest{Handle: handle})
			}
			n++
			handle = fmt.Sprint("bench-", n)
			_, err := c.Source.Open(ctx, &pluginv1.OpenSourceRequest{
				Task: &pluginv1.TaskRef{Handle: handle}, ConnectorClass: "file-source",
				Config: map[string]string{"file": in, "topic": "t"},
			})
			if err != nil {
				b.Fatal(err)
			}
			left = lines
			b.StartTimer()
		}
		resp, err := c.Source.Poll(ctx, &pluginv1.PollRequest{Handle: handle, MaxRecords: 2000, TimeoutMs: 1000})
		if err != nil || len(resp.Records) == 0 {
			b.Fatalf("poll: %d records, %v", len(resp.GetRecords()), err)
		}
		left -= len(resp.Records)
		total += len(resp.Records)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "records/s")
}

func TestRestartRetriesWithBackoff(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "tributary-file")
	install := func(content []byte) {
		t.Helper()
		tmp := filepath.Join(dir, ".tmp-plugin")
		if err := os.WriteFile(tmp, content, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, bin); err != nil { // atomic, so never a half-written binary
			t.Fatal(err)
		}
	}
	real, err := os.ReadFile(fileBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	install(real)
	h, logs := newHost(t, Config{Dir: dir, BackoffMin: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond})
	c, err := h.Client("file-source")
	if err != nil {
		t.Fatal(err)
	}

	// The binary is replaced by one that cannot start, then the process dies.
	install([]byte("#!/bin/sh\necho broken >&2\nexit 3\n"))
	if err := syscall.Kill(c.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.Done()
	testsvc.Eventually(t, testsvc.WaitLimit, "3 failed restarts of the broken binary",
		func() bool { return strings.Count(logs.String(), "plugin restart failed") >= 3 },
		func() string { return "logs:\n" + logs.String() })
	// Each failure backs off longer, from BackoffMin doubling up to BackoffMax: the first
	// wait (20ms) is before the first attempt, so the failures report the next ones.
	var waits []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "plugin restart failed") {
			_, after, _ := strings.Cut(line, "retry_in=")
			waits = append(waits, strings.Fields(after + " ")[0])
		}
	}
	if got := strings.Join(waits[:3], " "); got != "40ms 80ms 100ms" {
		t.Fatalf("waits after the first 3 failed restarts: %s, want 40ms 80ms 100ms (doubling from 20ms, capped at 100ms)", got)
	}
	p := h.Processes()[0]
	if p.Running || p.LastExit != "signal: killed" || p.LastError == "" || p.Restarts != 0 {
		t.Fatalf("while the binary is broken: %+v", p)
	}
	_, err = h.Client("file-source")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "plugin tributary-file is not running (last exit: signal: killed)") {
		t.Fatalf("Client while down: %v", err)
	}
	// Still known while down, so configs keep resolving.
	if _, err := h.Resolve("FileStreamSource"); err != nil {
		t.Fatalf("Resolve while down: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if _, err := h.WaitClient(ctx, "file-source"); !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitClient while down: %v, want ErrUnavailable and the deadline", err)
	}

	// The binary is fixed: the next attempt brings it back.
	install(real)
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c2, err := h.WaitClient(ctx, "file-source")
	if err != nil {
		t.Fatal(err)
	}
	if p := h.Processes()[0]; !p.Running || p.Restarts != 1 || p.LastError != "" || p.Pid != c2.Pid {
		t.Fatalf("after recovery: %+v", p)
	}
}

func TestPluginsDieWithKernel(t *testing.T) {
	kernel := exec.Command(os.Args[0], "-test.run=^$")
	kernel.Env = append(os.Environ(), helperEnv+"="+pluginDir(t))
	out, err := kernel.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := kernel.Start(); err != nil {
		t.Fatal(err)
	}
	defer kernel.Process.Kill()
	var pid int
	if _, err := fmt.Fscan(out, &pid); err != nil || pid == 0 {
		t.Fatalf("helper kernel did not report its plugin's pid: %v", err)
	}
	if processGone(pid) {
		t.Fatalf("plugin %d is not running", pid)
	}
	if err := kernel.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = kernel.Wait()
	if !testsvc.WaitFor(5*time.Second, func() bool { return processGone(pid) }) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("plugin process %d outlived its SIGKILLed kernel", pid)
	}
}

// TestMemoryLimitKillsTheProcessAndSaysWhy: a plugin process whose resident memory passes
// MemoryLimit is killed, and its client's error (what its tasks fail with) says why.
func TestMemoryLimitKillsTheProcessAndSaysWhy(t *testing.T) {
	h, _ := newHost(t, Config{Dir: pluginDir(t), BackoffMin: time.Hour, MemoryLimit: 1 << 20, MemoryCheckInterval: 20 * time.Millisecond})
	c, err := h.Client("file-source")
	if err != nil {
		t.Fatal(err)
	}
	testsvc.Eventually(t, testsvc.WaitLimit, "the plugin over 1 MiB killed", func() bool {
		select {
		case <-c.Done():
			return true
		default:
			return false
		}
	})
	want := "plugin tributary-file exited: killed by the kernel: its resident memory ("
	if err := c.Err(); err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "plugin_memory_limit_mb: 1 MiB") {
		t.Fatalf("Err() = %v; want it to begin %q and name the limit", err, want)
	}
}
