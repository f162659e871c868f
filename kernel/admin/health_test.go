package admin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// TestStatusTellsWhatTheClusterKnows: a task on a node that has missed its lease shows
// UNASSIGNED naming the node; with no leader every task shows UNASSIGNED and the answer
// says so; a FAILED task keeps its own trace; a node that lost touch with the leader says
// its answer may be stale.
func TestStatusTellsWhatTheClusterKnows(t *testing.T) {
	f := newFixture(t)
	var h Health
	f.svc.cfg.Health = func() Health { return h }
	f.create(t, "src", sourceConfig("tasks.max", "2"))
	f.place(t, "node-2", "src", clusterv1.TaskState_TASK_STATE_RUNNING, clusterv1.TaskState_TASK_STATE_RUNNING)
	f.report(t, "src", 1, clusterv1.TaskState_TASK_STATE_FAILED, "java.lang.Oops: disk full")

	for _, tc := range []struct {
		name           string
		health         Health
		connTrace      string // a substring of the connector's trace, "" for none
		task0, trace0  string // task 0's state and a substring of its trace
		task1          string
		task1TraceSame bool
	}{
		{name: "leader sees node-2 alive", health: Health{Leader: "node-1", Known: true, CaughtUp: true, Live: map[string]bool{"node-1": true, "node-2": true}},
			task0: "RUNNING", task1: "FAILED", task1TraceSame: true},
		{name: "node-2 missed its lease", health: Health{Leader: "node-1", Known: true, CaughtUp: true, Live: map[string]bool{"node-1": true}},
			task0: "UNASSIGNED", trace0: "node node-2 has missed its lease", task1: "FAILED", task1TraceSame: true},
		{name: "no leader", health: Health{CaughtUp: true},
			connTrace: "the cluster has no leader", task0: "UNASSIGNED", trace0: "no leader", task1: "FAILED", task1TraceSame: true},
		{name: "lost touch with the leader", health: Health{Leader: "node-3", CaughtUp: true},
			connTrace: "has not heard from leader node-3", task0: "RUNNING", task1: "FAILED", task1TraceSame: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h = tc.health
			st, err := f.svc.GetConnectorStatus(ctx, &adminv1.ConnectorRequest{Name: "src"})
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Connector.Trace; (tc.connTrace == "") != (got == "") || !strings.Contains(got, tc.connTrace) {
				t.Errorf("connector trace = %q; want one containing %q", got, tc.connTrace)
			}
			t0, t1 := st.Tasks[0], st.Tasks[1]
			if t0.State != tc.task0 || t0.WorkerId != "node-2" || !strings.Contains(t0.Trace, tc.trace0) || (tc.trace0 == "") != (t0.Trace == "") {
				t.Errorf("task 0 = %v; want %s on node-2 with a trace containing %q", t0, tc.task0, tc.trace0)
			}
			if t1.State != tc.task1 || t1.Trace != "java.lang.Oops: disk full" {
				t.Errorf("task 1 = %v; want FAILED with its own trace", t1)
			}
			one, err := f.svc.taskStatusOf("src", 0)
			if err != nil || one.State != tc.task0 {
				t.Errorf("taskStatusOf(src, 0) = %v, %v; want %s as in the connector's status", one, err, tc.task0)
			}
		})
	}
}

// TestReadsWhileCatchingUpAreRefusedNotFalse: a node whose replica has not caught up
// after a restart answers reads with 503 and Retry-After, never a false 404, and its
// /health says it is starting; with no leader /health says unhealthy.
func TestReadsWhileCatchingUpAreRefusedNotFalse(t *testing.T) {
	f := newFixture(t)
	h := Health{Leader: "node-1", Known: true, CaughtUp: false}
	f.svc.cfg.Health = func() Health { return h }
	srv := httptest.NewServer(f.svc.RESTHandler())
	defer srv.Close()
	get := func(path string) (int, string, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Retry-After"), string(body)
	}
	for _, path := range []string{"/connectors", "/connectors/absent", "/connectors/absent/status",
		"/connectors/absent/tasks", "/connectors/absent/offsets", "/connectors/absent/tasks/0/status"} {
		if code, retry, body := get(path); code != http.StatusServiceUnavailable || retry == "" || !strings.Contains(body, "catching up") {
			t.Errorf("GET %s while catching up = %d (Retry-After %q) %s; want 503 with Retry-After saying it is catching up", path, code, retry, body)
		}
	}
	if code, _, body := get("/health"); code != http.StatusServiceUnavailable || !strings.Contains(body, `"starting"`) {
		t.Errorf("GET /health while catching up = %d %s; want 503 starting", code, body)
	}

	h.CaughtUp = true
	if code, _, _ := get("/connectors/absent"); code != http.StatusNotFound {
		t.Errorf("GET /connectors/absent once caught up = %d; want 404", code)
	}
	if code, _, body := get("/health"); code != http.StatusOK || !strings.Contains(body, `"healthy"`) {
		t.Errorf("GET /health when caught up with a leader = %d %s; want 200 healthy", code, body)
	}
	h.Leader, h.Known = "", false
	if code, _, body := get("/health"); code != http.StatusInternalServerError || !strings.Contains(body, "no leader") {
		t.Errorf("GET /health with no leader = %d %s; want 500 unhealthy saying there is no leader", code, body)
	}
}
