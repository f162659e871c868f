package main

import (
	"strings"
	"testing"

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
