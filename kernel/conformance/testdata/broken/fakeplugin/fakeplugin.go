// Package fakeplugin is a small plugin that passes every conformance check, written on
// package protocol and the generated servers alone; each broken plugin beside it serves
// it with one flaw. It has a source, fake-source, emitting records "1".."count" on one
// source partition, and a sink, fake-sink, that discards what it is put.
package fakeplugin

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/plugins/protocol"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// Flaws are the ways a plugin can break the contract; the zero value breaks none.
type Flaws struct {
	ProtocolVersion  uint // announced instead of protocol.Handshake's, when not 0
	IgnoreMaxRecords bool // Poll returns every record it has
	FlushUnknown     bool // Flush also reports a partition it was never given
}

// Serve serves the plugin with flaws until the host stops it.
func Serve(flaws Flaws) {
	hs := protocol.Handshake
	if flaws.ProtocolVersion != 0 {
		hs.ProtocolVersion = flaws.ProtocolVersion
	}
	s := &server{flaws: flaws, tasks: map[string]*task{}}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: hs,
		Plugins: protocol.ServerSet(func(g *grpc.Server) error {
			pluginv1.RegisterPluginServer(g, s)
			pluginv1.RegisterConnectorServer(g, s)
			pluginv1.RegisterSourceTaskServer(g, source{server: s})
			pluginv1.RegisterSinkTaskServer(g, sink{server: s})
			return nil
		}),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, protocol.AllServerOptions()...)...)
		},
	})
}

type server struct {
	pluginv1.UnimplementedPluginServer
	pluginv1.UnimplementedConnectorServer
	flaws Flaws
	mu    sync.Mutex
	tasks map[string]*task
}

// task is an open task; a sink's is unused.
type task struct {
	next, count int // the next record number and the last
}

func (s *server) Describe(context.Context, *pluginv1.DescribeRequest) (*pluginv1.DescribeResponse, error) {
	return &pluginv1.DescribeResponse{Connectors: []*pluginv1.ConnectorDescriptor{
		{Name: "fake-source", Type: pluginv1.ConnectorType_CONNECTOR_TYPE_SOURCE, Config: []*pluginv1.ConfigKey{
			{Name: "topic", Type: pluginv1.ConfigKey_TYPE_STRING, Required: true},
			{Name: "count", Type: pluginv1.ConfigKey_TYPE_INT, HasDefault: true, DefaultValue: "5"}}},
		{Name: "fake-sink", Type: pluginv1.ConnectorType_CONNECTOR_TYPE_SINK},
	}}, nil
}

func (s *server) Validate(_ context.Context, req *pluginv1.ValidateRequest) (*pluginv1.ValidateResponse, error) {
	var errs []*pluginv1.ConfigError
	if req.GetConnectorClass() == "fake-source" {
		if req.GetConfig()["topic"] == "" {
			errs = append(errs, &pluginv1.ConfigError{Key: "topic", Message: "missing"})
		}
		if c, ok := req.GetConfig()["count"]; ok {
			if _, err := strconv.Atoi(c); err != nil {
				errs = append(errs, &pluginv1.ConfigError{Key: "count", Message: "not an integer"})
			}
		}
	}
	return &pluginv1.ValidateResponse{Errors: errs}, nil
}

func (s *server) TaskConfigs(_ context.Context, req *pluginv1.TaskConfigsRequest) (*pluginv1.TaskConfigsResponse, error) {
	return &pluginv1.TaskConfigsResponse{Tasks: []*pluginv1.TaskConfig{{Config: req.GetConfig()}}}, nil
}

func (s *server) open(h string, t *task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tasks[h] = t
}

// task returns the open task h; close removes it.
func (s *server) task(h string, close bool) (*task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.tasks[h]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no open task with handle %q", h)
	}
	if close {
		delete(s.tasks, h)
	}
	return n, nil
}

func (s *server) close(_ context.Context, req *pluginv1.CloseRequest) (*pluginv1.CloseResponse, error) {
	_, err := s.task(req.GetHandle(), true)
	return &pluginv1.CloseResponse{}, err
}

type source struct {
	*server
	pluginv1.UnimplementedSourceTaskServer
}

func (s source) Open(_ context.Context, req *pluginv1.OpenSourceRequest) (*pluginv1.OpenSourceResponse, error) {
	next := 1
	for _, o := range req.GetOffsets() {
		var off struct{ N int }
		if err := json.Unmarshal(o.GetOffset(), &off); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "offset %s: %v", o.GetOffset(), err)
		}
		next = off.N + 1
	}
	count, _ := strconv.Atoi(req.GetConfig()["count"])
	s.open(req.GetTask().GetHandle(), &task{next: next, count: count})
	return &pluginv1.OpenSourceResponse{}, nil
}

func (s source) Poll(ctx context.Context, req *pluginv1.PollRequest) (*pluginv1.PollResponse, error) {
	t, err := s.task(req.GetHandle(), false)
	if err != nil {
		return nil, err
	}
	var recs []*pluginv1.Record
	for t.next <= t.count && (s.flaws.IgnoreMaxRecords || len(recs) < int(req.GetMaxRecords())) {
		n := strconv.Itoa(t.next)
		recs = append(recs, &pluginv1.Record{Topic: "fake", Partition: -1,
			Value:           &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: n}},
			ValueSchema:     &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRING},
			SourcePartition: []byte(`{"fake":0}`), SourceOffset: []byte(`{"n":` + n + `}`)})
		t.next++
	}
	if len(recs) == 0 {
		select {
		case <-time.After(time.Duration(req.GetTimeoutMs()) * time.Millisecond):
		case <-ctx.Done():
		}
	}
	return &pluginv1.PollResponse{Records: recs}, nil
}

func (s source) Commit(_ context.Context, req *pluginv1.CommitRequest) (*pluginv1.CommitResponse, error) {
	_, err := s.task(req.GetHandle(), false)
	return &pluginv1.CommitResponse{}, err
}

func (s source) Close(ctx context.Context, req *pluginv1.CloseRequest) (*pluginv1.CloseResponse, error) {
	return s.close(ctx, req)
}

type sink struct {
	*server
	pluginv1.UnimplementedSinkTaskServer
}

func (s sink) Open(_ context.Context, req *pluginv1.OpenSinkRequest) (*pluginv1.OpenSinkResponse, error) {
	s.open(req.GetTask().GetHandle(), &task{})
	return &pluginv1.OpenSinkResponse{}, nil
}

func (s sink) Put(_ context.Context, req *pluginv1.PutRequest) (*pluginv1.PutResponse, error) {
	_, err := s.task(req.GetHandle(), false)
	return &pluginv1.PutResponse{}, err
}

func (s sink) Flush(_ context.Context, req *pluginv1.FlushRequest) (*pluginv1.FlushResponse, error) {
	if _, err := s.task(req.GetHandle(), false); err != nil {
		return nil, err
	}
	offsets := req.GetOffsets()
	if s.flaws.FlushUnknown {
		offsets = append(offsets, &pluginv1.TopicPartitionOffset{Topic: "never-put", Partition: 7, Offset: 100})
	}
	return &pluginv1.FlushResponse{Offsets: offsets}, nil
}

func (s sink) Close(ctx context.Context, req *pluginv1.CloseRequest) (*pluginv1.CloseResponse, error) {
	return s.close(ctx, req)
}
