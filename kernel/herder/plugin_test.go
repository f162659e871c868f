package herder

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/plugins/protocol"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// testPlugins is a plugin "process" served in this test process over an in-memory gRPC
// connection: a generator source ("gen") and a collecting sink ("collect"). crash stops
// the server the way a dying process would; restart serves again with fresh task state.
type testPlugins struct {
	t      testing.TB
	source *genSource
	sink   *collectSink

	mu     sync.Mutex
	client *pluginhost.Client
	srv    *grpc.Server
	conn   *grpc.ClientConn
	up     chan struct{} // closed while a client is available
	waits  int           // WaitClient calls that found no client
}

const testBinary = "tributary-test"

func newTestPlugins(t testing.TB) *testPlugins {
	p := &testPlugins{t: t, source: newGenSource(), sink: newCollectSink(), up: make(chan struct{})}
	p.restart()
	t.Cleanup(p.crash)
	return p
}

func (p *testPlugins) Resolve(class string) (pluginhost.Descriptor, error) {
	switch class {
	case "gen", "com.example.GenSource":
		return pluginhost.Descriptor{Binary: testBinary, ConnectorDescriptor: &pluginv1.ConnectorDescriptor{
			Name: "gen", Type: pluginv1.ConnectorType_CONNECTOR_TYPE_SOURCE}}, nil
	case "collect":
		return pluginhost.Descriptor{Binary: testBinary, ConnectorDescriptor: &pluginv1.ConnectorDescriptor{
			Name: "collect", Type: pluginv1.ConnectorType_CONNECTOR_TYPE_SINK}}, nil
	}
	return pluginhost.Descriptor{}, fmt.Errorf("connector class %q: %w", class, pluginhost.ErrUnknownClass)
}

func (p *testPlugins) WaitClient(ctx context.Context, class string) (*pluginhost.Client, error) {
	if _, err := p.Resolve(class); err != nil {
		return nil, err
	}
	for {
		p.mu.Lock()
		c, up := p.client, p.up
		if c == nil {
			p.waits++
		}
		p.mu.Unlock()
		if c != nil {
			return c, nil
		}
		select {
		case <-up:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (%w)", pluginhost.ErrUnavailable, ctx.Err())
		}
	}
}

// downWaits counts the WaitClient calls that found the plugin down.
func (p *testPlugins) downWaits() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waits
}

// crash stops serving: calls in flight and later fail with codes.Unavailable.
func (p *testPlugins) crash() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv == nil {
		return
	}
	p.srv.Stop()
	p.conn.Close()
	p.srv, p.conn, p.client = nil, nil, nil
	p.up = make(chan struct{})
	p.source.reset()
	p.sink.reset()
}

// restart serves again, like a relaunched plugin process.
func (p *testPlugins) restart() {
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(grpc.ForceServerCodecV2(garbageCodec{}))
	pluginv1.RegisterSourceTaskServer(srv, p.source)
	pluginv1.RegisterSinkTaskServer(srv, p.sink)
	go srv.Serve(lis)
	conn, err := grpc.NewClient("passthrough:///plugin",
		append(protocol.ClientDialOptions(), // the kernel's codec: its batch decoder reads every Poll
			grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
			grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		p.t.Fatal(err)
	}
	// A pluginhost.Client built outside the host has no Done channel; the runtime then
	// learns of a dead plugin from codes.Unavailable, as it would before Done closes.
	c := &pluginhost.Client{
		Plugin: pluginv1.NewPluginClient(conn), Connector: pluginv1.NewConnectorClient(conn),
		Source: pluginv1.NewSourceTaskClient(conn), Sink: pluginv1.NewSinkTaskClient(conn), Conn: conn, Binary: testBinary,
	}
	p.mu.Lock()
	p.srv, p.conn, p.client = srv, conn, c
	close(p.up)
	p.mu.Unlock()
}

// ---- the generator source ----

// genSource emits records {"n": i} from one source partition {"g": <task config "name">},
// key "k<i>", value "v<i>", to the topic in its task config, up to "count" records (0: no
// end), "batch" records per poll at most, pausing "sleep.ms" between polls.
type genSource struct {
	pluginv1.UnimplementedSourceTaskServer

	mu      sync.Mutex
	tasks   map[string]*genTask
	opens   []*pluginv1.OpenSourceRequest
	commits []*pluginv1.CommitRequest
	closes  []string
	polls   int
	// inFlight counts the Poll calls under way.
	inFlight int
	// pollHook, when set, is called before every Poll; an error it returns is Poll's answer.
	pollHook func() error
	// openHook, when set, is called at the start of every Open with the call's context.
	openHook  func(ctx context.Context)
	closeHook func(ctx context.Context)
}

type genTask struct {
	topic     string
	partition int32
	part      []byte
	next      int
	count     int
	batch     int
	sleep     time.Duration
	raw       []byte // when set, every record is just this value (for benchmarks)
	garbage   bool   // "garbage": every Poll answer is bytes no PollResponse decodes from
	structs   bool   // "struct": values are structs {n, s, half, none} with their schema
}

// genValueSchema is the schema of the generator's struct values.
var genValueSchema = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRUCT, Name: "gen.Value", Fields: []*pluginv1.SchemaField{
	{Name: "n", Schema: &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT64}},
	{Name: "s", Schema: &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRING}},
	{Name: "half", Schema: &pluginv1.Schema{Type: pluginv1.Schema_TYPE_FLOAT64, Optional: true}},
	{Name: "none", Schema: &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRING, Optional: true}},
}}

// genStruct is the generator's struct value i.
func genStruct(i int) *pluginv1.Value {
	return &pluginv1.Value{Kind: &pluginv1.Value_StructValue{StructValue: &pluginv1.Struct{Fields: []*pluginv1.Field{
		{Name: "n", Value: &pluginv1.Value{Kind: &pluginv1.Value_IntValue{IntValue: int64(i)}}},
		{Name: "s", Value: &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: fmt.Sprintf("v\"%d\"", i)}}},
		{Name: "half", Value: &pluginv1.Value{Kind: &pluginv1.Value_DoubleValue{DoubleValue: float64(i) / 2}}},
		{Name: "none"},
	}}}}
}

// garbageTopic marks a PollResponse garbageCodec sends as garbageBatch instead.
const garbageTopic = "\x00garbage"

// garbageBatch is what a broken plugin might send: a record claiming 4 GiB.
var garbageBatch = []byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01}

// garbageCodec is the plugin side's protocol codec, except that a PollResponse whose first
// record has garbageTopic goes on the wire as garbageBatch.
type garbageCodec struct{}

func (garbageCodec) Name() string { return protocol.Codec.Name() }

func (garbageCodec) Marshal(v any) (mem.BufferSlice, error) {
	if r, ok := v.(*pluginv1.PollResponse); ok && len(r.Records) > 0 && r.Records[0].Topic == garbageTopic {
		return mem.BufferSlice{mem.SliceBuffer(garbageBatch)}, nil
	}
	return protocol.Codec.Marshal(v)
}

func (garbageCodec) Unmarshal(data mem.BufferSlice, v any) error {
	return protocol.Codec.Unmarshal(data, v)
}

func newGenSource() *genSource { return &genSource{tasks: map[string]*genTask{}} }

func (g *genSource) reset() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tasks = map[string]*genTask{}
}

type genOffset struct {
	N int `json:"n"`
}

func (g *genSource) Open(ctx context.Context, req *pluginv1.OpenSourceRequest) (*pluginv1.OpenSourceResponse, error) {
	g.mu.Lock()
	hook := g.openHook
	g.mu.Unlock()
	if hook != nil {
		hook(ctx)
	}
	cfg := req.Config
	gt := &genTask{topic: cfg["topic"], partition: -1, batch: 500, part: []byte(fmt.Sprintf(`{"g":%q}`, cfg["name"]))}
	fmt.Sscan(cfg["count"], &gt.count)
	fmt.Sscan(cfg["batch"], &gt.batch)
	var ms int
	fmt.Sscan(cfg["sleep.ms"], &ms)
	gt.sleep = time.Duration(ms) * time.Millisecond
	var size int
	if fmt.Sscan(cfg["value.bytes"], &size); size > 0 {
		gt.raw = make([]byte, size)
	}
	gt.garbage = cfg["garbage"] == "true"
	gt.structs = cfg["struct"] == "true"
	if p, ok := cfg["partition"]; ok {
		fmt.Sscan(p, &gt.partition)
	}
	for _, o := range req.Offsets {
		if string(o.Partition) == string(gt.part) {
			var off genOffset
			if err := json.Unmarshal(o.Offset, &off); err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "bad offset %s: %v", o.Offset, err)
			}
			gt.next = off.N + 1
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, open := g.tasks[req.Task.Handle]; open { // as the SDK refuses it
		return nil, status.Errorf(codes.AlreadyExists, "task handle %q is already open", req.Task.Handle)
	}
	g.tasks[req.Task.Handle] = gt
	g.opens = append(g.opens, req)
	return &pluginv1.OpenSourceResponse{}, nil
}

func (g *genSource) Poll(ctx context.Context, req *pluginv1.PollRequest) (*pluginv1.PollResponse, error) {
	g.mu.Lock()
	g.polls++
	g.inFlight++
	defer func() {
		g.mu.Lock()
		g.inFlight--
		g.mu.Unlock()
	}()
	if g.pollHook != nil {
		if err := g.pollHook(); err != nil {
			g.mu.Unlock()
			return nil, err
		}
	}
	gt := g.tasks[req.Handle]
	if gt == nil {
		g.mu.Unlock()
		return nil, status.Errorf(codes.NotFound, "no task %s", req.Handle)
	}
	if gt.garbage {
		g.mu.Unlock()
		return &pluginv1.PollResponse{Records: []*pluginv1.Record{{Topic: garbageTopic}}}, nil
	}
	n := min(gt.batch, int(req.MaxRecords))
	if gt.count > 0 {
		n = min(n, gt.count-gt.next)
	}
	resp := &pluginv1.PollResponse{Records: make([]*pluginv1.Record, 0, n)}
	for range n {
		i := gt.next
		gt.next++
		if gt.raw != nil {
			resp.Records = append(resp.Records, &pluginv1.Record{
				Topic: gt.topic, Partition: gt.partition,
				Value:           &pluginv1.Value{Kind: &pluginv1.Value_BytesValue{BytesValue: gt.raw}},
				SourcePartition: gt.part,
				SourceOffset:    strconv.AppendInt(append(make([]byte, 0, 24), `{"n":`...), int64(i), 10),
			})
			resp.Records[len(resp.Records)-1].SourceOffset = append(resp.Records[len(resp.Records)-1].SourceOffset, '}')
			continue
		}
		resp.Records = append(resp.Records, &pluginv1.Record{
			Topic: gt.topic, Partition: gt.partition,
			Key:             &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: fmt.Sprintf("k%d", i)}},
			Value:           &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: fmt.Sprintf("v%d", i)}},
			Headers:         []*pluginv1.Header{{Key: "n", Value: &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: fmt.Sprint(i)}}}},
			SourcePartition: gt.part,
			SourceOffset:    []byte(fmt.Sprintf(`{"n":%d}`, i)),
		})
		if gt.structs {
			r := resp.Records[len(resp.Records)-1]
			r.Value, r.ValueSchema = genStruct(i), genValueSchema
			r.KeySchema = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRING}
		}
	}
	sleep := gt.sleep
	g.mu.Unlock()
	if n == 0 {
		sleep = min(time.Duration(req.TimeoutMs)*time.Millisecond, 20*time.Millisecond)
	}
	if sleep > 0 {
		select {
		case <-time.After(sleep):
		case <-ctx.Done():
		}
	}
	return resp, nil
}

func (g *genSource) Commit(_ context.Context, req *pluginv1.CommitRequest) (*pluginv1.CommitResponse, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.commits = append(g.commits, req)
	return &pluginv1.CommitResponse{}, nil
}

func (g *genSource) Close(ctx context.Context, req *pluginv1.CloseRequest) (*pluginv1.CloseResponse, error) {
	g.mu.Lock()
	hook := g.closeHook
	g.mu.Unlock()
	if hook != nil {
		hook(ctx)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.tasks, req.Handle)
	g.closes = append(g.closes, req.Handle)
	return &pluginv1.CloseResponse{}, nil
}

// lastCommit returns the offset last committed to the plugin for a source partition.
func (g *genSource) lastCommit(part string) (int, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := len(g.commits) - 1; i >= 0; i-- {
		for _, o := range g.commits[i].Offsets {
			if string(o.Partition) == part {
				var off genOffset
				json.Unmarshal(o.Offset, &off)
				return off.N, true
			}
		}
	}
	return 0, false
}

func (g *genSource) pollCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.polls
}

func (g *genSource) pollsInFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inFlight
}

func (g *genSource) closed() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.closes...)
}

// ---- the collecting sink ----

// collectSink keeps every record put, per task handle; Flush makes all of it durable.
// failPut, when set, is what Put answers.
type collectSink struct {
	pluginv1.UnimplementedSinkTaskServer

	mu      sync.Mutex
	opens   map[string][]*pluginv1.TopicPartition
	records []*pluginv1.Record
	byTask  map[string]int
	flushes int
	closes  []string
	failPut error
	discard bool // count, do not keep (benchmarks)
	// putHook, when set, is called before every Put; an error it returns is Put's answer.
	putHook func(*pluginv1.PutRequest) error
	putAt   []time.Time // when each Put arrived
	openN   int         // Open calls
}

func newCollectSink() *collectSink {
	return &collectSink{opens: map[string][]*pluginv1.TopicPartition{}, byTask: map[string]int{}}
}

func (s *collectSink) reset() {}

func (s *collectSink) Open(_ context.Context, req *pluginv1.OpenSinkRequest) (*pluginv1.OpenSinkResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opens[req.Task.Handle] = req.Partitions
	s.openN++
	return &pluginv1.OpenSinkResponse{}, nil
}

func (s *collectSink) Put(_ context.Context, req *pluginv1.PutRequest) (*pluginv1.PutResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putAt = append(s.putAt, time.Now())
	if s.failPut != nil {
		return nil, s.failPut
	}
	if s.putHook != nil {
		if err := s.putHook(req); err != nil {
			return nil, err
		}
	}
	if _, ok := s.opens[req.Handle]; !ok {
		return nil, status.Errorf(codes.NotFound, "no task %s", req.Handle)
	}
	if !s.discard {
		s.records = append(s.records, req.Records...)
	}
	s.byTask[req.Handle] += len(req.Records)
	return &pluginv1.PutResponse{}, nil
}

func (s *collectSink) Flush(_ context.Context, req *pluginv1.FlushRequest) (*pluginv1.FlushResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushes++
	return &pluginv1.FlushResponse{Offsets: req.Offsets}, nil
}

func (s *collectSink) Close(_ context.Context, req *pluginv1.CloseRequest) (*pluginv1.CloseResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closes = append(s.closes, req.Handle)
	return &pluginv1.CloseResponse{}, nil
}

func (s *collectSink) setFailPut(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failPut = err
}

func (s *collectSink) setPutHook(fn func(*pluginv1.PutRequest) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putHook = fn
}

func (s *collectSink) putTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.putAt...)
}

func (s *collectSink) openCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.openN
}

func (g *genSource) setOpenHook(fn func(ctx context.Context)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.openHook = fn
}

func (g *genSource) setCloseHook(fn func(ctx context.Context)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closeHook = fn
}

func (g *genSource) setPollHook(fn func() error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pollHook = fn
}

func (g *genSource) openRequests() []*pluginv1.OpenSourceRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*pluginv1.OpenSourceRequest(nil), g.opens...)
}

func (s *collectSink) collected() []*pluginv1.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*pluginv1.Record(nil), s.records...)
}
