package admin

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

func (f *fixture) client(t *testing.T) adminv1.AdminClient {
	t.Helper()
	return adminv1.NewAdminClient(f.conn(t))
}

// recvUntil reads events until ok accepts one, failing on a stream error.
func recvUntil(t *testing.T, s adminv1.Admin_WatchStatusClient, what string, ok func(*adminv1.StatusEvent) bool) *adminv1.StatusEvent {
	t.Helper()
	var seen []*adminv1.StatusEvent
	for {
		e, err := s.Recv()
		if err != nil {
			t.Fatalf("waiting for %s: stream ended: %v; events so far: %v", what, err, seen)
		}
		if ok(e) {
			return e
		}
		seen = append(seen, e)
	}
}

// WatchStatus streams the current statuses, then each change (pause, task reports,
// delete) with worker and trace, over a real gRPC connection.
func TestWatchStatus(t *testing.T) {
	f := newFixture(t)
	f.create(t, "src", sourceConfig())
	f.place(t, "node-2", "src", clusterv1.TaskState_TASK_STATE_RUNNING, clusterv1.TaskState_TASK_STATE_RUNNING)
	c := f.client(t)
	wctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	s, err := c.WatchStatus(wctx, &adminv1.WatchStatusRequest{Name: "nope"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); status.Code(err) != codes.NotFound {
		t.Fatalf("watching an unknown connector: %v, want NotFound", err)
	}

	s, err = c.WatchStatus(wctx, &adminv1.WatchStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.Recv()
	if err != nil || e.Status.GetName() != "src" || e.Status.Connector.State != "RUNNING" || len(e.Status.Tasks) != 2 ||
		e.Status.Tasks[1].State != "RUNNING" || e.Status.Tasks[1].WorkerId != "node-2" {
		t.Fatalf("first event: %v, %v; want src RUNNING with 2 RUNNING tasks on node-2", e, err)
	}
	if e, err := s.Recv(); err != nil || !e.InitialDone {
		t.Fatalf("second event: %v, %v; want initial_done", e, err)
	}

	if _, err := f.svc.PauseConnector(ctx, &adminv1.ConnectorRequest{Name: "src"}); err != nil {
		t.Fatal(err)
	}
	recvUntil(t, s, "connector PAUSED", func(e *adminv1.StatusEvent) bool { return e.Status.GetConnector().GetState() == "PAUSED" })
	f.report(t, "src", 0, clusterv1.TaskState_TASK_STATE_PAUSED, "")
	f.report(t, "src", 1, clusterv1.TaskState_TASK_STATE_FAILED, "boom: disk full")
	e = recvUntil(t, s, "task 1 FAILED", func(e *adminv1.StatusEvent) bool {
		return len(e.Status.GetTasks()) == 2 && e.Status.Tasks[1].State == "FAILED"
	})
	if e.Status.Tasks[1].Trace != "boom: disk full" || e.Status.Tasks[1].WorkerId != "node-2" || e.Status.Tasks[0].State != "PAUSED" {
		t.Errorf("event after the reports: %v; want task 0 PAUSED, task 1 FAILED on node-2 with its trace", e)
	}

	if _, err := f.svc.DeleteConnector(ctx, &adminv1.ConnectorRequest{Name: "src"}); err != nil {
		t.Fatal(err)
	}
	e = recvUntil(t, s, "deleted", func(e *adminv1.StatusEvent) bool { return e.Deleted })
	if e.Status.GetName() != "src" {
		t.Errorf("deleted event names %q, want src", e.Status.GetName())
	}
}

// A status also changes without a Raft entry: when the node loses its leader, the next
// look (at most watchRecheck later) streams the tasks UNASSIGNED with the reason.
func TestWatchStatusFollowsLeaderLoss(t *testing.T) {
	f := newFixture(t)
	f.create(t, "src", sourceConfig())
	f.place(t, "node-2", "src", clusterv1.TaskState_TASK_STATE_RUNNING, clusterv1.TaskState_TASK_STATE_RUNNING)
	var mu sync.Mutex
	h := Health{Leader: "node-1", Known: true, Live: map[string]bool{"node-1": true, "node-2": true}, CaughtUp: true}
	f.svc.cfg.Health = func() Health {
		mu.Lock()
		defer mu.Unlock()
		return h
	}
	c := f.client(t)
	wctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := c.WatchStatus(wctx, &adminv1.WatchStatusRequest{Name: "src"})
	if err != nil {
		t.Fatal(err)
	}
	e := recvUntil(t, s, "the initial status", func(e *adminv1.StatusEvent) bool { return e.Status != nil })
	if e.LeaderId != "node-1" || e.Status.Tasks[0].State != "RUNNING" {
		t.Fatalf("initial event: %v", e)
	}
	mu.Lock()
	h = Health{CaughtUp: true}
	mu.Unlock()
	e = recvUntil(t, s, "tasks UNASSIGNED after the leader is lost", func(e *adminv1.StatusEvent) bool {
		return e.Status != nil && len(e.Status.Tasks) == 2 && e.Status.Tasks[0].State == "UNASSIGNED"
	})
	if e.LeaderId != "" || !strings.Contains(e.Status.Tasks[0].Trace, "no leader") || !strings.Contains(e.Status.Connector.Trace, "no leader") {
		t.Errorf("event after the leader is lost: %v", e)
	}
}
