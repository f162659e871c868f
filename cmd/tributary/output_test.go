package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tributary-dev/tributary/kernel/admin"
	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/kernel/state"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// cliConnector is a plugin's Connector service: it accepts any config and splits it into
// tasks.max tasks.
type cliConnector struct {
	pluginv1.UnimplementedConnectorServer
}

func (cliConnector) Validate(context.Context, *pluginv1.ValidateRequest) (*pluginv1.ValidateResponse, error) {
	return &pluginv1.ValidateResponse{}, nil
}

func (cliConnector) TaskConfigs(_ context.Context, req *pluginv1.TaskConfigsRequest) (*pluginv1.TaskConfigsResponse, error) {
	resp := &pluginv1.TaskConfigsResponse{}
	for i := 0; i < int(req.MaxTasks); i++ {
		resp.Tasks = append(resp.Tasks, &pluginv1.TaskConfig{Config: req.Config})
	}
	return resp, nil
}

// cliPlugins holds a file source and sink, with their Kafka Connect class names as aliases.
type cliPlugins struct {
	descs []pluginhost.Descriptor
	cc    *grpc.ClientConn
}

func (p *cliPlugins) Reload(context.Context) (pluginhost.ReloadResult, error) {
	return pluginhost.ReloadResult{}, nil
}

func (p *cliPlugins) Dir() string { return "" }

func (p *cliPlugins) Connectors() []pluginhost.Descriptor { return p.descs }

func (p *cliPlugins) Resolve(class string) (pluginhost.Descriptor, error) {
	var avail []string
	for _, d := range p.descs {
		if d.GetName() == class || (len(d.GetAliases()) > 0 && d.GetAliases()[0] == class) {
			return d, nil
		}
		avail = append(avail, d.GetName())
	}
	return pluginhost.Descriptor{}, fmt.Errorf("unknown connector class %q; available: %s", class, strings.Join(avail, ", "))
}

func (p *cliPlugins) Client(string) (*pluginhost.Client, error) {
	return &pluginhost.Client{Connector: pluginv1.NewConnectorClient(p.cc)}, nil
}

// cliNode is an admin service on a loopback listener, over a MemStore.
type cliNode struct {
	addr  string
	store *state.MemStore
}

func startCLINode(t *testing.T) *cliNode {
	t.Helper()
	return startCLINodeWith(t, nil)
}

// startCLINodeWith is startCLINode with the admin service's config changed by edit.
func startCLINodeWith(t *testing.T, edit func(*admin.Config)) *cliNode {
	t.Helper()
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pg := grpc.NewServer()
	pluginv1.RegisterConnectorServer(pg, cliConnector{})
	go pg.Serve(pl)
	t.Cleanup(pg.Stop)
	cc, err := grpc.NewClient(pl.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	plugins := &cliPlugins{cc: cc, descs: []pluginhost.Descriptor{
		{Binary: "tributary-file", ConnectorDescriptor: &pluginv1.ConnectorDescriptor{
			Name: "file-sink", Type: pluginv1.ConnectorType_CONNECTOR_TYPE_SINK, Version: "1.0.0",
			Aliases: []string{"org.apache.kafka.connect.file.FileStreamSinkConnector"},
			Config:  []*pluginv1.ConfigKey{{Name: "file", Type: pluginv1.ConfigKey_TYPE_STRING, Required: true}}}},
		{Binary: "tributary-file", ConnectorDescriptor: &pluginv1.ConnectorDescriptor{
			Name: "file-source", Type: pluginv1.ConnectorType_CONNECTOR_TYPE_SOURCE, Version: "1.0.0",
			Aliases: []string{"org.apache.kafka.connect.file.FileStreamSourceConnector"},
			Config: []*pluginv1.ConfigKey{
				{Name: "file", Type: pluginv1.ConfigKey_TYPE_STRING, Required: true},
				{Name: "topic", Type: pluginv1.ConfigKey_TYPE_STRING, Required: true},
				{Name: "password", Type: pluginv1.ConfigKey_TYPE_PASSWORD}}}},
	}}

	n := &cliNode{store: state.NewMemStore()}
	cfg := admin.Config{NodeID: "n1", Store: n.store, Plugins: plugins, Version: "test"}
	if edit != nil {
		edit(&cfg)
	}
	svc := admin.New(cfg)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	svc.Register(g)
	go g.Serve(l)
	t.Cleanup(g.Stop)
	n.addr = l.Addr().String()
	return n
}

// run runs the CLI in process against the node and returns what it printed.
func (n *cliNode) run(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(append([]string{"--addr", n.addr}, args...))
	err = root.Execute()
	return out.String(), errOut.String(), err
}

// mustRun runs a command that must succeed.
func (n *cliNode) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := n.run(t, "", args...)
	if err != nil {
		t.Fatalf("tributary %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func (n *cliNode) apply(t *testing.T, cmd *clusterv1.Command) {
	t.Helper()
	if _, err := n.store.Apply(context.Background(), cmd); err != nil {
		t.Fatal(err)
	}
}

// place registers node id and runs every task of connector there in the given states.
func (n *cliNode) place(t *testing.T, id, connector string, states ...clusterv1.TaskState) {
	t.Helper()
	n.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_RegisterNode{RegisterNode: &clusterv1.RegisterNode{
		Node: &clusterv1.Node{Id: id, AdminAddr: id + ":8084", Voter: true}}}})
	var as []*clusterv1.Assignment
	for i := range states {
		as = append(as, &clusterv1.Assignment{Task: &clusterv1.TaskID{Connector: connector, Task: int32(i)}, Node: id})
	}
	n.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_SetAssignments{SetAssignments: &clusterv1.SetAssignments{Assign: as}}})
	for i, st := range states {
		var epoch uint64
		n.store.Read(func(s *state.State) { epoch = s.Assignment(state.TaskKey{Connector: connector, Task: int32(i)}).Epoch })
		trace := ""
		if st == clusterv1.TaskState_TASK_STATE_FAILED {
			trace = "file not found: /nope\n\tat line 2"
		}
		n.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_ReportTaskStatus{ReportTaskStatus: &clusterv1.ReportTaskStatus{
			Status: &clusterv1.TaskStatus{Task: &clusterv1.TaskID{Connector: connector, Task: int32(i)}, State: st,
				WorkerId: id, Trace: trace, Epoch: epoch}}}})
	}
}

func TestRPCErrorsArePlainMessages(t *testing.T) {
	n := startCLINode(t)
	_, _, err := n.run(t, "", "connectors", "status", "ghost")
	if err == nil || err.Error() != "Connector ghost not found" {
		t.Errorf("error = %v, want the server's message alone", err)
	}
	_, _, err = n.run(t, "", "connectors", "list", "-o", "xml")
	if err == nil || err.Error() != `unknown output format "xml": use table, json or yaml` {
		t.Errorf("error = %v", err)
	}

	// A node that is not there: the error says where the CLI looked.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	root := newRootCmd()
	root.SetArgs([]string{"--addr", addr, "members"})
	root.SetOut(&bytes.Buffer{})
	err = root.Execute()
	if err == nil || !strings.Contains(err.Error(), "cannot reach a Tributary node at "+addr) {
		t.Errorf("error = %v, want one naming %s", err, addr)
	}
}

func TestTableCellsStayOnOneLine(t *testing.T) {
	var b bytes.Buffer
	tb := newTable(&b, "A", "B")
	tb.row("x\ty", "multi\nline")
	tb.flush()
	if got, want := b.String(), "A    B\nx y  multi line\n"; got != want {
		t.Errorf("table = %q, want %q", got, want)
	}
	if got := strconv.Quote(firstLine("a\nb")); got != strconv.Quote("a …") {
		t.Errorf("firstLine = %s", got)
	}
}

func TestNormalizeArgsAcceptsSingleDashConfig(t *testing.T) {
	got := normalizeArgs([]string{"agent", "-config", "a.yaml", "-config=b.yaml", "-c", "c.yaml", "--node-id", "x"})
	want := []string{"agent", "--config", "a.yaml", "--config=b.yaml", "-c", "c.yaml", "--node-id", "x"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("normalizeArgs = %v, want %v", got, want)
	}
}

// failingStore is a replica whose leader cannot be reached: reads work, writes fail as
// a cluster with no leader fails them.
type failingStore struct{ *state.MemStore }

func (failingStore) Apply(context.Context, *clusterv1.Command) (uint64, error) {
	return 0, fmt.Errorf("no leader")
}

// A node that answers but whose cluster has no leader is not reported as unreachable:
// the CLI says there is no leader and how many voters the node can reach.
func TestNoLeaderIsSaidInClearWords(t *testing.T) {
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	down, _ := net.Listen("tcp", "127.0.0.1:0")
	downAddr := down.Addr().String()
	down.Close()
	n := startCLINodeWith(t, func(c *admin.Config) {
		c.Store = failingStore{c.Store.(*state.MemStore)}
		c.Members = func() []*adminv1.Member {
			return []*adminv1.Member{{Id: "n1", Voter: true}, {Id: "n2", Voter: true, RaftAddr: up.Addr().String()},
				{Id: "n3", Voter: true, RaftAddr: downAddr}}
		}
	})
	_, _, err = n.run(t, "", "apply", "-f", writeFile(t, "c.yaml", cliStrimziSource))
	if err == nil {
		t.Fatal("apply with no leader succeeded")
	}
	_, _, err = n.run(t, "", "connectors", "pause", "my-source-connector")
	if err == nil || !strings.HasPrefix(err.Error(), "no leader elected (2 of 3 peers reachable from node n1)") {
		t.Errorf("pause with no leader: %v; want it to say no leader is elected and 2 of 3 peers are reachable", err)
	}
}
