package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// The Strimzi documentation's example connectors, unchanged.
const (
	cliStrimziSource = `apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnector
metadata:
  name: my-source-connector
  labels:
    strimzi.io/cluster: my-connect-cluster
spec:
  class: org.apache.kafka.connect.file.FileStreamSourceConnector
  tasksMax: 2
  config:
    file: "/opt/kafka/LICENSE"
    topic: my-topic
`
	cliStrimziSink = `apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnector
metadata:
  name: my-sink-connector
  labels:
    strimzi.io/cluster: my-connect-cluster
spec:
  class: org.apache.kafka.connect.file.FileStreamSinkConnector
  tasksMax: 2
  config:
    file: "/tmp/my-file"
    topics: my-topic
`
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func (n *cliNode) connector(name string) *clusterv1.Connector {
	var c *clusterv1.Connector
	n.store.Read(func(s *state.State) { c = s.Connector(name) })
	return c
}

func TestApply(t *testing.T) {
	n := startCLINode(t)
	src, sink := writeFile(t, "source.yaml", cliStrimziSource), writeFile(t, "sink.yaml", cliStrimziSink)
	if out := n.mustRun(t, "apply", "-f", src, "-f", sink); out != "connector my-source-connector created\nconnector my-sink-connector created\n" {
		t.Errorf("first apply printed %q", out)
	}
	c := n.connector("my-source-connector")
	if c == nil || c.Plugin != "file-source" || len(c.Tasks) != 2 || c.Config["file"] != "/opt/kafka/LICENSE" || c.Config["tasks.max"] != "2" {
		t.Fatalf("stored connector = %v", c)
	}

	// Applying again changes nothing (no new generation, no task restarts).
	if out := n.mustRun(t, "apply", "-f", src, "-f", sink); out != "connector my-source-connector unchanged\nconnector my-sink-connector unchanged\n" {
		t.Errorf("second apply printed %q", out)
	}
	if g := n.connector("my-source-connector").Generation; g != 1 {
		t.Errorf("re-applying the same manifest moved the generation to %d", g)
	}

	// A state in the manifest is applied; stdin works.
	paused := strings.Replace(cliStrimziSource, "  tasksMax: 2\n", "  tasksMax: 2\n  state: paused\n", 1)
	out, errOut, err := n.run(t, paused, "apply", "-f", "-")
	if err != nil || out != "connector my-source-connector configured\nconnector my-source-connector paused\n" {
		t.Errorf("apply paused from stdin: %v, %q %q", err, out, errOut)
	}
	if ts := n.connector("my-source-connector").TargetState; ts != clusterv1.TargetState_TARGET_STATE_PAUSED {
		t.Errorf("target state = %v, want PAUSED", ts)
	}

	// A new connector that should not run is created in that state.
	rest := `{"name": "quiet", "config": {"connector.class": "file-source", "file": "/x", "topic": "t"}, "initial_state": "STOPPED"}`
	if out := n.mustRun(t, "apply", "-f", writeFile(t, "quiet.json", rest)); out != "connector quiet created (stopped)\n" {
		t.Errorf("apply stopped printed %q", out)
	}
	if ts := n.connector("quiet").TargetState; ts != clusterv1.TargetState_TARGET_STATE_STOPPED {
		t.Errorf("quiet target state = %v, want STOPPED", ts)
	}
}

func TestApplyParseErrorChangesNothing(t *testing.T) {
	n := startCLINode(t)
	good := writeFile(t, "good.yaml", cliStrimziSource)
	bad := writeFile(t, "bad.yaml", strings.Replace(cliStrimziSink, "tasksMax: 2", "tasksMax: two", 1))
	_, _, err := n.run(t, "", "apply", "-f", good, "-f", bad)
	if err == nil || err.Error() != bad+`: line 9: spec.tasksMax: expected an integer, got "two"` {
		t.Errorf("error = %v, want the file, line and field", err)
	}
	dup := writeFile(t, "dup.yaml", cliStrimziSource)
	_, _, err = n.run(t, "", "apply", "-f", good, "-f", dup)
	if err == nil || err.Error() != dup+`: line 1: connector "my-source-connector" is also defined in `+good+` at line 1` {
		t.Errorf("error = %v, want the duplicate named", err)
	}
	_, _, err = n.run(t, "", "apply")
	if err == nil || !strings.Contains(err.Error(), "use -f FILE") {
		t.Errorf("apply without -f: %v", err)
	}
	if c := n.connector("my-source-connector"); c != nil {
		t.Errorf("a refused apply created %v", c)
	}
}

func TestApplyServerRefusal(t *testing.T) {
	n := startCLINode(t)
	manifests := cliStrimziSink + "---\n" + `name: nope
config:
  connector.class: com.example.NoSuchConnector
`
	out, errOut, err := n.run(t, "", "apply", "-f", writeFile(t, "m.yaml", manifests))
	if err == nil || err.Error() != "1 of 2 connectors not applied" {
		t.Errorf("error = %v", err)
	}
	if out != "connector my-sink-connector created\n" {
		t.Errorf("stdout = %q", out)
	}
	if !strings.Contains(errOut, `error: connector nope (`) || !strings.Contains(errOut, `line 14): unknown connector class "com.example.NoSuchConnector"; available: file-sink, file-source`) {
		t.Errorf("stderr = %q", errOut)
	}
}
