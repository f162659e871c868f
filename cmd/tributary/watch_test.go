package main

import (
	"strings"
	"testing"
	"time"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// apply --wait ends with the trace of a task that FAILED, and with what was reached when
// its timeout runs out; a connector already in its manifest's state returns at once.
func TestApplyWaitFailsWithTheTrace(t *testing.T) {
	n := startCLINode(t)
	src := writeFile(t, "src.yaml", cliStrimziSource)
	n.mustRun(t, "apply", "-f", src)
	n.place(t, "n2", "my-source-connector", clusterv1.TaskState_TASK_STATE_RUNNING, clusterv1.TaskState_TASK_STATE_FAILED)

	out, _, err := n.run(t, "", "apply", "-f", src, "--wait", "--timeout", "1m")
	if err == nil || !strings.Contains(err.Error(), "connector my-source-connector: task 1 FAILED on n2:\nfile not found: /nope\n\tat line 2") {
		t.Errorf("apply --wait with a FAILED task: %v\n%s", err, out)
	}
	if !strings.Contains(out, "my-source-connector: RUNNING, tasks 1 FAILED, 1 RUNNING") {
		t.Errorf("apply --wait printed no progress line:\n%s", out)
	}

	// The sink's tasks stay UNASSIGNED here (no node runs them): the timeout says so.
	sink := writeFile(t, "sink.yaml", cliStrimziSink)
	out, _, err = n.run(t, "", "apply", "-f", sink, "--wait", "--timeout", "1s")
	if err == nil || !strings.Contains(err.Error(), "timed out waiting for my-sink-connector (RUNNING, tasks 2 UNASSIGNED, want RUNNING)") {
		t.Errorf("apply --wait past its timeout: %v\n%s", err, out)
	}

	// Stopped in the manifest: reached once the connector is STOPPED.
	stopped := strings.Replace(cliStrimziSink, "  tasksMax: 2\n", "  tasksMax: 2\n  state: stopped\n", 1)
	out, _, err = n.run(t, stopped, "apply", "-f", "-", "--wait", "--timeout", "1m")
	if err != nil || !strings.Contains(out, "my-sink-connector: STOPPED") {
		t.Errorf("apply --wait of a stopped connector: %v\n%s", err, out)
	}
}

// status -w prints a line when a connector's state changes and one per task whose state,
// worker or trace changes, and nothing for an event that changes neither.
func TestStatusWatcherPrintsChanges(t *testing.T) {
	var out strings.Builder
	sw := newStatusWatcher(&out)
	sw.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	st := func(state string, tasks ...*adminv1.TaskStatus) *adminv1.StatusEvent {
		return &adminv1.StatusEvent{Status: &adminv1.ConnectorStatus{Name: "c", Connector: &adminv1.StateInfo{State: state, WorkerId: "n1"}, Tasks: tasks}}
	}
	sw.print(st("RUNNING", &adminv1.TaskStatus{Id: 0, State: "UNASSIGNED"}))
	sw.print(st("RUNNING", &adminv1.TaskStatus{Id: 0, State: "RUNNING", WorkerId: "n1"}))
	sw.print(st("RUNNING", &adminv1.TaskStatus{Id: 0, State: "RUNNING", WorkerId: "n1"}))
	sw.print(st("PAUSED", &adminv1.TaskStatus{Id: 0, State: "FAILED", WorkerId: "n2", Trace: "boom\n\tat x"}))
	sw.print(&adminv1.StatusEvent{Status: &adminv1.ConnectorStatus{Name: "c"}, Deleted: true})
	want := `03:04:05  c  RUNNING  tasks 0/1 RUNNING
03:04:05  c  task 0  UNASSIGNED  on -
03:04:05  c  task 0  RUNNING  on n1
03:04:05  c  PAUSED  tasks 0/1 RUNNING
03:04:05  c  task 0  FAILED  on n2  boom …
03:04:05  c  deleted
`
	if out.String() != want {
		t.Errorf("printed:\n%s\nwant:\n%s", out.String(), want)
	}
}
