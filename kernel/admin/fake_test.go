package admin

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// fakeConnector is a plugin's Connector service, served in process over gRPC. Validate
// refuses file=/forbidden; TaskConfigs gives tasks.max tasks, each the config plus its
// task number; file=/hang makes both calls block until the caller gives up.
type fakeConnector struct {
	pluginv1.UnimplementedConnectorServer
	mu    sync.Mutex
	calls []string
}

func (f *fakeConnector) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeConnector) Validate(ctx context.Context, req *pluginv1.ValidateRequest) (*pluginv1.ValidateResponse, error) {
	f.record("Validate " + req.ConnectorClass)
	if req.Config["file"] == "/hang" {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	resp := &pluginv1.ValidateResponse{}
	if _, ok := req.Config["file"]; !ok {
		// As the SDK does: the same check kernel/config makes, reported again.
		resp.Errors = append(resp.Errors, &pluginv1.ConfigError{Key: "file", Message: `Missing required configuration "file" which has no default value.`})
	}
	if pw := req.Config["db.password"]; strings.HasPrefix(pw, "refused-") {
		// A plugin that quotes the value it refuses.
		resp.Errors = append(resp.Errors, &pluginv1.ConfigError{Key: "db.password", Message: "the database refused the password " + pw})
	}
	if req.Config["file"] == "/forbidden" {
		resp.Errors = append(resp.Errors, &pluginv1.ConfigError{Key: "file", Message: "is not readable by the plugin"})
	}
	return resp, nil
}

func (f *fakeConnector) TaskConfigs(_ context.Context, req *pluginv1.TaskConfigsRequest) (*pluginv1.TaskConfigsResponse, error) {
	f.record("TaskConfigs " + req.ConnectorClass + " " + strconv.Itoa(int(req.MaxTasks)))
	if req.Config["split"] == "fail" {
		// A plugin that quotes its whole config in an error.
		return nil, status.Errorf(codes.FailedPrecondition, "cannot split config %v", req.Config)
	}
	resp := &pluginv1.TaskConfigsResponse{}
	n := int(req.MaxTasks)
	if req.Config["too.many.tasks"] == "true" {
		n++
	}
	for i := 0; i < n; i++ {
		cfg := map[string]string{"task.number": strconv.Itoa(i)}
		for k, v := range req.Config {
			cfg[k] = v
		}
		resp.Tasks = append(resp.Tasks, &pluginv1.TaskConfig{Config: cfg})
	}
	return resp, nil
}

// fakePlugins implements Plugins over fixed descriptors and one fakeConnector.
type fakePlugins struct {
	descs []pluginhost.Descriptor
	conn  *fakeConnector
	cc    *grpc.ClientConn
}

const (
	sourceAlias = "org.apache.kafka.connect.file.FileStreamSourceConnector"
	sinkAlias   = "org.apache.kafka.connect.file.FileStreamSinkConnector"
)

func testDescriptors() []pluginhost.Descriptor {
	return []pluginhost.Descriptor{
		{Binary: "tributary-file", ConnectorDescriptor: &pluginv1.ConnectorDescriptor{
			Name: "file-sink", Type: pluginv1.ConnectorType_CONNECTOR_TYPE_SINK, Version: "1.0.0",
			Aliases: []string{sinkAlias},
			Config: []*pluginv1.ConfigKey{
				{Name: "file", Type: pluginv1.ConfigKey_TYPE_STRING, Required: true, Importance: pluginv1.ConfigKey_IMPORTANCE_HIGH,
					Documentation: "Destination filename.", Group: "File"},
			},
		}},
		{Binary: "tributary-file", ConnectorDescriptor: &pluginv1.ConnectorDescriptor{
			Name: "file-source", Type: pluginv1.ConnectorType_CONNECTOR_TYPE_SOURCE, Version: "1.0.0",
			Aliases: []string{sourceAlias},
			Config: []*pluginv1.ConfigKey{
				{Name: "file", Type: pluginv1.ConfigKey_TYPE_STRING, Required: true, Importance: pluginv1.ConfigKey_IMPORTANCE_HIGH,
					Documentation: "Source filename.", Group: "File"},
				{Name: "topic", Type: pluginv1.ConfigKey_TYPE_STRING, Required: true, Importance: pluginv1.ConfigKey_IMPORTANCE_HIGH,
					Documentation: "The topic to publish data to.", Group: "File"},
				{Name: "batch.size", Type: pluginv1.ConfigKey_TYPE_INT, HasDefault: true, DefaultValue: "2000",
					Importance: pluginv1.ConfigKey_IMPORTANCE_LOW, Documentation: "Lines per batch.", Group: "File"},
				{Name: "db.password", Type: pluginv1.ConfigKey_TYPE_PASSWORD, Importance: pluginv1.ConfigKey_IMPORTANCE_MEDIUM},
				{Name: "api.key", Type: pluginv1.ConfigKey_TYPE_STRING, Secret: true},
			},
		}},
	}
}

func newFakePlugins(t *testing.T) *fakePlugins {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePlugins{descs: testDescriptors(), conn: &fakeConnector{}}
	g := grpc.NewServer()
	pluginv1.RegisterConnectorServer(g, f.conn)
	go g.Serve(lis)
	f.cc, err = grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.cc.Close()
		g.Stop()
	})
	return f
}

func (f *fakePlugins) Reload(context.Context) (pluginhost.ReloadResult, error) {
	return pluginhost.ReloadResult{}, nil
}

func (f *fakePlugins) Dir() string { return "" }

func (f *fakePlugins) Connectors() []pluginhost.Descriptor { return f.descs }

func (f *fakePlugins) Resolve(class string) (pluginhost.Descriptor, error) {
	var avail []string
	for _, d := range f.descs {
		if d.GetName() == class {
			return d, nil
		}
		for _, a := range d.GetAliases() {
			if a == class {
				return d, nil
			}
		}
		avail = append(avail, d.GetName()+" ("+strings.Join(d.GetAliases(), ", ")+")")
	}
	sort.Strings(avail)
	return pluginhost.Descriptor{}, fmt.Errorf("unknown connector class %q; available: %s", class, strings.Join(avail, ", "))
}

func (f *fakePlugins) Client(class string) (*pluginhost.Client, error) {
	if _, err := f.Resolve(class); err != nil {
		return nil, err
	}
	return &pluginhost.Client{Connector: pluginv1.NewConnectorClient(f.cc), Binary: "tributary-file"}, nil
}

// fixture is a Service over a MemStore and fake plugins.
type fixture struct {
	svc     *Service
	store   *state.MemStore
	plugins *fakePlugins
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{store: state.NewMemStore(), plugins: newFakePlugins(t)}
	f.svc = New(Config{NodeID: "node-1", Store: f.store, Plugins: f.plugins, Version: "0.1.0", Commit: "abc123",
		KafkaClusterID: func() string { return "kfake-cluster" }, PluginTimeout: 2 * time.Second})
	return f
}

// apply applies a command to the store directly, as another part of the kernel would.
func (f *fixture) apply(t *testing.T, cmd *clusterv1.Command) uint64 {
	t.Helper()
	index, err := f.store.Apply(context.Background(), cmd)
	if err != nil {
		t.Fatalf("apply %v: %v", cmd, err)
	}
	return index
}

// place registers node and assigns every task of connector to it, reporting state for each.
func (f *fixture) place(t *testing.T, node, connector string, states ...clusterv1.TaskState) {
	t.Helper()
	f.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_RegisterNode{RegisterNode: &clusterv1.RegisterNode{
		Node: &clusterv1.Node{Id: node, AdminAddr: node + ":8084", RaftAddr: node + ":8086", Voter: true}}}})
	var assign []*clusterv1.Assignment
	for i := range states {
		assign = append(assign, &clusterv1.Assignment{Task: &clusterv1.TaskID{Connector: connector, Task: int32(i)}, Node: node})
	}
	f.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_SetAssignments{SetAssignments: &clusterv1.SetAssignments{Assign: assign}}})
	for i, st := range states {
		f.report(t, connector, int32(i), st, "")
	}
}

func (f *fixture) epoch(connector string, task int32) uint64 {
	var e uint64
	f.store.Read(func(s *state.State) {
		if a := s.Assignment(state.TaskKey{Connector: connector, Task: task}); a != nil {
			e = a.Epoch
		}
	})
	return e
}

func (f *fixture) report(t *testing.T, connector string, task int32, st clusterv1.TaskState, trace string) {
	t.Helper()
	var node string
	f.store.Read(func(s *state.State) { node = s.Assignment(state.TaskKey{Connector: connector, Task: task}).GetNode() })
	f.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_ReportTaskStatus{ReportTaskStatus: &clusterv1.ReportTaskStatus{
		Status: &clusterv1.TaskStatus{Task: &clusterv1.TaskID{Connector: connector, Task: task}, State: st,
			WorkerId: node, Trace: trace, Epoch: f.epoch(connector, task)}}}})
}

// conn serves the fixture's service (admin, health, reflection) on a loopback listener
// until the test ends and returns a client connection to it.
func (f *fixture) conn(t *testing.T) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	f.svc.Register(g)
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}
