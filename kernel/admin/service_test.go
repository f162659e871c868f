package admin

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/kernel/state"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

var ctx = context.Background()

func sourceConfig(kv ...string) map[string]string {
	m := map[string]string{"connector.class": "file-source", "file": "/tmp/in.txt", "topic": "lines", "tasks.max": "2"}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "<delete>" {
			delete(m, kv[i])
		} else {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

func (f *fixture) create(t *testing.T, name string, cfg map[string]string) *adminv1.ConnectorInfo {
	t.Helper()
	info, err := f.svc.CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: name, Config: cfg})
	if err != nil {
		t.Fatalf("CreateConnector(%s): %v", name, err)
	}
	return info
}

func wantProto(t *testing.T, what string, got, want proto.Message) {
	t.Helper()
	if !proto.Equal(got, want) {
		t.Errorf("%s:\n got  %s\n want %s", what, prototext.Format(got), prototext.Format(want))
	}
}

func TestCreateGetList(t *testing.T) {
	f := newFixture(t)
	info := f.create(t, "src", sourceConfig("db.password", "hunter2", "api.key", "k-123"))
	want := &adminv1.ConnectorInfo{Name: "src", Type: "source",
		Config: map[string]string{"name": "src", "connector.class": "file-source", "file": "/tmp/in.txt", "topic": "lines",
			"tasks.max": "2", "db.password": "[hidden]", "api.key": "[hidden]"},
		Tasks: []*adminv1.TaskID{{Connector: "src", Task: 0}, {Connector: "src", Task: 1}}}
	wantProto(t, "CreateConnector", info, want)
	got, err := f.svc.GetConnector(ctx, &adminv1.ConnectorRequest{Name: "src"})
	if err != nil {
		t.Fatal(err)
	}
	wantProto(t, "GetConnector", got, want)

	// The state holds the config as given (unmasked, defaults not applied, name set),
	// the resolved plugin, and the plugin's task configs (defaults applied).
	var c *clusterv1.Connector
	f.store.Read(func(s *state.State) { c = s.Connector("src") })
	if c.Config["db.password"] != "hunter2" || c.Config["name"] != "src" || c.Plugin != "file-source" ||
		c.Type != clusterv1.ConnectorType_CONNECTOR_TYPE_SOURCE || c.TargetState != clusterv1.TargetState_TARGET_STATE_RUNNING {
		t.Errorf("stored connector = %v", c)
	}
	if _, ok := c.Config["batch.size"]; ok {
		t.Errorf("stored config has the default batch.size applied: %v", c.Config)
	}
	if len(c.Tasks) != 2 || c.Tasks[1].Config["task.number"] != "1" || c.Tasks[1].Config["batch.size"] != "2000" {
		t.Errorf("stored task configs = %v", c.Tasks)
	}

	// An alias resolves to the same plugin.
	f.create(t, "a-sink", map[string]string{"connector.class": sinkAlias, "file": "/tmp/out", "topics": "lines"})
	list, err := f.svc.ListConnectors(ctx, &adminv1.ListConnectorsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantProto(t, "ListConnectors", list, &adminv1.ListConnectorsResponse{Names: []string{"a-sink", "src"}})

	tasks, err := f.svc.GetTaskConfigs(ctx, &adminv1.ConnectorRequest{Name: "src"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tasks.Tasks); n != 2 {
		t.Fatalf("GetTaskConfigs: %d tasks, want 2", n)
	}
	if cfg := tasks.Tasks[0].Config; cfg["db.password"] != "[hidden]" || cfg["api.key"] != "[hidden]" || cfg["file"] != "/tmp/in.txt" {
		t.Errorf("task config not masked as expected: %v", cfg)
	}
}

func TestCreateErrors(t *testing.T) {
	f := newFixture(t)
	f.create(t, "taken", sourceConfig())
	tests := []struct {
		name    string
		conn    string
		cfg     map[string]string
		initial string
		code    codes.Code
		msg     string
	}{
		{"missing class", "a", sourceConfig("connector.class", "<delete>"), "", codes.InvalidArgument,
			`Missing required configuration "connector.class" which has no default value.`},
		{"unknown class lists available", "a", sourceConfig("connector.class", "com.example.Nope"), "", codes.InvalidArgument,
			`unknown connector class "com.example.Nope"; available: file-sink (` + sinkAlias + `), file-source (` + sourceAlias + `)`},
		{"missing required key", "a", sourceConfig("file", "<delete>"), "", codes.InvalidArgument,
			"Connector configuration is invalid and contains the following 1 error(s):\n" +
				`Missing required configuration "file" which has no default value.` + "\n" +
				"You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`"},
		{"kernel and plugin errors joined", "a", sourceConfig("file", "/forbidden", "tasks.max", "many"), "", codes.InvalidArgument,
			"Connector configuration is invalid and contains the following 2 error(s):\n" +
				`Invalid value many for configuration tasks.max: Not a number of type INT` + "\n" +
				"file: is not readable by the plugin\n" +
				"You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`"},
		{"sink without topics", "a", map[string]string{"connector.class": "file-sink", "file": "/x"}, "", codes.InvalidArgument,
			"Connector configuration is invalid and contains the following 1 error(s):\n" +
				"Must configure one of topics or topics.regex: a sink connector needs the topics it consumes.\n" +
				"You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`"},
		{"name mismatch", "a", sourceConfig("name", "b"), "", codes.InvalidArgument,
			"Connector name configuration (b) doesn't match connector name in the URL (a)"},
		{"empty name", " ", sourceConfig(), "", codes.InvalidArgument,
			`Missing required configuration "name" which has no default value.`},
		{"control characters in name", "a\nb", sourceConfig(), "", codes.InvalidArgument,
			`Invalid value "a\nb" for configuration name: must not contain control characters`},
		{"bad initial state", "a", sourceConfig(), "SLEEPING", codes.InvalidArgument,
			`Invalid initial state "SLEEPING": use RUNNING, PAUSED or STOPPED`},
		{"exists", "taken", sourceConfig(), "", codes.AlreadyExists, "Connector taken already exists"},
		{"plugin splits into too many tasks", "a", sourceConfig("too.many.tasks", "true"), "", codes.Internal,
			"connector plugin file-source returned 3 task configs, more than tasks.max=2; this is a bug in the plugin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: tt.conn, Config: tt.cfg, InitialState: tt.initial})
			st := status.Convert(err)
			if st.Code() != tt.code || st.Message() != tt.msg {
				t.Errorf("CreateConnector error:\n got  %v %q\n want %v %q", st.Code(), st.Message(), tt.code, tt.msg)
			}
		})
	}
	var names []string
	f.store.Read(func(s *state.State) {
		for _, c := range s.Connectors() {
			names = append(names, c.Name)
		}
	})
	if len(names) != 1 {
		t.Errorf("invalid configs reached the state: connectors %v", names)
	}
}

func TestPluginTimeout(t *testing.T) {
	f := newFixture(t)
	f.svc.cfg.PluginTimeout = 50 * time.Millisecond
	_, err := f.svc.CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: "a", Config: sourceConfig("file", "/hang")})
	if st := status.Convert(err); st.Code() != codes.DeadlineExceeded ||
		st.Message() != "connector plugin file-source did not answer Validate in time" {
		t.Errorf("error = %v, want DeadlineExceeded naming the plugin", err)
	}
}

func TestNotFound(t *testing.T) {
	f := newFixture(t)
	r := &adminv1.ConnectorRequest{Name: "ghost"}
	calls := map[string]func() error{
		"GetConnector":       func() error { _, err := f.svc.GetConnector(ctx, r); return err },
		"GetConnectorStatus": func() error { _, err := f.svc.GetConnectorStatus(ctx, r); return err },
		"GetTaskConfigs":     func() error { _, err := f.svc.GetTaskConfigs(ctx, r); return err },
		"DeleteConnector":    func() error { _, err := f.svc.DeleteConnector(ctx, r); return err },
		"PauseConnector":     func() error { _, err := f.svc.PauseConnector(ctx, r); return err },
		"ResumeConnector":    func() error { _, err := f.svc.ResumeConnector(ctx, r); return err },
		"StopConnector":      func() error { _, err := f.svc.StopConnector(ctx, r); return err },
		"GetOffsets":         func() error { _, err := f.svc.GetOffsets(ctx, r); return err },
		"RestartConnector": func() error {
			_, err := f.svc.RestartConnector(ctx, &adminv1.RestartConnectorRequest{Name: "ghost", IncludeTasks: true})
			return err
		},
		"RestartTask": func() error {
			_, err := f.svc.RestartTask(ctx, &adminv1.TaskRequest{Connector: "ghost"})
			return err
		},
	}
	for name, call := range calls {
		st := status.Convert(call())
		if st.Code() != codes.NotFound || st.Message() != "Connector ghost not found" {
			t.Errorf("%s: %v %q, want NotFound \"Connector ghost not found\"", name, st.Code(), st.Message())
		}
	}
	f.create(t, "src", sourceConfig())
	_, err := f.svc.RestartTask(ctx, &adminv1.TaskRequest{Connector: "src", Task: 7})
	if st := status.Convert(err); st.Code() != codes.NotFound || st.Message() != "Unknown task: src-7" {
		t.Errorf("RestartTask(src-7) = %v", err)
	}
}

func TestTargetStatesAndStatus(t *testing.T) {
	f := newFixture(t)
	f.create(t, "src", sourceConfig("tasks.max", "3"))
	status := func() *adminv1.ConnectorStatus {
		t.Helper()
		st, err := f.svc.GetConnectorStatus(ctx, &adminv1.ConnectorRequest{Name: "src"})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// Nothing placed yet: the answering node, every task UNASSIGNED.
	wantProto(t, "status before placement", status(), &adminv1.ConnectorStatus{Name: "src", Type: "source",
		Connector: &adminv1.StateInfo{State: "RUNNING", WorkerId: "node-1"},
		Tasks:     []*adminv1.TaskStatus{{Id: 0, State: "UNASSIGNED"}, {Id: 1, State: "UNASSIGNED"}, {Id: 2, State: "UNASSIGNED"}}})

	f.place(t, "node-2", "src", clusterv1.TaskState_TASK_STATE_RUNNING, clusterv1.TaskState_TASK_STATE_RUNNING)
	f.report(t, "src", 1, clusterv1.TaskState_TASK_STATE_FAILED, "java.lang.Oops: disk full")
	wantProto(t, "status placed", status(), &adminv1.ConnectorStatus{Name: "src", Type: "source",
		Connector: &adminv1.StateInfo{State: "RUNNING", WorkerId: "node-2"},
		Tasks: []*adminv1.TaskStatus{
			{Id: 0, State: "RUNNING", WorkerId: "node-2"},
			{Id: 1, State: "FAILED", WorkerId: "node-2", Trace: "java.lang.Oops: disk full"},
			{Id: 2, State: "UNASSIGNED"}}})
	ts, err := f.svc.taskStatusOf("src", 1)
	if err != nil || ts.State != "FAILED" {
		t.Errorf("taskStatusOf(src, 1) = %v, %v", ts, err)
	}

	for _, step := range []struct {
		op   func(context.Context, *adminv1.ConnectorRequest) (*adminv1.Empty, error)
		want string
	}{
		{f.svc.PauseConnector, "PAUSED"}, {f.svc.PauseConnector, "PAUSED"},
		{f.svc.ResumeConnector, "RUNNING"}, {f.svc.ResumeConnector, "RUNNING"},
		{f.svc.StopConnector, "STOPPED"}, {f.svc.StopConnector, "STOPPED"},
		{f.svc.ResumeConnector, "RUNNING"},
	} {
		if _, err := step.op(ctx, &adminv1.ConnectorRequest{Name: "src"}); err != nil {
			t.Fatal(err)
		}
		if got := status().Connector.State; got != step.want {
			t.Errorf("connector state = %s, want %s", got, step.want)
		}
	}

	if _, err := f.svc.StopConnector(ctx, &adminv1.ConnectorRequest{Name: "src"}); err != nil {
		t.Fatal(err)
	}
	if st := status(); len(st.Tasks) != 0 {
		t.Errorf("STOPPED connector lists tasks %v", st.Tasks)
	}
	info, _ := f.svc.GetConnector(ctx, &adminv1.ConnectorRequest{Name: "src"})
	tasks, _ := f.svc.GetTaskConfigs(ctx, &adminv1.ConnectorRequest{Name: "src"})
	if len(info.Tasks) != 0 || len(tasks.Tasks) != 0 {
		t.Errorf("STOPPED connector: info tasks %v, task configs %v; want none", info.Tasks, tasks.Tasks)
	}
	if _, err := f.svc.taskStatusOf("src", 0); status2(err) != codes.NotFound {
		t.Errorf("task status of a STOPPED connector: %v, want NotFound", err)
	}

	if _, err := f.svc.DeleteConnector(ctx, &adminv1.ConnectorRequest{Name: "src"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GetConnector(ctx, &adminv1.ConnectorRequest{Name: "src"}); status2(err) != codes.NotFound {
		t.Errorf("GetConnector after delete: %v", err)
	}
}

func status2(err error) codes.Code { return status.Code(err) }

func TestCreateWithInitialState(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ initial, want string }{{"PAUSED", "PAUSED"}, {"stopped", "STOPPED"}, {"", "RUNNING"}} {
		name := "c-" + strings.ToLower(tt.want)
		if _, err := f.svc.CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: name, Config: sourceConfig(), InitialState: tt.initial}); err != nil {
			t.Fatal(err)
		}
		st, _ := f.svc.GetConnectorStatus(ctx, &adminv1.ConnectorRequest{Name: name})
		if st.Connector.State != tt.want {
			t.Errorf("initial_state %q: state %s, want %s", tt.initial, st.Connector.State, tt.want)
		}
	}
}

func TestPutConnectorConfig(t *testing.T) {
	f := newFixture(t)
	put := func(cfg map[string]string) *adminv1.PutConnectorConfigResponse {
		t.Helper()
		resp, err := f.svc.PutConnectorConfig(ctx, &adminv1.PutConnectorConfigRequest{Name: "src", Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if r := put(sourceConfig("db.password", "s3cret")); !r.Created {
		t.Error("first PUT: created = false")
	}
	// The same config again changes nothing: no new generation, no task restarts.
	if r := put(sourceConfig("db.password", "s3cret")); r.Created || len(r.Info.Tasks) != 2 {
		t.Errorf("identical PUT: created %v, tasks %v", r.Created, r.Info.Tasks)
	}
	var gen uint64
	f.store.Read(func(s *state.State) { gen = s.Connector("src").Generation })
	if gen != 1 {
		t.Errorf("identical PUT moved the generation to %d", gen)
	}
	if _, err := f.svc.PauseConnector(ctx, &adminv1.ConnectorRequest{Name: "src"}); err != nil {
		t.Fatal(err)
	}
	// Writing back what GET shows keeps the secret, not the mask; the target state stays.
	shown, _ := f.svc.GetConnector(ctx, &adminv1.ConnectorRequest{Name: "src"})
	shown.Config["tasks.max"] = "1"
	r := put(shown.Config)
	if r.Created || len(r.Info.Tasks) != 1 {
		t.Errorf("second PUT: created %v, tasks %v; want an update to 1 task", r.Created, r.Info.Tasks)
	}
	var c *clusterv1.Connector
	f.store.Read(func(s *state.State) { c = s.Connector("src") })
	if c.Config["db.password"] != "s3cret" || c.TargetState != clusterv1.TargetState_TARGET_STATE_PAUSED || c.Generation != 2 {
		t.Errorf("after update: password %q, state %v, generation %d", c.Config["db.password"], c.TargetState, c.Generation)
	}

	// PATCH: a nil value removes the key.
	info, err := f.svc.patchConnectorConfig(ctx, "src", map[string]*string{"db.password": nil, "topic": ptr("other")})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := info.Config["db.password"]; ok || info.Config["topic"] != "other" {
		t.Errorf("after PATCH: %v", info.Config)
	}
	if _, err := f.svc.patchConnectorConfig(ctx, "ghost", nil); status.Code(err) != codes.NotFound {
		t.Errorf("PATCH of a missing connector: %v", err)
	}
}

func TestRestart(t *testing.T) {
	tests := []struct {
		name                     string
		includeTasks, onlyFailed bool
		wantConnectorRestart     bool
		wantTasks                []int32 // tasks restarted in place
	}{
		{"connector only", false, false, true, nil},
		{"connector and all tasks", true, false, true, []int32{0, 1, 2}},
		{"only failed tasks", true, true, false, []int32{1}},
		{"only failed connector", false, true, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.create(t, "src", sourceConfig("tasks.max", "3"))
			f.place(t, "node-2", "src", clusterv1.TaskState_TASK_STATE_RUNNING, clusterv1.TaskState_TASK_STATE_FAILED,
				clusterv1.TaskState_TASK_STATE_RUNNING)
			before := []uint64{f.epoch("src", 0), f.epoch("src", 1), f.epoch("src", 2)}
			st, err := f.svc.RestartConnector(ctx, &adminv1.RestartConnectorRequest{Name: "src", IncludeTasks: tt.includeTasks, OnlyFailed: tt.onlyFailed})
			if err != nil {
				t.Fatal(err)
			}
			var c *clusterv1.Connector
			f.store.Read(func(s *state.State) { c = s.Connector("src") })
			if got := c.RestartCount == 1; got != tt.wantConnectorRestart {
				t.Errorf("connector restarted = %v, want %v", got, tt.wantConnectorRestart)
			}
			// The answer is upstream's restart plan: what restarts is RESTARTING.
			wantState := "RUNNING"
			if tt.wantConnectorRestart {
				wantState = "RESTARTING"
			}
			if st.Connector.State != wantState {
				t.Errorf("connector state in answer = %s, want %s", st.Connector.State, wantState)
			}
			restarted := map[int32]bool{}
			for _, id := range tt.wantTasks {
				restarted[id] = true
			}
			for i := int32(0); i < 3; i++ {
				moved := f.epoch("src", i) != before[i]
				if moved != restarted[i] {
					t.Errorf("task %d restarted = %v, want %v", i, moved, restarted[i])
				}
				if got := st.Tasks[i].State == "RESTARTING"; got != restarted[i] {
					t.Errorf("task %d state in answer = %s; restarted %v", i, st.Tasks[i].State, restarted[i])
				}
			}
		})
	}

	f := newFixture(t)
	f.create(t, "src", sourceConfig())
	f.place(t, "node-2", "src", clusterv1.TaskState_TASK_STATE_FAILED, clusterv1.TaskState_TASK_STATE_RUNNING)
	before0, before1 := f.epoch("src", 0), f.epoch("src", 1)
	if _, err := f.svc.RestartTask(ctx, &adminv1.TaskRequest{Connector: "src", Task: 0}); err != nil {
		t.Fatal(err)
	}
	if f.epoch("src", 0) == before0 || f.epoch("src", 1) != before1 {
		t.Errorf("RestartTask(0): epochs %d→%d and %d→%d; want only task 0's to move",
			before0, f.epoch("src", 0), before1, f.epoch("src", 1))
	}
}

func TestPlugins(t *testing.T) {
	f := newFixture(t)
	list, err := f.svc.ListPlugins(ctx, &adminv1.ListPluginsRequest{ConnectorsOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	wantProto(t, "ListPlugins", list, &adminv1.ListPluginsResponse{Plugins: []*adminv1.PluginInfo{
		{Class: "file-sink", Type: "sink", Version: "1.0.0", Aliases: []string{sinkAlias}, Binary: "tributary-file"},
		{Class: "file-source", Type: "source", Version: "1.0.0", Aliases: []string{sourceAlias}, Binary: "tributary-file"},
	}})
	pc, err := f.svc.GetPluginConfig(ctx, &adminv1.PluginRequest{Class: sinkAlias})
	if err != nil {
		t.Fatal(err)
	}
	wantProto(t, "GetPluginConfig", pc, &adminv1.PluginConfigResponse{Keys: []*adminv1.ConfigKeyInfo{
		{Name: "file", Type: "STRING", Required: true, Importance: "HIGH", Documentation: "Destination filename.",
			Group: "File", Order: 1, Width: "NONE", DisplayName: "file", Dependents: []string{}}}})
	if _, err := f.svc.GetPluginConfig(ctx, &adminv1.PluginRequest{Class: "nope"}); status.Code(err) != codes.NotFound {
		t.Errorf("GetPluginConfig(nope): %v", err)
	}

	infos, err := f.svc.ValidateConfig(ctx, &adminv1.ValidateConfigRequest{Class: "file-source",
		Config: map[string]string{"name": "x", "file": "/forbidden", "db.password": "pw", "tasks.max": "0", "extra": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if infos.Name != sourceAlias || infos.ErrorCount != 3 {
		t.Errorf("ValidateConfig: name %q, %d errors; want the full class name, 3", infos.Name, infos.ErrorCount)
	}
	if want := []string{"Common", "File"}; !slices.Equal(infos.Groups, want) {
		t.Errorf("groups %v, want %v", infos.Groups, want)
	}
	values := map[string]*adminv1.ConfigValueInfo{}
	for _, c := range infos.Configs {
		values[c.Definition.Name] = c.Value
	}
	checks := []struct {
		key, value string
		has        bool
		errs       int
	}{
		{"name", "x", true, 0},
		{"connector.class", "file-source", true, 0},
		{"tasks.max", "0", true, 1},
		{"file", "/forbidden", true, 1},
		{"topic", "", false, 1},
		{"batch.size", "2000", true, 0},
		{"db.password", "[hidden]", true, 0},
		{"key.converter", "", false, 0},
	}
	for _, c := range checks {
		v := values[c.key]
		if v == nil || v.Value != c.value || v.HasValue != c.has || len(v.Errors) != c.errs {
			t.Errorf("value of %s = %v; want value %q (set %v) with %d errors", c.key, v, c.value, c.has, c.errs)
		}
	}
	if _, err := f.svc.ValidateConfig(ctx, &adminv1.ValidateConfigRequest{Config: map[string]string{}}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("ValidateConfig without a class: %v", err)
	}
}

func TestMembersAndServerInfo(t *testing.T) {
	f := newFixture(t)
	f.create(t, "src", sourceConfig())
	f.place(t, "node-1", "src", clusterv1.TaskState_TASK_STATE_RUNNING, clusterv1.TaskState_TASK_STATE_RUNNING)
	f.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_RegisterNode{RegisterNode: &clusterv1.RegisterNode{
		Node: &clusterv1.Node{Id: "node-0", AdminAddr: "10.0.0.1:8084", Plugins: []string{"file-source"}}}}})
	ms, err := f.svc.ListMembers(ctx, &adminv1.ListMembersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantProto(t, "ListMembers from the state", ms, &adminv1.ListMembersResponse{Members: []*adminv1.Member{
		{Id: "node-0", AdminAddr: "10.0.0.1:8084", Plugins: []string{"file-source"}, LastContactMs: -1},
		{Id: "node-1", AdminAddr: "node-1:8084", RaftAddr: "node-1:8086", Voter: true, Tasks: 2, Alive: true},
	}})

	f.svc.cfg.Members = func() []*adminv1.Member {
		return []*adminv1.Member{{Id: "b", Leader: true, Alive: true}, {Id: "a", Alive: true}}
	}
	ms, _ = f.svc.ListMembers(ctx, &adminv1.ListMembersRequest{})
	if ms.LeaderId != "b" || ms.Members[0].Id != "a" {
		t.Errorf("ListMembers with Members: %v", ms)
	}
	info, _ := f.svc.ServerInfo(ctx, &adminv1.ServerInfoRequest{})
	wantProto(t, "ServerInfo", info, &adminv1.ServerInfoResponse{Version: "0.1.0", Commit: "abc123",
		KafkaClusterId: "kfake-cluster", NodeId: "node-1", LeaderId: "b"})
}

func TestStoreErrors(t *testing.T) {
	for _, tt := range []struct {
		err  error
		code codes.Code
	}{
		{&state.Error{Code: state.CodeNotFound, Message: "m"}, codes.NotFound},
		{&state.Error{Code: state.CodeExists, Message: "m"}, codes.AlreadyExists},
		{&state.Error{Code: state.CodeInvalid, Message: "m"}, codes.InvalidArgument},
		{&state.Error{Code: state.CodeNotStopped, Message: "m"}, codes.FailedPrecondition},
		{&state.Error{Code: state.CodeStaleEpoch, Message: "m"}, codes.Aborted},
		{context.DeadlineExceeded, codes.DeadlineExceeded},
		{status.Error(codes.PermissionDenied, "m"), codes.PermissionDenied},
		{errTest("no leader"), codes.Unavailable},
	} {
		if got := status.Code(storeErr(tt.err)); got != tt.code {
			t.Errorf("storeErr(%v) = %v, want %v", tt.err, got, tt.code)
		}
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestListPluginsIncludesBuiltinsUnlessConnectorsOnly(t *testing.T) {
	f := newFixture(t)
	resp, err := f.svc.ListPlugins(context.Background(), &adminv1.ListPluginsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"org.apache.kafka.connect.json.JsonConverter":                     "converter",
		"org.apache.kafka.connect.storage.SimpleHeaderConverter":          "header_converter",
		"org.apache.kafka.connect.transforms.InsertField$Value":           "transformation",
		"org.apache.kafka.connect.transforms.predicates.TopicNameMatches": "predicate",
	}
	for _, p := range resp.Plugins {
		if typ, ok := want[p.Class]; ok {
			if p.Type != typ {
				t.Errorf("%s has type %q, want %q", p.Class, p.Type, typ)
			}
			delete(want, p.Class)
		}
	}
	if len(want) > 0 {
		t.Fatalf("ListPlugins without connectors_only lacks %v", want)
	}
}
