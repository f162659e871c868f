package admin

import (
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"

	"github.com/tributary-dev/tributary/kernel/logging"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// decode unmarshals a response body, failing the test with the body when it is not JSON
// of the expected shape.
func decode(t *testing.T, what, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("%s: body is not the expected JSON (%v):\n%s", what, err, body)
	}
}

func (c *restClient) expect(method, path, body string, code int) string {
	c.t.Helper()
	got, b, _ := c.do(method, path, body)
	if got != code {
		c.t.Fatalf("%s %s: %d, want %d:\n%s", method, path, got, code, b)
	}
	return b
}

// The endpoints issue 16 adds or changes, driven with plain HTTP, their codes and shapes
// as KAFKA-CONNECT-REFERENCE.md (and upstream) give them.
func TestRESTOperatorEndpoints(t *testing.T) {
	f, c := newREST(t)

	// GET /: version, commit, kafka_cluster_id, nothing else.
	var info map[string]string
	decode(t, "GET /", c.expect("GET", "/", "", 200), &info)
	if len(info) != 3 || info["version"] == "" || info["commit"] == "" || info["kafka_cluster_id"] != "kfake-cluster" {
		t.Errorf("GET / = %v; want exactly version, commit and kafka_cluster_id", info)
	}

	// GET /connector-plugins: each plugin once, by its full class name, with type and version.
	var plugins []map[string]string
	decode(t, "GET /connector-plugins", c.expect("GET", "/connector-plugins", "", 200), &plugins)
	want := []map[string]string{
		{"class": sinkAlias, "type": "sink", "version": "1.0.0"},
		{"class": sourceAlias, "type": "source", "version": "1.0.0"},
	}
	if !slices.EqualFunc(plugins, want, func(a, b map[string]string) bool {
		return a["class"] == b["class"] && a["type"] == b["type"] && a["version"] == b["version"] && len(a) == 3
	}) {
		t.Errorf("GET /connector-plugins = %v, want %v", plugins, want)
	}
	// connectorsOnly=false adds every kind of built-in, by full class name.
	decode(t, "connectorsOnly=false", c.expect("GET", "/connector-plugins?connectorsOnly=false", "", 200), &plugins)
	types := map[string][]string{}
	for _, p := range plugins {
		types[p["type"]] = append(types[p["type"]], p["class"])
		if !strings.Contains(p["class"], ".") {
			t.Errorf("plugin %v is not listed by a full class name", p)
		}
	}
	for typ, class := range map[string]string{
		"converter":        "org.apache.kafka.connect.json.JsonConverter",
		"header_converter": "org.apache.kafka.connect.storage.SimpleHeaderConverter",
		"transformation":   "org.apache.kafka.connect.transforms.RegexRouter",
		"predicate":        "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
		"source":           sourceAlias,
		"sink":             sinkAlias,
	} {
		if !slices.Contains(types[typ], class) {
			t.Errorf("connectorsOnly=false lists no %s %s; %s: %v", typ, class, typ, types[typ])
		}
	}

	// GET /connector-plugins/{class}/config by full class and by alias: the definitions.
	for _, class := range []string{sourceAlias, "file-source"} {
		var defs []map[string]any
		decode(t, "plugin config", c.expect("GET", "/connector-plugins/"+class+"/config", "", 200), &defs)
		if len(defs) == 0 || defs[0]["name"] != "file" || defs[0]["importance"] != "HIGH" {
			t.Errorf("GET /connector-plugins/%s/config = %v", class, defs)
		}
	}
	c.expect("GET", "/connector-plugins/nope/config", "", 404)
	// Transformations and predicates answer too (KIP-769).
	var defs []map[string]any
	decode(t, "RegexRouter config", c.expect("GET", "/connector-plugins/org.apache.kafka.connect.transforms.RegexRouter/config", "", 200), &defs)
	var names []string
	for _, d := range defs {
		names = append(names, d["name"].(string))
	}
	if !slices.Contains(names, "regex") || !slices.Contains(names, "replacement") {
		t.Errorf("RegexRouter's config lists %v; want regex and replacement", names)
	}

	// PUT …/config/validate answers with the full class name, whatever name the path uses.
	var infos map[string]any
	decode(t, "validate", c.expect("PUT", "/connector-plugins/file-source/config/validate",
		`{"connector.class":"file-source","name":"v","file":"/x","topic":"t"}`, 200), &infos)
	if infos["name"] != sourceAlias || infos["error_count"] != float64(0) {
		t.Errorf("validate: name %v, error_count %v; want %s, 0", infos["name"], infos["error_count"], sourceAlias)
	}

	// A body that is not JSON is refused with 415 before anything is read.
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded"} {
		req, _ := http.NewRequest("POST", c.srv.URL+"/connectors", strings.NewReader(`{"name":"x","config":{}}`))
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("POST /connectors as %s: %d, want 415", ct, resp.StatusCode)
		}
	}

	// An unknown field of CreateConnectorRequest fails as Jackson fails it upstream (500).
	b := c.expect("POST", "/connectors", `{"name":"x","config":{"connector.class":"file-source","file":"/x","topic":"t"},"initial_sate":"PAUSED"}`, 500)
	if !strings.Contains(b, `Unrecognized field \"initial_sate\"`) {
		t.Errorf("unknown field: %s", b)
	}
	c.expect("GET", "/connectors/x", "", 404)

	// Task configs carry task.class; tasks-config is keyed by <name>-<task>.
	c.expect("POST", "/connectors", `{"name":"src","config":{"connector.class":"file-source","file":"/x","topic":"t","tasks.max":"1"}}`, 201)
	var tasks []struct {
		Config map[string]string `json:"config"`
	}
	decode(t, "tasks", c.expect("GET", "/connectors/src/tasks", "", 200), &tasks)
	if len(tasks) != 1 || tasks[0].Config["task.class"] != "org.apache.kafka.connect.file.FileStreamSourceTask" {
		t.Errorf("GET /connectors/src/tasks: %v; want task.class FileStreamSourceTask", tasks)
	}
	var tc map[string]map[string]string
	decode(t, "tasks-config", c.expect("GET", "/connectors/src/tasks-config", "", 200), &tc)
	if tc["src-0"]["task.class"] != "org.apache.kafka.connect.file.FileStreamSourceTask" {
		t.Errorf("GET /connectors/src/tasks-config = %v", tc)
	}
	c.expect("GET", "/connectors/nope/tasks-config", "", 404)

	// worker_id is the node's advertised REST host:port, not its id.
	f.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_RegisterNode{RegisterNode: &clusterv1.RegisterNode{
		Node: &clusterv1.Node{Id: "w9", RestAddr: "10.1.2.3:8083", Voter: true}}}})
	f.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_SetAssignments{SetAssignments: &clusterv1.SetAssignments{
		Assign: []*clusterv1.Assignment{{Task: &clusterv1.TaskID{Connector: "src", Task: 0}, Node: "w9"}}}}})
	f.report(t, "src", 0, clusterv1.TaskState_TASK_STATE_RUNNING, "")
	var st struct {
		Connector struct {
			WorkerID string `json:"worker_id"`
		} `json:"connector"`
		Tasks []struct {
			WorkerID string `json:"worker_id"`
		} `json:"tasks"`
	}
	decode(t, "status", c.expect("GET", "/connectors/src/status", "", 200), &st)
	if st.Connector.WorkerID != "10.1.2.3:8083" || len(st.Tasks) != 1 || st.Tasks[0].WorkerID != "10.1.2.3:8083" {
		t.Errorf("status worker ids: %+v; want 10.1.2.3:8083", st)
	}
	var ts map[string]any
	decode(t, "task status", c.expect("GET", "/connectors/src/tasks/0/status", "", 200), &ts)
	if ts["worker_id"] != "10.1.2.3:8083" {
		t.Errorf("task status: %v", ts)
	}
}

// /admin/loggers (KIP-495, KIP-976): list, get, set on this worker, and set on every
// node of the cluster with scope=cluster, reaching the other node through its admin
// service; the level change is real (the slog handler's level).
func TestRESTLoggers(t *testing.T) {
	f, c := newREST(t)
	levels := logging.NewLevels(slog.LevelInfo)
	levels.Var(logging.Kernel + ".cluster")
	levels.Var(logging.Kernel + ".runtime")
	f.svc.cfg.Loggers = levels

	// A second node, reached over gRPC.
	other := newFixture(t)
	otherLevels := logging.NewLevels(slog.LevelInfo)
	otherLevels.Var(logging.Kernel + ".cluster")
	other.svc.cfg.Loggers = otherLevels
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	other.svc.Register(g)
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	f.svc.cfg.Members = func() []*adminv1.Member {
		return []*adminv1.Member{{Id: "node-1"}, {Id: "node-2", AdminAddr: lis.Addr().String()}}
	}

	var all map[string]struct {
		Level        string `json:"level"`
		LastModified *int64 `json:"last_modified"`
	}
	decode(t, "loggers", c.expect("GET", "/admin/loggers", "", 200), &all)
	if all["root"].Level != "INFO" || all[logging.Kernel+".cluster"].Level != "INFO" || all["root"].LastModified != nil {
		t.Errorf("GET /admin/loggers = %+v", all)
	}
	c.expect("GET", "/admin/loggers/no.such.logger", "", 404)
	c.expect("PUT", "/admin/loggers/"+logging.Kernel, `{}`, 400)
	c.expect("PUT", "/admin/loggers/"+logging.Kernel, `{"level":"LOUD"}`, 404)

	var changed []string
	decode(t, "put", c.expect("PUT", "/admin/loggers/"+logging.Kernel, `{"level":"DEBUG"}`, 200), &changed)
	if !slices.Equal(changed, []string{logging.Kernel + ".cluster", logging.Kernel + ".runtime"}) {
		t.Errorf("PUT %s changed %v", logging.Kernel, changed)
	}
	if levels.Var(logging.Kernel+".runtime").Level() != slog.LevelDebug {
		t.Error("the runtime logger's level did not change")
	}
	var one struct {
		Level        string `json:"level"`
		LastModified *int64 `json:"last_modified"`
	}
	decode(t, "get", c.expect("GET", "/admin/loggers/"+logging.Kernel+".runtime", "", 200), &one)
	if one.Level != "DEBUG" || one.LastModified == nil {
		t.Errorf("GET runtime logger = %+v; want DEBUG with last_modified", one)
	}
	if otherLevels.Var(logging.Kernel+".cluster").Level() != slog.LevelInfo {
		t.Error("scope=worker changed another node")
	}

	// A Kafka Connect logger name sets the Tributary logger that logs the same.
	decode(t, "put upstream", c.expect("PUT", "/admin/loggers/org.apache.kafka.connect.runtime.WorkerSinkTask", `{"level":"ERROR"}`, 200), &changed)
	if !slices.Equal(changed, []string{logging.Kernel + ".runtime"}) || levels.Var(logging.Kernel+".runtime").Level() != slog.LevelError {
		t.Errorf("PUT org.apache.kafka.connect.runtime.WorkerSinkTask changed %v", changed)
	}
	decode(t, "get upstream", c.expect("GET", "/admin/loggers/org.apache.kafka.connect.runtime", "", 200), &one)
	if one.Level != "ERROR" {
		t.Errorf("GET org.apache.kafka.connect.runtime = %+v", one)
	}

	// scope=cluster: 204, and every node has it.
	c.expect("PUT", "/admin/loggers/root?scope=cluster", `{"level":"WARN"}`, 204)
	for what, lv := range map[string]*logging.Levels{"this node": levels, "the other node": otherLevels} {
		if got := lv.Var(logging.Kernel + ".cluster").Level(); got != slog.LevelWarn {
			t.Errorf("after root=WARN with scope=cluster, %s's cluster logger is at %v", what, got)
		}
	}
}
