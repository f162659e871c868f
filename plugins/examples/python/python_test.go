package python_test

import (
	"bytes"
	"context"
	"encoding/json"
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

	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/plugins/testsvc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

const python = "/usr/bin/python3"

// pluginBinary is tributary-pycounter as build.sh makes it (one zip-app file), built
// once by TestMain; "" when there is no python3 to build it with.
var pluginBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pycounter-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := os.Stat(python); err == nil {
		out := filepath.Join(dir, "tributary-pycounter")
		build := exec.Command("./build.sh", out)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build.sh: %v\n", err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
		pluginBinary = out
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	pythonOnce sync.Once
	pythonErr  error
)

// requirePython skips the test unless /usr/bin/python3 can import grpc and protobuf — or
// fails it in CI (the CI environment variable set, to anything: testsvc.Require), where
// scripts/install-test-deps.sh has installed them.
func requirePython(t *testing.T) {
	t.Helper()
	pythonOnce.Do(func() {
		if pluginBinary == "" {
			pythonErr = fmt.Errorf("%s not found", python)
			return
		}
		out, err := exec.Command(python, "-c", "import grpc, google.protobuf").CombinedOutput()
		if err != nil {
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			pythonErr = fmt.Errorf("%s cannot import grpc and protobuf: %s", python, lines[len(lines)-1])
		}
	})
	if pythonErr != nil {
		testsvc.Require(t, pythonErr, python+" with apt's python3-grpcio and python3-protobuf")
	}
}

// syncBuffer collects the host's logs; plugin lines arrive from go-plugin's goroutines.
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

// newHost starts a plugin host on a fresh directory holding the plugin executable at
// binary (copied, as an operator installs it).
func newHost(t *testing.T, binary string, cfg pluginhost.Config) (*pluginhost.Host, *syncBuffer) {
	t.Helper()
	requirePython(t)
	dir := t.TempDir()
	b, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tributary-pycounter"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	return startHost(t, dir, cfg)
}

func startHost(t *testing.T, dir string, cfg pluginhost.Config) (*pluginhost.Host, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	cfg.Dir = dir
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := pluginhost.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = h.Close()
		if t.Failed() {
			t.Logf("host logs:\n%s", logs.String())
		}
	})
	if p := h.Processes(); len(p) != 1 || !p[0].Running {
		t.Fatalf("plugin not running: %+v\nlogs:\n%s", p, logs.String())
	}
	return h, logs
}

func client(t *testing.T, h *pluginhost.Host, class string) *pluginhost.Client {
	t.Helper()
	c, err := h.Client(class)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rpcCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func openCounter(t *testing.T, c *pluginhost.Client, handle string, cfg map[string]string, offsets ...*pluginv1.SourceOffset) {
	t.Helper()
	_, err := c.Source.Open(rpcCtx(t), &pluginv1.OpenSourceRequest{
		Task:           &pluginv1.TaskRef{Handle: handle, Connector: "counter", Task: 0},
		ConnectorClass: "py-counter-source",
		Config:         cfg,
		Offsets:        offsets,
	})
	if err != nil {
		t.Fatalf("open %s: %v", handle, err)
	}
}

func poll(t *testing.T, c *pluginhost.Client, handle string, max, timeoutMs int32) []*pluginv1.Record {
	t.Helper()
	resp, err := c.Source.Poll(rpcCtx(t), &pluginv1.PollRequest{Handle: handle, MaxRecords: max, TimeoutMs: timeoutMs})
	if err != nil {
		t.Fatalf("poll %s: %v", handle, err)
	}
	return resp.GetRecords()
}

// pollN polls until it has n records.
func pollN(t *testing.T, c *pluginhost.Client, handle string, n int) []*pluginv1.Record {
	t.Helper()
	var recs []*pluginv1.Record
	deadline := time.Now().Add(15 * time.Second)
	for len(recs) < n {
		if time.Now().After(deadline) {
			t.Fatalf("polled %d records of %d", len(recs), n)
		}
		recs = append(recs, poll(t, c, handle, int32(n-len(recs)), 500)...)
	}
	return recs
}

func values(recs []*pluginv1.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.GetValue().GetStringValue()
	}
	return out
}

func counting(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprint(i))
	}
	return out
}

func wantCode(t *testing.T, err error, code codes.Code, contains string) {
	t.Helper()
	if status.Code(err) != code || !strings.Contains(status.Convert(err).Message(), contains) {
		t.Fatalf("got error %v, want %s containing %q", err, code, contains)
	}
}

func TestRefusesToRunByHand(t *testing.T) {
	if pluginBinary == "" {
		testsvc.Require(t, fmt.Errorf("%s not found", python), "/usr/bin/python3 (apt-get install python3)")
	}
	cmd := exec.Command(pluginBinary)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("run by hand: %v, want exit status 1", err)
	}
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), "TRIBUTARY_PLUGIN") ||
		!strings.Contains(stderr.String(), "plugin directory") {
		t.Fatalf("stdout %q, stderr %q: want nothing on stdout and an explanation on stderr", stdout.String(), stderr.String())
	}
}

func TestDescribe(t *testing.T) {
	h, _ := newHost(t, pluginBinary, pluginhost.Config{})
	byName := map[string]pluginhost.Descriptor{}
	for _, d := range h.Connectors() {
		byName[d.GetName()] = d
	}
	src, ok := byName["py-counter-source"]
	if !ok || src.GetType() != pluginv1.ConnectorType_CONNECTOR_TYPE_SOURCE || src.Binary != "tributary-pycounter" || src.GetVersion() == "" {
		t.Fatalf("py-counter-source: %+v (all: %v)", src, h.Connectors())
	}
	keys := map[string]*pluginv1.ConfigKey{}
	for _, k := range src.GetConfig() {
		keys[k.GetName()] = k
	}
	if k := keys["topic"]; k == nil || !k.GetRequired() || k.GetType() != pluginv1.ConfigKey_TYPE_STRING {
		t.Fatalf("topic key: %v", k)
	}
	if k := keys["interval.ms"]; k == nil || !k.GetHasDefault() || k.GetDefaultValue() != "1000" || k.GetType() != pluginv1.ConfigKey_TYPE_LONG {
		t.Fatalf("interval.ms key: %v", k)
	}
	if k := keys["count"]; k == nil || k.GetType() != pluginv1.ConfigKey_TYPE_LONG {
		t.Fatalf("count key: %v", k)
	}
	if sink, ok := byName["py-log-sink"]; !ok || sink.GetType() != pluginv1.ConnectorType_CONNECTOR_TYPE_SINK {
		t.Fatalf("py-log-sink: %+v", sink)
	}

	c := client(t, h, "py-counter-source")
	v, err := c.Connector.Validate(rpcCtx(t), &pluginv1.ValidateRequest{ConnectorClass: "py-counter-source",
		Config: map[string]string{"count": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	errKeys := map[string]string{}
	for _, e := range v.GetErrors() {
		errKeys[e.GetKey()] = e.GetMessage()
	}
	if len(errKeys) != 2 || !strings.Contains(errKeys["topic"], "Missing required") || !strings.Contains(errKeys["count"], "64-bit integer") {
		t.Fatalf("validate errors: %v", v.GetErrors())
	}
	v, err = c.Connector.Validate(rpcCtx(t), &pluginv1.ValidateRequest{ConnectorClass: "py-counter-source",
		Config: map[string]string{"topic": "t", "interval.ms": "-5"}})
	if err != nil || len(v.GetErrors()) != 1 || v.GetErrors()[0].GetKey() != "interval.ms" {
		t.Fatalf("validate negative interval: %v, %v", v.GetErrors(), err)
	}

	tc, err := c.Connector.TaskConfigs(rpcCtx(t), &pluginv1.TaskConfigsRequest{ConnectorClass: "py-counter-source",
		Config: map[string]string{"topic": "t", "name": "n"}, MaxTasks: 3})
	if err != nil || len(tc.GetTasks()) != 3 {
		t.Fatalf("task configs: %v, %v", tc, err)
	}
	for i, task := range tc.GetTasks() {
		cfg := task.GetConfig()
		if cfg["counter.id"] != fmt.Sprint(i) || cfg["topic"] != "t" || cfg["name"] != "n" || cfg["interval.ms"] != "1000" {
			t.Fatalf("task %d config: %v", i, cfg)
		}
	}
	_, err = c.Connector.TaskConfigs(rpcCtx(t), &pluginv1.TaskConfigsRequest{ConnectorClass: "py-counter-source", MaxTasks: 1})
	wantCode(t, err, codes.InvalidArgument, "topic")
	_, err = c.Connector.Validate(rpcCtx(t), &pluginv1.ValidateRequest{ConnectorClass: "nope"})
	wantCode(t, err, codes.NotFound, "py-counter-source")
}

func TestSourceTaskResumesFromCommittedOffset(t *testing.T) {
	h, logs := newHost(t, pluginBinary, pluginhost.Config{})
	c := client(t, h, "py-counter-source")
	cfg := map[string]string{"topic": "numbers", "count": "10", "interval.ms": "0"}
	openCounter(t, c, "h1", cfg)

	first := poll(t, c, "h1", 4, 1000)
	if got := values(first); !slicesEqual(got, counting(1, 4)) {
		t.Fatalf("first poll: %v", got)
	}
	recs := append(first, pollN(t, c, "h1", 6)...)
	if got := values(recs); !slicesEqual(got, counting(1, 10)) {
		t.Fatalf("records: %v", got)
	}
	for _, r := range recs {
		if r.GetTopic() != "numbers" || r.GetPartition() != -1 || r.GetTimestampMs() == 0 ||
			r.GetValueSchema().GetType() != pluginv1.Schema_TYPE_STRING {
			t.Fatalf("record: %v", r)
		}
		var p map[string]any
		if err := json.Unmarshal(r.GetSourcePartition(), &p); err != nil || p["counter"] != float64(0) {
			t.Fatalf("source partition %s: %v", r.GetSourcePartition(), err)
		}
	}
	if string(recs[5].GetSourceOffset()) != `{"n":6}` {
		t.Fatalf("offset of record 6: %s", recs[5].GetSourceOffset())
	}
	// count reached: an empty poll after the timeout.
	if more := poll(t, c, "h1", 10, 200); len(more) != 0 {
		t.Fatalf("polled past count: %v", values(more))
	}

	committed := &pluginv1.SourceOffset{Partition: recs[5].GetSourcePartition(), Offset: recs[5].GetSourceOffset()}
	if _, err := c.Source.Commit(rpcCtx(t), &pluginv1.CommitRequest{Handle: "h1", Offsets: []*pluginv1.SourceOffset{committed}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Source.Close(rpcCtx(t), &pluginv1.CloseRequest{Handle: "h1"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Source.Poll(rpcCtx(t), &pluginv1.PollRequest{Handle: "h1", TimeoutMs: 10})
	wantCode(t, err, codes.NotFound, "h1")

	// Re-open with the committed offset (and another counter's, and one written by
	// another tool with spaces): it resumes after record 6.
	openCounter(t, c, "h2", cfg,
		&pluginv1.SourceOffset{Partition: []byte(`{"counter":1}`), Offset: []byte(`{"n":99}`)},
		&pluginv1.SourceOffset{Partition: []byte(`{ "counter": 0 }`), Offset: committed.GetOffset()})
	if got := values(pollN(t, c, "h2", 4)); !slicesEqual(got, counting(7, 10)) {
		t.Fatalf("after resuming: %v", got)
	}
	if _, err := c.Source.Close(rpcCtx(t), &pluginv1.CloseRequest{Handle: "h2"}); err != nil {
		t.Fatal(err)
	}

	// The plugin's JSON log lines arrive as structured entries at their level.
	if l := logs.String(); !hasLine(l, "level=INFO msg=counting", "connector=counter", "from=7") {
		t.Fatalf("plugin log lines missing from the host log:\n%s", l)
	}
}

func TestConcurrentTasks(t *testing.T) {
	h, _ := newHost(t, pluginBinary, pluginhost.Config{})
	c := client(t, h, "py-counter-source")
	openCounter(t, c, "idle", map[string]string{"topic": "a", "count": "1", "interval.ms": "0"})
	openCounter(t, c, "busy", map[string]string{"topic": "b", "interval.ms": "0"})
	if got := values(poll(t, c, "idle", 10, 1000)); !slicesEqual(got, []string{"1"}) {
		t.Fatalf("idle task: %v", got)
	}

	// A long poll on the exhausted task must block neither the other task nor its own
	// Close, which ends it at once.
	type result struct {
		n   int
		err error
	}
	blocked := make(chan result, 1)
	go func() {
		resp, err := c.Source.Poll(context.Background(), &pluginv1.PollRequest{Handle: "idle", MaxRecords: 10, TimeoutMs: 60_000})
		blocked <- result{len(resp.GetRecords()), err}
	}()
	for range 5 {
		if got := poll(t, c, "busy", 100, 1000); len(got) != 100 {
			t.Fatalf("busy task polled %d records while another task waits", len(got))
		}
	}
	select {
	case r := <-blocked:
		t.Fatalf("the 60 s poll of the exhausted task returned early: %+v", r)
	default:
	}
	if _, err := c.Source.Close(rpcCtx(t), &pluginv1.CloseRequest{Handle: "idle"}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-blocked:
		if r.err != nil || r.n != 0 {
			t.Fatalf("interrupted poll: %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end the poll in progress")
	}
	if got := poll(t, c, "busy", 3, 1000); len(got) != 3 {
		t.Fatalf("busy task after the other closed: %d records", len(got))
	}

	// A poll the kernel gives up on (its context ends) stops waiting too, so the task's
	// next call is not stuck behind it.
	cctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	openCounter(t, c, "idle", map[string]string{"topic": "a", "count": "1", "interval.ms": "0"})
	poll(t, c, "idle", 10, 1000)
	_, err := c.Source.Poll(cctx, &pluginv1.PollRequest{Handle: "idle", TimeoutMs: 60_000})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("poll with a 300 ms deadline: %v", err)
	}
	if got := poll(t, c, "idle", 10, 100); len(got) != 0 {
		t.Fatalf("exhausted task polled %v", values(got))
	}
}

func TestErrors(t *testing.T) {
	h, _ := newHost(t, pluginBinary, pluginhost.Config{})
	c := client(t, h, "py-counter-source")
	ctx := rpcCtx(t)
	ref := &pluginv1.TaskRef{Handle: "e1", Connector: "c"}

	_, err := c.Source.Open(ctx, &pluginv1.OpenSourceRequest{Task: ref, ConnectorClass: "py-counter-source", Config: map[string]string{"count": "many"}})
	wantCode(t, err, codes.InvalidArgument, "count")
	_, err = c.Source.Open(ctx, &pluginv1.OpenSourceRequest{Task: ref, ConnectorClass: "py-log-sink", Config: map[string]string{"file": "x"}})
	wantCode(t, err, codes.InvalidArgument, "sink connector")
	_, err = c.Source.Open(ctx, &pluginv1.OpenSourceRequest{Task: &pluginv1.TaskRef{}, ConnectorClass: "py-counter-source", Config: map[string]string{"topic": "t"}})
	wantCode(t, err, codes.InvalidArgument, "handle")
	_, err = c.Source.Open(ctx, &pluginv1.OpenSourceRequest{Task: ref, ConnectorClass: "py-counter-source",
		Config:  map[string]string{"topic": "t"},
		Offsets: []*pluginv1.SourceOffset{{Partition: []byte(`{"counter":0}`), Offset: []byte(`{"n":"x"}`)}}})
	wantCode(t, err, codes.Unknown, "no valid n")

	openCounter(t, c, "e1", map[string]string{"topic": "t"})
	_, err = c.Source.Open(ctx, &pluginv1.OpenSourceRequest{Task: ref, ConnectorClass: "py-counter-source", Config: map[string]string{"topic": "t"}})
	wantCode(t, err, codes.AlreadyExists, "e1")
	_, err = c.Sink.Put(ctx, &pluginv1.PutRequest{Handle: "e1"})
	wantCode(t, err, codes.NotFound, "sink task")
	_, err = c.Source.Poll(ctx, &pluginv1.PollRequest{Handle: "nope"})
	wantCode(t, err, codes.NotFound, "nope")
	_, err = c.Source.Close(ctx, &pluginv1.CloseRequest{Handle: "nope"})
	wantCode(t, err, codes.NotFound, "nope")

	_, err = c.Sink.Open(ctx, &pluginv1.OpenSinkRequest{Task: &pluginv1.TaskRef{Handle: "s1"}, ConnectorClass: "py-log-sink",
		Config: map[string]string{"file": filepath.Join(t.TempDir(), "missing", "out.txt")}})
	wantCode(t, err, codes.Unknown, "No such file or directory")
}

func TestSinkTask(t *testing.T) {
	h, _ := newHost(t, pluginBinary, pluginhost.Config{})
	c := client(t, h, "py-log-sink")
	ctx := rpcCtx(t)
	out := filepath.Join(t.TempDir(), "out.txt")
	_, err := c.Sink.Open(ctx, &pluginv1.OpenSinkRequest{
		Task:           &pluginv1.TaskRef{Handle: "s1", Connector: "log"},
		ConnectorClass: "py-log-sink",
		Config:         map[string]string{"file": out, "topics": "numbers"},
		Partitions:     []*pluginv1.TopicPartition{{Topic: "numbers", Partition: 0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := func(off int64, v *pluginv1.Value) *pluginv1.Record {
		return &pluginv1.Record{Topic: "numbers", Partition: 0, KafkaOffset: off, Value: v}
	}
	batch := []*pluginv1.Record{
		rec(0, &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: "one"}}),
		rec(1, &pluginv1.Value{Kind: &pluginv1.Value_BytesValue{BytesValue: []byte("two\nlines")}}),
		rec(2, &pluginv1.Value{Kind: &pluginv1.Value_StructValue{StructValue: &pluginv1.Struct{Fields: []*pluginv1.Field{{Name: "n", Value: &pluginv1.Value{Kind: &pluginv1.Value_IntValue{IntValue: 3}}}}}}}),
		rec(3, nil),
	}
	if _, err := c.Sink.Put(ctx, &pluginv1.PutRequest{Handle: "s1", Records: batch}); err != nil {
		t.Fatal(err)
	}
	want := []*pluginv1.TopicPartitionOffset{{Topic: "numbers", Partition: 0, Offset: 4}}
	resp, err := c.Sink.Flush(ctx, &pluginv1.FlushRequest{Handle: "s1", Offsets: want})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetOffsets(); len(got) != 1 || got[0].GetTopic() != "numbers" || got[0].GetOffset() != 4 {
		t.Fatalf("flushed offsets: %v", got)
	}
	const flushed = "one\ntwo\\nlines\n{\"n\":3}\nnull\n"
	if b, _ := os.ReadFile(out); string(b) != flushed {
		t.Fatalf("file after flush: %q", b)
	}

	// Records put but not flushed are written when the plugin stops cleanly: the host
	// asks it to shut down (plugin.GRPCController), and it closes its open tasks.
	if _, err := c.Sink.Put(ctx, &pluginv1.PutRequest{Handle: "s1", Records: []*pluginv1.Record{rec(4, &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: "five"}})}}); err != nil {
		t.Fatal(err)
	}
	pid := c.Pid
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != flushed+"five\n" {
		t.Fatalf("file after the plugin stopped: %q", b)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("plugin process %d still there after Close: %v", pid, err)
	}
}

func TestRestartAfterKill(t *testing.T) {
	h, logs := newHost(t, pluginBinary, pluginhost.Config{BackoffMin: 50 * time.Millisecond})
	c := client(t, h, "py-counter-source")
	openCounter(t, c, "k1", map[string]string{"topic": "t", "interval.ms": "0"})
	if got := poll(t, c, "k1", 5, 1000); len(got) != 5 {
		t.Fatalf("polled %d", len(got))
	}

	pid := h.Processes()[0].Pid
	if pid != c.Pid || pid == 0 {
		t.Fatalf("Processes says pid %d, the client %d", pid, c.Pid)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the host did not notice the plugin died")
	}
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("client error: %v", err)
	}
	wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c2, err := h.WaitClient(wctx, "py-counter-source")
	if err != nil {
		t.Fatalf("no restart: %v\n%s", err, logs.String())
	}
	if c2 == c || c2.Pid == pid {
		t.Fatalf("WaitClient returned the dead client (pid %d)", c2.Pid)
	}
	p := h.Processes()[0]
	if !p.Running || p.Restarts != 1 || p.LastExit != "signal: killed" || p.Pid != c2.Pid {
		t.Fatalf("after restart: %+v", p)
	}
	// The new process knows nothing of the old task; the handle can be opened again.
	_, err = c2.Source.Poll(rpcCtx(t), &pluginv1.PollRequest{Handle: "k1", TimeoutMs: 10})
	wantCode(t, err, codes.NotFound, "k1")
	openCounter(t, c2, "k1", map[string]string{"topic": "t", "interval.ms": "0"})
	if got := values(poll(t, c2, "k1", 2, 1000)); !slicesEqual(got, counting(1, 2)) {
		t.Fatalf("after restart: %v", got)
	}
}

// TestOpenSSLCertificate makes the AutoMTLS certificate with the openssl command instead
// of python3-cryptography, the fallback when the latter is not installed.
func TestOpenSSLCertificate(t *testing.T) {
	testsvc.RequireCommand(t, "openssl", "apt-get install openssl")
	// The plugin inherits the host's environment.
	t.Setenv("TRIBUTARY_PLUGIN_CERT_TOOL", "openssl")
	t.Setenv("TRIBUTARY_PLUGIN_LOG_LEVEL", "debug")
	h, logs := newHost(t, pluginBinary, pluginhost.Config{})
	c := client(t, h, "py-counter-source")
	openCounter(t, c, "o1", map[string]string{"topic": "t", "interval.ms": "0"})
	if got := poll(t, c, "o1", 3, 1000); len(got) != 3 {
		t.Fatalf("polled %d", len(got))
	}
	if l := logs.String(); !hasLine(l, "msg=serving", "cert_tool=openssl") {
		t.Fatalf("the plugin did not say it made its certificate with openssl:\n%s", l)
	}
}

// TestMissingDependencyIsLogged: a plugin that cannot start says why in the kernel's log,
// at error level.
func TestMissingDependencyIsLogged(t *testing.T) {
	requirePython(t)
	hide := t.TempDir()
	if err := os.WriteFile(filepath.Join(hide, "grpc.py"), []byte("raise ImportError('hidden by the test')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PYTHONPATH", hide) // ahead of dist-packages: "import grpc" fails
	dir := t.TempDir()
	b, err := os.ReadFile(pluginBinary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tributary-pycounter"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := pluginhost.New(ctx, pluginhost.Config{Dir: dir, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if p := h.Processes(); len(p) != 1 || p[0].Running || p[0].LastError == "" {
		t.Fatalf("processes: %+v", p)
	}
	if len(h.Connectors()) != 0 {
		t.Fatalf("connectors: %v", h.Connectors())
	}
	l := logs.String()
	if !hasLine(l, "level=ERROR", "lacks python3-grpcio; install with: apt-get install python3-grpcio") {
		t.Fatalf("the reason is not in the host log at error level:\n%s", l)
	}
}

// TestSourceTreeLauncher runs the plugin from the source tree through a symlink, as a
// developer iterating on it would.
func TestSourceTreeLauncher(t *testing.T) {
	requirePython(t)
	launcher, err := filepath.Abs("tributary-pycounter")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(launcher, filepath.Join(dir, "tributary-pycounter")); err != nil {
		t.Fatal(err)
	}
	h, _ := startHost(t, dir, pluginhost.Config{})
	if _, err := h.Resolve("py-log-sink"); err != nil {
		t.Fatal(err)
	}
	// The process behind the symlink serves tasks, not only its descriptors.
	c := client(t, h, "py-counter-source")
	openCounter(t, c, "src", map[string]string{"topic": "numbers", "count": "3", "interval.ms": "0"})
	if got := values(pollN(t, c, "src", 3)); !slicesEqual(got, counting(1, 3)) {
		t.Fatalf("the source-tree launcher's counter polled %v, want %v", got, counting(1, 3))
	}
}

func slicesEqual(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// hasLine reports whether one line of logs contains every part.
func hasLine(logs string, parts ...string) bool {
	for line := range strings.SplitSeq(logs, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}
