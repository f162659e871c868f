package sdk

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/plugins/protocol"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// counterSource is a source connector for tests: each Poll returns "count" records
// numbered from the committed position, or blocks until its context ends when "block"
// is set; "fail" makes Poll fail with that message and "panic" makes it panic.
type counterSource struct{ ConnectorBase }

func (counterSource) Definition() Definition {
	return Definition{
		Name: "counter", Type: Source, Version: "1.0", Aliases: []string{"com.example.CounterConnector"},
		Config: new(ConfigDef).
			Define("topic", TypeString, High, "Topic.", Required()).
			Define("count", TypeInt, Low, "Records per poll.", Default("3")).
			Define("block", TypeBoolean, Low, "Block in poll.", Default("false")).
			Define("fail", TypeString, Low, "Fail poll with this message.").
			Define("panic", TypeBoolean, Low, "Panic in poll.", Default("false")).
			Define("secret.key", TypePassword, Low, "A secret."),
	}
}

func (counterSource) Validate(cfg Config) []ConfigError {
	if cfg.String("topic") == "forbidden" {
		return []ConfigError{{Key: "topic", Message: "topic forbidden is forbidden"}}
	}
	return nil
}

func (counterSource) NewSourceTask() SourceTask { return &counterTask{} }

type counterTask struct {
	topic        string
	count        int
	next         int64
	block, panic bool
	fail         string
	commits      []CommittedOffset
	partition    Partition
}

// blocked receives the deadline of each Poll that blocks, once it is blocking.
var blocked = make(chan time.Time, 8)

func (t *counterTask) Open(_ context.Context, tc TaskContext) error {
	t.topic = tc.Config.String("topic")
	if t.topic == "no-open" {
		return errors.New("cannot open: topic no-open")
	}
	var err error
	if t.count, err = tc.Config.Int("count"); err != nil {
		return err
	}
	t.block, _ = tc.Config.Bool("block")
	t.panic, _ = tc.Config.Bool("panic")
	t.fail = tc.Config.String("fail")
	t.partition = Partition{"counter": t.topic}
	if off, ok := tc.Offset(t.partition); ok {
		n, ok := off.Int("n")
		if !ok {
			return fmt.Errorf("committed offset %v has no integer n", off)
		}
		t.next = n
	}
	return nil
}

func (t *counterTask) Poll(ctx context.Context) ([]SourceRecord, error) {
	switch {
	case t.panic:
		panic("boom")
	case t.fail != "":
		return nil, errors.New(t.fail)
	case t.block:
		dl, _ := ctx.Deadline()
		blocked <- dl
		<-ctx.Done()
		return nil, ctx.Err()
	}
	recs := make([]SourceRecord, t.count)
	for i := range recs {
		t.next++
		recs[i] = SourceRecord{Topic: t.topic, Value: t.next, ValueSchema: data.Int64Schema,
			SourcePartition: t.partition, SourceOffset: IntOffset("n", t.next)}
	}
	return recs, nil
}

func (t *counterTask) Commit(_ context.Context, offsets []CommittedOffset) error {
	t.commits = append(t.commits, offsets...)
	return nil
}

func (t *counterTask) Close() error { return nil }

// memorySink is a sink connector for tests that keeps what it was given.
type memorySink struct {
	ConnectorBase
	mu   sync.Mutex
	puts map[string][]SinkRecord // by file
}

func (*memorySink) Definition() Definition {
	return Definition{
		Name: "memory-sink", Type: Sink,
		Config: new(ConfigDef).Define("file", TypeString, High, "Name.", Required()).
			Define("flush.extra", TypeBoolean, Low, "Report a partition and an offset Flush was not given.", Default("false")),
	}
}

func (m *memorySink) TaskConfigs(cfg Config, maxTasks int) ([]map[string]string, error) {
	out := make([]map[string]string, maxTasks+1) // deliberately too many
	for i := range out {
		out[i] = cfg.Clone()
	}
	return out, nil
}

func (m *memorySink) NewSinkTask() SinkTask { return &memorySinkTask{m: m} }

type memorySinkTask struct {
	m     *memorySink
	name  string
	extra bool
}

func (t *memorySinkTask) Open(_ context.Context, tc TaskContext, _ []TopicPartition) error {
	t.name = tc.Config.String("file")
	t.extra, _ = tc.Config.Bool("flush.extra")
	return nil
}

func (t *memorySinkTask) Put(_ context.Context, recs []SinkRecord) error {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	if t.m.puts == nil {
		t.m.puts = map[string][]SinkRecord{}
	}
	t.m.puts[t.name] = append(t.m.puts[t.name], recs...)
	return nil
}

func (t *memorySinkTask) Flush(_ context.Context, offsets map[TopicPartition]int64) (map[TopicPartition]int64, error) {
	if t.extra {
		out := map[TopicPartition]int64{{"elsewhere", 9}: 5}
		for tp, o := range offsets {
			out[tp] = o + 1
		}
		return out, nil
	}
	return offsets, nil
}

func (t *memorySinkTask) Close() error { return nil }

// connect serves connectors over a real gRPC connection on loopback, with the options
// Serve and the kernel use, and returns the kernel-side clients.
func connect(t *testing.T, connectors ...Connector) (*protocol.Clients, *server) {
	t.Helper()
	s, err := newServer(connectors, nil)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer(protocol.AllServerOptions()...)
	if err := s.register(g); err != nil {
		t.Fatal(err)
	}
	go func() { _ = g.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), append(protocol.ClientDialOptions(),
		grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		g.Stop()
	})
	return protocol.NewClients(conn, nil), s
}

func wantCode(t *testing.T, err error, code codes.Code, msg string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != code || (msg != "" && st.Message() != msg) {
		t.Fatalf("got error %v; want code %v with message %q", err, code, msg)
	}
}

func openCounter(t *testing.T, c *protocol.Clients, handle string, cfg map[string]string, offsets ...*pluginv1.SourceOffset) {
	t.Helper()
	_, err := c.Source.Open(context.Background(), &pluginv1.OpenSourceRequest{
		Task:           &pluginv1.TaskRef{Handle: handle, Connector: "c1", Task: 0},
		ConnectorClass: "counter", Config: cfg, Offsets: offsets,
	})
	if err != nil {
		t.Fatalf("open %s: %v", handle, err)
	}
}

func TestDescribe(t *testing.T) {
	c, _ := connect(t, counterSource{}, &memorySink{})
	resp, err := c.Plugin.Describe(context.Background(), &pluginv1.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Connectors) != 2 {
		t.Fatalf("got %d connectors, want 2", len(resp.Connectors))
	}
	d := resp.Connectors[0]
	if d.Name != "counter" || d.Type != pluginv1.ConnectorType_CONNECTOR_TYPE_SOURCE || d.Version != "1.0" || d.Aliases[0] != "com.example.CounterConnector" {
		t.Fatalf("unexpected descriptor %v", d)
	}
	keys := map[string]*pluginv1.ConfigKey{}
	for _, k := range d.Config {
		keys[k.Name] = k
	}
	if k := keys["count"]; !k.HasDefault || k.DefaultValue != "3" || k.Type != pluginv1.ConfigKey_TYPE_INT || k.Importance != pluginv1.ConfigKey_IMPORTANCE_LOW {
		t.Fatalf("count key = %v", k)
	}
	if !keys["topic"].Required || !keys["secret.key"].Secret {
		t.Fatalf("topic key = %v, secret.key = %v", keys["topic"], keys["secret.key"])
	}
}

func TestServerRejectsDuplicateClasses(t *testing.T) {
	_, err := newServer([]Connector{counterSource{}, counterSource{}}, nil)
	if err == nil {
		t.Fatal("two connectors with the same name were accepted")
	}
}

func TestValidate(t *testing.T) {
	c, _ := connect(t, counterSource{})
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cfg  map[string]string
		want []string // key: message
	}{
		{"ok", map[string]string{"topic": "t"}, nil},
		{"missing required", map[string]string{}, []string{`topic: Missing required configuration "topic" which has no default value.`}},
		{"bad int", map[string]string{"topic": "t", "count": "x"}, []string{`count: Invalid value x for configuration count: Not a number of type INT`}},
		{"connector check", map[string]string{"topic": "forbidden"}, []string{"topic: topic forbidden is forbidden"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.Connector.Validate(ctx, &pluginv1.ValidateRequest{ConnectorClass: "com.example.CounterConnector", Config: tc.cfg})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range resp.Errors {
				got = append(got, e.Key+": "+e.Message)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("errors = %q, want %q", got, tc.want)
			}
		})
	}
	_, err := c.Connector.Validate(ctx, &pluginv1.ValidateRequest{ConnectorClass: "nope"})
	wantCode(t, err, codes.NotFound, `unknown connector class "nope"; this plugin serves: counter`)
}

func TestTaskConfigs(t *testing.T) {
	c, _ := connect(t, counterSource{}, &memorySink{})
	ctx := context.Background()
	resp, err := c.Connector.TaskConfigs(ctx, &pluginv1.TaskConfigsRequest{ConnectorClass: "counter", Config: map[string]string{"topic": "t"}, MaxTasks: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Tasks) != 1 || resp.Tasks[0].Config["topic"] != "t" || resp.Tasks[0].Config["count"] != "3" {
		t.Fatalf("task configs = %v, want one with topic t and the default count 3", resp.Tasks)
	}
	_, err = c.Connector.TaskConfigs(ctx, &pluginv1.TaskConfigsRequest{ConnectorClass: "memory-sink", Config: map[string]string{"file": "f"}, MaxTasks: 2})
	wantCode(t, err, codes.Unknown, "connector memory-sink returned 3 task configs, more than the maximum of 2")
	_, err = c.Connector.TaskConfigs(ctx, &pluginv1.TaskConfigsRequest{ConnectorClass: "counter", MaxTasks: 1})
	wantCode(t, err, codes.InvalidArgument, `invalid config: topic: Missing required configuration "topic" which has no default value.`)
}

func TestSourcePollBatching(t *testing.T) {
	c, _ := connect(t, counterSource{})
	ctx := context.Background()
	committed := &pluginv1.SourceOffset{Partition: []byte(`{ "counter" : "t" }`), Offset: []byte(`{"n": 10}`)}
	openCounter(t, c, "h1", map[string]string{"topic": "t", "count": "5"}, committed)

	var got []int64
	for _, max := range []int32{2, 2, 2, 0} {
		resp, err := c.Source.Poll(ctx, &pluginv1.PollRequest{Handle: "h1", MaxRecords: max, TimeoutMs: 100})
		if err != nil {
			t.Fatal(err)
		}
		if max > 0 && len(resp.Records) > int(max) {
			t.Fatalf("poll with max_records %d returned %d records", max, len(resp.Records))
		}
		for _, r := range resp.Records {
			got = append(got, r.Value.GetIntValue())
		}
	}
	// 5 from the first task poll served as 2+2+1, then 5 more in one response.
	want := "[11 12 13 14 15 16 17 18 19 20]"
	if fmt.Sprint(got) != want {
		t.Fatalf("polled %v, want %v", got, want)
	}
	if _, err := c.Source.Commit(ctx, &pluginv1.CommitRequest{Handle: "h1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Source.Close(ctx, &pluginv1.CloseRequest{Handle: "h1"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Source.Poll(ctx, &pluginv1.PollRequest{Handle: "h1"})
	wantCode(t, err, codes.NotFound, `no open source task with handle "h1"`)
	_, err = c.Source.Close(ctx, &pluginv1.CloseRequest{Handle: "h1"})
	wantCode(t, err, codes.NotFound, "")
}

func TestSourcePollTimeout(t *testing.T) {
	c, _ := connect(t, counterSource{})
	ctx := context.Background()
	openCounter(t, c, "blocker", map[string]string{"topic": "t", "block": "true"})
	before := time.Now()
	resp, err := c.Source.Poll(ctx, &pluginv1.PollRequest{Handle: "blocker", MaxRecords: 10, TimeoutMs: 50})
	after := time.Now()
	if err != nil {
		t.Fatalf("a poll that timed out returned %v, want an empty batch", err)
	}
	if len(resp.Records) != 0 {
		t.Fatalf("got %d records, want none", len(resp.Records))
	}
	// The task's poll context ends at the kernel's timeout, counted from the call. This
	// brackets the deadline the server computed between two instants taken around the
	// call, an order of events: load widens the bracket, it cannot make it fail.
	dl := <-blocked
	if dl.Before(before.Add(50*time.Millisecond)) || dl.After(after.Add(50*time.Millisecond)) {
		t.Fatalf("poll deadline %v is not 50ms after the call (made between %v and %v)", dl, before, after)
	}

	// Close interrupts a poll that waits for a long time.
	errc := make(chan error, 1)
	go func() {
		_, err := c.Source.Poll(ctx, &pluginv1.PollRequest{Handle: "blocker", TimeoutMs: 600_000})
		errc <- err
	}()
	<-blocked // the task is inside Poll
	if _, err := c.Source.Close(ctx, &pluginv1.CloseRequest{Handle: "blocker"}); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("interrupted poll returned %v, want an empty batch", err)
	}
}

func TestSourceErrors(t *testing.T) {
	c, _ := connect(t, counterSource{}, &memorySink{})
	ctx := context.Background()

	_, err := c.Source.Open(ctx, &pluginv1.OpenSourceRequest{Task: &pluginv1.TaskRef{Handle: "x"}, ConnectorClass: "counter", Config: map[string]string{"topic": "no-open"}})
	wantCode(t, err, codes.Unknown, "cannot open: topic no-open")
	_, err = c.Source.Open(ctx, &pluginv1.OpenSourceRequest{Task: &pluginv1.TaskRef{Handle: "x"}, ConnectorClass: "counter", Config: map[string]string{"count": "many"}})
	wantCode(t, err, codes.InvalidArgument, `invalid config: topic: Missing required configuration "topic" which has no default value.; count: Invalid value many for configuration count: Not a number of type INT`)
	_, err = c.Source.Open(ctx, &pluginv1.OpenSourceRequest{Task: &pluginv1.TaskRef{Handle: "x"}, ConnectorClass: "memory-sink", Config: map[string]string{"file": "f"}})
	wantCode(t, err, codes.InvalidArgument, `connector class "memory-sink" is a sink connector, not a source connector`)

	openCounter(t, c, "x", map[string]string{"topic": "t"}) // the failed opens left no handle behind
	_, err = c.Source.Open(ctx, &pluginv1.OpenSourceRequest{Task: &pluginv1.TaskRef{Handle: "x"}, ConnectorClass: "counter", Config: map[string]string{"topic": "t"}})
	wantCode(t, err, codes.AlreadyExists, `task handle "x" is already open`)

	openCounter(t, c, "failing", map[string]string{"topic": "t", "fail": "upstream is down: connection refused"})
	_, err = c.Source.Poll(ctx, &pluginv1.PollRequest{Handle: "failing", TimeoutMs: 10})
	wantCode(t, err, codes.Unknown, "upstream is down: connection refused")

	openCounter(t, c, "panicky", map[string]string{"topic": "t", "panic": "true"})
	_, err = c.Source.Poll(ctx, &pluginv1.PollRequest{Handle: "panicky", TimeoutMs: 10})
	wantCode(t, err, codes.Internal, "panic in Poll: boom")
	// The process and its other tasks survived.
	if _, err := c.Source.Poll(ctx, &pluginv1.PollRequest{Handle: "x", TimeoutMs: 10}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Sink.Put(ctx, &pluginv1.PutRequest{Handle: "x"})
	wantCode(t, err, codes.NotFound, `no open sink task with handle "x"`)
}

func TestSink(t *testing.T) {
	m := &memorySink{}
	c, srv := connect(t, m)
	ctx := context.Background()
	_, err := c.Sink.Open(ctx, &pluginv1.OpenSinkRequest{
		Task: &pluginv1.TaskRef{Handle: "s1"}, ConnectorClass: "memory-sink",
		Config: map[string]string{"file": "f"}, Partitions: []*pluginv1.TopicPartition{{Topic: "t", Partition: 0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var recs []*pluginv1.Record
	for i := range 3 {
		recs = append(recs, &pluginv1.Record{Topic: "t", Value: &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: "v" + strconv.Itoa(i)}},
			ValueSchema: &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRING}, KafkaOffset: int64(i), TimestampMs: 1700000000000})
	}
	if _, err := c.Sink.Put(ctx, &pluginv1.PutRequest{Handle: "s1", Records: recs}); err != nil {
		t.Fatal(err)
	}
	offsets := []*pluginv1.TopicPartitionOffset{{Topic: "t", Partition: 0, Offset: 3}}
	resp, err := c.Sink.Flush(ctx, &pluginv1.FlushRequest{Handle: "s1", Offsets: offsets})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Offsets) != 1 || resp.Offsets[0].Offset != 3 {
		t.Fatalf("flush returned %v, want t/0@3", resp.Offsets)
	}
	m.mu.Lock()
	got := m.puts["f"]
	m.mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("sink got %d records, want 3", len(got))
	}
	for i, r := range got {
		if r.Topic != "t" || r.Offset != int64(i) || r.Value != "v"+strconv.Itoa(i) || r.ValueSchema.Type != data.TypeString ||
			!r.Timestamp.Equal(time.UnixMilli(1700000000000)) {
			t.Fatalf("record %d = %+v", i, r)
		}
	}

	// Shutdown closes open tasks and refuses new ones.
	srv.closeAll(time.Second)
	_, err = c.Sink.Put(ctx, &pluginv1.PutRequest{Handle: "s1"})
	wantCode(t, err, codes.NotFound, "")
	_, err = c.Sink.Open(ctx, &pluginv1.OpenSinkRequest{Task: &pluginv1.TaskRef{Handle: "s2"}, ConnectorClass: "memory-sink", Config: map[string]string{"file": "f"}})
	wantCode(t, err, codes.Unavailable, "plugin is shutting down")
}

func TestSinkFlushReportsOnlyGivenOffsets(t *testing.T) {
	c, _ := connect(t, &memorySink{})
	ctx := context.Background()
	_, err := c.Sink.Open(ctx, &pluginv1.OpenSinkRequest{Task: &pluginv1.TaskRef{Handle: "s"}, ConnectorClass: "memory-sink",
		Config: map[string]string{"file": "f", "flush.extra": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	// The task reports a partition it was not given (dropped) and an offset beyond the
	// one it was given (refused: the kernel must never commit what was not put).
	_, err = c.Sink.Flush(ctx, &pluginv1.FlushRequest{Handle: "s", Offsets: []*pluginv1.TopicPartitionOffset{{Topic: "t", Partition: 1, Offset: 10}}})
	wantCode(t, err, codes.Internal, "sdk: Flush reported offset 11 for t-1, beyond the 10 the kernel gave")
}
