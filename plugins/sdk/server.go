package sdk

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/plugins/protocol"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// server holds the connectors of one plugin process and its open tasks, and adapts the
// four generated service interfaces to the SDK's Go interfaces.
type server struct {
	log     hclog.Logger
	byClass map[string]*connectorEntry // by name and every alias
	descs   []*pluginv1.ConnectorDescriptor

	mu      sync.Mutex
	tasks   map[string]*task // by handle
	closing bool
}

type connectorEntry struct {
	c   Connector
	def Definition
}

// task is one open task. mu serialises every call into the author's task, so task
// implementations need no locking; ctx ends when the task is closed, which interrupts
// a Poll or Put in progress.
type task struct {
	kind   ConnectorType
	source SourceTask
	sink   SinkTask
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	pending []SourceRecord // polled beyond the kernel's max_records
	enc     encoder
	dec     decoder
}

func newServer(connectors []Connector, log hclog.Logger) (*server, error) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	s := &server{log: log, byClass: map[string]*connectorEntry{}, tasks: map[string]*task{}}
	var problems []string
	for _, c := range connectors {
		def := c.Definition()
		switch {
		case def.Name == "":
			problems = append(problems, "a connector has no name")
			continue
		case def.Type != Source && def.Type != Sink:
			problems = append(problems, fmt.Sprintf("connector %q: type must be sdk.Source or sdk.Sink", def.Name))
			continue
		}
		e := &connectorEntry{c: c, def: def}
		for _, class := range append([]string{def.Name}, def.Aliases...) {
			if prev, dup := s.byClass[class]; dup {
				problems = append(problems, fmt.Sprintf("connector class %q declared by both %q and %q", class, prev.def.Name, def.Name))
				continue
			}
			s.byClass[class] = e
		}
		s.descs = append(s.descs, descriptor(def))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("sdk: invalid connectors: %s", strings.Join(problems, "; "))
	}
	return s, nil
}

// descriptor returns d as the protocol's ConnectorDescriptor.
func descriptor(d Definition) *pluginv1.ConnectorDescriptor {
	return &pluginv1.ConnectorDescriptor{
		Name:        d.Name,
		Type:        pluginv1.ConnectorType(d.Type),
		Version:     d.Version,
		Aliases:     append([]string(nil), d.Aliases...),
		Description: d.Description,
		Config:      d.Config.protoKeys(),
	}
}

func (s *server) register(g *grpc.Server) error {
	pluginv1.RegisterPluginServer(g, pluginService{s: s})
	pluginv1.RegisterConnectorServer(g, connectorService{s: s})
	g.RegisterService(&sourceTaskDesc, sourceService{s: s})
	pluginv1.RegisterSinkTaskServer(g, sinkService{s: s})
	return nil
}

// sourceTaskDesc is the generated SourceTask service with Poll answered by pollRaw:
// the SDK encodes a batch straight from the author's records into protobuf bytes,
// which the protocol codec sends as they are.
var sourceTaskDesc = func() grpc.ServiceDesc {
	d := pluginv1.SourceTask_ServiceDesc
	d.Methods = slices.Clone(d.Methods)
	for i := range d.Methods {
		if d.Methods[i].MethodName == "Poll" {
			d.Methods[i].Handler = pollHandler
		}
	}
	return d
}()

func pollHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	in := new(pluginv1.PollRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	ss := srv.(sourceService)
	if interceptor == nil {
		return ss.pollRaw(ctx, in)
	}
	info := &grpc.UnaryServerInfo{Server: srv, FullMethod: pluginv1.SourceTask_Poll_FullMethodName}
	return interceptor(ctx, in, info, func(ctx context.Context, req any) (any, error) {
		return ss.pollRaw(ctx, req.(*pluginv1.PollRequest))
	})
}

// connector finds the connector serving class; typ, when set, must match its type.
func (s *server) connector(class string, typ ConnectorType) (*connectorEntry, error) {
	e, ok := s.byClass[class]
	if !ok {
		names := make([]string, 0, len(s.descs))
		for _, d := range s.descs {
			names = append(names, d.GetName())
		}
		return nil, status.Errorf(codes.NotFound, "unknown connector class %q; this plugin serves: %s", class, strings.Join(names, ", "))
	}
	if typ != 0 && e.def.Type != typ {
		return nil, status.Errorf(codes.InvalidArgument, "connector class %q is a %s connector, not a %s connector", class, e.def.Type, typ)
	}
	return e, nil
}

// open registers a new task under handle, opens it with openFn and unregisters it again
// when opening fails. The task's mutex is held while opening, so calls that race the
// Open wait for it.
func (s *server) open(handle string, t *task, openFn func() error) error {
	if handle == "" {
		return status.Error(codes.InvalidArgument, "task handle is empty")
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.mu.Lock()
	defer t.mu.Unlock()
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		t.cancel()
		return status.Error(codes.Unavailable, "plugin is shutting down")
	}
	if _, dup := s.tasks[handle]; dup {
		s.mu.Unlock()
		t.cancel()
		return status.Errorf(codes.AlreadyExists, "task handle %q is already open", handle)
	}
	s.tasks[handle] = t
	s.mu.Unlock()

	if err := s.safely("Open", openFn); err != nil {
		if !t.closed {
			t.closed = true
			_ = s.safely("Close", t.closeImpl)
		}
		t.cancel()
		s.mu.Lock()
		if s.tasks[handle] == t {
			delete(s.tasks, handle)
		}
		s.mu.Unlock()
		return toStatus(err)
	}
	return nil
}

// lookup returns the open task of kind under handle, locked; the caller unlocks t.mu.
func (s *server) lookup(handle string, kind ConnectorType) (*task, error) {
	s.mu.Lock()
	t, ok := s.tasks[handle]
	s.mu.Unlock()
	if !ok || t.kind != kind {
		return nil, status.Errorf(codes.NotFound, "no open %s task with handle %q", kind, handle)
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, status.Errorf(codes.NotFound, "no open %s task with handle %q", kind, handle)
	}
	return t, nil
}

// close removes and closes the task under handle.
func (s *server) close(handle string, kind ConnectorType) error {
	s.mu.Lock()
	t, ok := s.tasks[handle]
	if ok && t.kind == kind {
		delete(s.tasks, handle)
	}
	s.mu.Unlock()
	if !ok || t.kind != kind {
		return status.Errorf(codes.NotFound, "no open %s task with handle %q", kind, handle)
	}
	return s.closeTask(t)
}

// closeAll closes every open task, giving them up to timeout together, and refuses new
// ones. It is the plugin's graceful shutdown.
func (s *server) closeAll(timeout time.Duration) {
	s.mu.Lock()
	s.closing = true
	tasks := s.tasks
	s.tasks = map[string]*task{}
	s.mu.Unlock()
	if len(tasks) == 0 {
		return
	}
	var wg sync.WaitGroup
	for handle, t := range tasks {
		wg.Go(func() {
			if err := s.closeTask(t); err != nil {
				s.log.Warn("close task at shutdown", "handle", handle, "error", err)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		s.log.Debug("closed open tasks at shutdown", "tasks", len(tasks))
	case <-time.After(timeout):
		s.log.Warn("tasks did not close in time at shutdown", "timeout", timeout)
	}
}

func (s *server) closeTask(t *task) error {
	t.cancel() // interrupt a Poll or Put in progress
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	t.pending = nil
	if err := s.safely("Close", t.closeImpl); err != nil {
		return toStatus(err)
	}
	return nil
}

func (t *task) closeImpl() error {
	if t.source != nil {
		return t.source.Close()
	}
	return t.sink.Close()
}

// bind returns ctx, also cancelled when the task is closed.
func (t *task) bind(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(t.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

func taskContext(ref *pluginv1.TaskRef, class string, cfg Config, log hclog.Logger) TaskContext {
	return TaskContext{
		Handle:    ref.GetHandle(),
		Connector: ref.GetConnector(),
		Task:      int(ref.GetTask()),
		Class:     class,
		Config:    cfg,
		Logger:    log.With("connector", ref.GetConnector(), "task", ref.GetTask()),
	}
}

// panicError is a panic in connector code, recovered so one bad task cannot take down
// the other tasks of the process.
type panicError struct {
	call  string
	value any
}

func (e *panicError) Error() string { return fmt.Sprintf("panic in %s: %v", e.call, e.value) }

// safely runs connector code, turning a panic into a *panicError (and logging its stack,
// which the host receives).
func (s *server) safely(call string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in connector code", "call", call, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = &panicError{call: call, value: r}
		}
	}()
	return fn()
}

// toStatus turns an error from connector code into a gRPC status error, keeping its
// message: a status error passes through, config errors become InvalidArgument, panics
// Internal, context errors their own codes, anything else Unknown.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	var ces ConfigErrors
	var ce ConfigError
	var pe *panicError
	code := codes.Unknown
	switch {
	case errors.As(err, &ces), errors.As(err, &ce):
		code = codes.InvalidArgument
	case errors.As(err, &pe):
		code = codes.Internal
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	}
	return status.Error(code, err.Error())
}

func isContextErr(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

func configErrorsProto(errs []ConfigError) []*pluginv1.ConfigError {
	out := make([]*pluginv1.ConfigError, len(errs))
	for i, e := range errs {
		out[i] = &pluginv1.ConfigError{Key: e.Key, Message: e.Message}
	}
	return out
}

// ---- Plugin service ----

type pluginService struct {
	pluginv1.UnimplementedPluginServer
	s *server
}

func (p pluginService) Describe(context.Context, *pluginv1.DescribeRequest) (*pluginv1.DescribeResponse, error) {
	return &pluginv1.DescribeResponse{Connectors: p.s.descs}, nil
}

// ---- Connector service ----

type connectorService struct {
	pluginv1.UnimplementedConnectorServer
	s *server
}

func (c connectorService) Validate(_ context.Context, req *pluginv1.ValidateRequest) (*pluginv1.ValidateResponse, error) {
	e, err := c.s.connector(req.GetConnectorClass(), 0)
	if err != nil {
		return nil, err
	}
	cfg, errs := e.def.Config.Parse(req.GetConfig())
	if len(errs) == 0 {
		err = c.s.safely("Validate", func() error {
			errs = e.c.Validate(cfg)
			return nil
		})
		if err != nil {
			return nil, toStatus(err)
		}
	}
	return &pluginv1.ValidateResponse{Errors: configErrorsProto(errs)}, nil
}

func (c connectorService) TaskConfigs(_ context.Context, req *pluginv1.TaskConfigsRequest) (*pluginv1.TaskConfigsResponse, error) {
	e, err := c.s.connector(req.GetConnectorClass(), 0)
	if err != nil {
		return nil, err
	}
	cfg, errs := e.def.Config.Parse(req.GetConfig())
	if len(errs) > 0 {
		return nil, toStatus(ConfigErrors(errs))
	}
	maxTasks := max(int(req.GetMaxTasks()), 1)
	var configs []map[string]string
	err = c.s.safely("TaskConfigs", func() error {
		var err error
		configs, err = e.c.TaskConfigs(cfg, maxTasks)
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	if len(configs) > maxTasks {
		return nil, status.Errorf(codes.Unknown, "connector %s returned %d task configs, more than the maximum of %d", e.def.Name, len(configs), maxTasks)
	}
	resp := &pluginv1.TaskConfigsResponse{Tasks: make([]*pluginv1.TaskConfig, len(configs))}
	for i, tc := range configs {
		resp.Tasks[i] = &pluginv1.TaskConfig{Config: tc}
	}
	return resp, nil
}

// ---- SourceTask service ----

type sourceService struct {
	pluginv1.UnimplementedSourceTaskServer
	s *server
}

func (ss sourceService) Open(ctx context.Context, req *pluginv1.OpenSourceRequest) (*pluginv1.OpenSourceResponse, error) {
	e, err := ss.s.connector(req.GetConnectorClass(), Source)
	if err != nil {
		return nil, err
	}
	cfg, errs := e.def.Config.Parse(req.GetConfig())
	if len(errs) > 0 {
		return nil, toStatus(ConfigErrors(errs))
	}
	offsets, err := committedOffsets(req.GetOffsets())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	var st SourceTask
	if err := ss.s.safely("NewSourceTask", func() error { st = e.c.NewSourceTask(); return nil }); err != nil {
		return nil, toStatus(err)
	}
	if st == nil {
		return nil, status.Errorf(codes.Internal, "connector %s returned a nil source task", e.def.Name)
	}
	t := &task{kind: Source, source: st}
	tc := taskContext(req.GetTask(), req.GetConnectorClass(), cfg, ss.s.log)
	tc.Committed = offsets
	err = ss.s.open(req.GetTask().GetHandle(), t, func() error {
		return st.Open(ctx, tc)
	})
	if err != nil {
		tc.Logger.Warn("open source task failed", "error", status.Convert(err).Message())
		return nil, err
	}
	tc.Logger.Debug("source task opened", "handle", tc.Handle)
	return &pluginv1.OpenSourceResponse{}, nil
}

// Poll is served by pollRaw (sourceTaskDesc); this method only completes the
// generated interface.
func (ss sourceService) Poll(ctx context.Context, req *pluginv1.PollRequest) (*pluginv1.PollResponse, error) {
	return nil, status.Error(codes.Internal, "sdk: Poll is served by pollRaw")
}

// pollRaw answers a Poll with the encoded PollResponse of up to max_records records.
func (ss sourceService) pollRaw(ctx context.Context, req *pluginv1.PollRequest) (protocol.Raw, error) {
	t, err := ss.s.lookup(req.GetHandle(), Source)
	if err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	if len(t.pending) == 0 {
		timeout := time.Duration(max(req.GetTimeoutMs(), 0)) * time.Millisecond
		pctx, cancel := t.bind(ctx)
		pctx, cancelTimeout := context.WithTimeout(pctx, timeout)
		var recs []SourceRecord
		err := ss.s.safely("Poll", func() error {
			var err error
			recs, err = t.source.Poll(pctx)
			return err
		})
		cancelTimeout()
		cancel()
		if err != nil {
			// A task that reports its ended poll context has polled nothing.
			if !isContextErr(err) || pctx.Err() == nil || ctx.Err() != nil {
				return nil, toStatus(err)
			}
			recs = nil
		}
		t.pending = recs
	}
	n := len(t.pending)
	if m := int(req.GetMaxRecords()); m > 0 && n > m {
		n = m
	}
	b, err := t.enc.encodePoll(t.pending[:n])
	if err != nil {
		// The batch cannot be sent: fail the task visibly rather than drop records.
		t.pending = nil
		return nil, status.Error(codes.InvalidArgument, "sdk: the task produced an invalid record: "+err.Error())
	}
	if t.pending = t.pending[n:]; len(t.pending) == 0 {
		t.pending = nil
	}
	return protocol.Raw(b), nil
}

func (ss sourceService) Commit(ctx context.Context, req *pluginv1.CommitRequest) (*pluginv1.CommitResponse, error) {
	t, err := ss.s.lookup(req.GetHandle(), Source)
	if err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	offsets, err := committedOffsets(req.GetOffsets())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	cctx, cancel := t.bind(ctx)
	defer cancel()
	if err := ss.s.safely("Commit", func() error { return t.source.Commit(cctx, offsets) }); err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.CommitResponse{}, nil
}

func (ss sourceService) Close(_ context.Context, req *pluginv1.CloseRequest) (*pluginv1.CloseResponse, error) {
	if err := ss.s.close(req.GetHandle(), Source); err != nil {
		return nil, err
	}
	return &pluginv1.CloseResponse{}, nil
}

// ---- SinkTask service ----

type sinkService struct {
	pluginv1.UnimplementedSinkTaskServer
	s *server
}

func (ss sinkService) Open(ctx context.Context, req *pluginv1.OpenSinkRequest) (*pluginv1.OpenSinkResponse, error) {
	e, err := ss.s.connector(req.GetConnectorClass(), Sink)
	if err != nil {
		return nil, err
	}
	cfg, errs := e.def.Config.Parse(req.GetConfig())
	if len(errs) > 0 {
		return nil, toStatus(ConfigErrors(errs))
	}
	var st SinkTask
	if err := ss.s.safely("NewSinkTask", func() error { st = e.c.NewSinkTask(); return nil }); err != nil {
		return nil, toStatus(err)
	}
	if st == nil {
		return nil, status.Errorf(codes.Internal, "connector %s returned a nil sink task", e.def.Name)
	}
	t := &task{kind: Sink, sink: st}
	tc := taskContext(req.GetTask(), req.GetConnectorClass(), cfg, ss.s.log)
	parts := make([]TopicPartition, len(req.GetPartitions()))
	for i, p := range req.GetPartitions() {
		parts[i] = TopicPartition{Topic: p.GetTopic(), Partition: p.GetPartition()}
	}
	err = ss.s.open(req.GetTask().GetHandle(), t, func() error {
		return st.Open(ctx, tc, parts)
	})
	if err != nil {
		tc.Logger.Warn("open sink task failed", "error", status.Convert(err).Message())
		return nil, err
	}
	tc.Logger.Debug("sink task opened", "handle", tc.Handle)
	return &pluginv1.OpenSinkResponse{}, nil
}

func (ss sinkService) Put(ctx context.Context, req *pluginv1.PutRequest) (*pluginv1.PutResponse, error) {
	t, err := ss.s.lookup(req.GetHandle(), Sink)
	if err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	recs, err := t.dec.sinkRecords(req.GetRecords())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, "sdk: "+err.Error())
	}
	pctx, cancel := t.bind(ctx)
	defer cancel()
	if err := ss.s.safely("Put", func() error { return t.sink.Put(pctx, recs) }); err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.PutResponse{}, nil
}

func (ss sinkService) Flush(ctx context.Context, req *pluginv1.FlushRequest) (*pluginv1.FlushResponse, error) {
	t, err := ss.s.lookup(req.GetHandle(), Sink)
	if err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	given := make(map[TopicPartition]int64, len(req.GetOffsets()))
	for _, o := range req.GetOffsets() {
		given[TopicPartition{o.GetTopic(), o.GetPartition()}] = o.GetOffset()
	}
	fctx, cancel := t.bind(ctx)
	defer cancel()
	var done map[TopicPartition]int64
	err = ss.s.safely("Flush", func() error {
		var err error
		done, err = t.sink.Flush(fctx, given)
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &pluginv1.FlushResponse{Offsets: make([]*pluginv1.TopicPartitionOffset, 0, len(done))}
	for tp, off := range done {
		max, ok := given[tp]
		switch {
		case !ok:
			continue // the kernel did not ask about it
		case off > max:
			return nil, status.Errorf(codes.Internal, "sdk: Flush reported offset %d for %s-%d, beyond the %d the kernel gave", off, tp.Topic, tp.Partition, max)
		}
		resp.Offsets = append(resp.Offsets, &pluginv1.TopicPartitionOffset{Topic: tp.Topic, Partition: tp.Partition, Offset: off})
	}
	slices.SortFunc(resp.Offsets, func(a, b *pluginv1.TopicPartitionOffset) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.Partition) - int(b.Partition)
	})
	return resp, nil
}

func (ss sinkService) Close(_ context.Context, req *pluginv1.CloseRequest) (*pluginv1.CloseResponse, error) {
	if err := ss.s.close(req.GetHandle(), Sink); err != nil {
		return nil, err
	}
	return &pluginv1.CloseResponse{}, nil
}
