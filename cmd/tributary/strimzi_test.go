package main

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// `get kafkaconnectors -o yaml` prints Strimzi KafkaConnector documents with a status
// block, and applying that output changes nothing: no new generation, no restart, no
// change of state.
func TestGetYAMLApplyIsNoOp(t *testing.T) {
	n := startCLINode(t)
	n.mustRun(t, "apply", "-f", writeFile(t, "c.yaml", cliStrimziSource+"---\n"+cliStrimziSink+"---\n"+
		`{"name": "secret-source", "config": {"connector.class": "file-source", "file": "/x", "topic": "t", "password": "hunter2"}}`))
	n.mustRun(t, "connectors", "pause", "my-sink-connector")
	n.place(t, "n2", "my-source-connector", clusterv1.TaskState_TASK_STATE_RUNNING, clusterv1.TaskState_TASK_STATE_RUNNING)

	out := n.mustRun(t, "get", "kafkaconnectors", "-o", "yaml")
	docs := strings.Split(out, "---\n")
	if len(docs) != 3 {
		t.Fatalf("get kafkaconnectors printed %d documents, want 3:\n%s", len(docs), out)
	}
	var src kafkaConnector
	if err := yaml.Unmarshal([]byte(docs[1]), &src); err != nil {
		t.Fatalf("%v:\n%s", err, docs[1])
	}
	if src.Kind != "KafkaConnector" || src.Metadata.Name != "my-source-connector" ||
		src.Spec.Class != "org.apache.kafka.connect.file.FileStreamSourceConnector" || src.Spec.TasksMax == nil || *src.Spec.TasksMax != 2 ||
		src.Spec.Config["topic"] != "my-topic" || src.Spec.Config["connector.class"] != "" || src.Spec.State != "running" {
		t.Errorf("source document: %+v", src)
	}
	if len(src.Status.Conditions) != 1 || src.Status.Conditions[0] != (kcCondition{Type: "Ready", Status: "True"}) ||
		src.Status.ConnectorStatus.Connector.State != "RUNNING" || len(src.Status.ConnectorStatus.Tasks) != 2 ||
		src.Status.ConnectorStatus.Tasks[1].WorkerID != "n2" || src.Status.TasksMax != 2 ||
		len(src.Status.Topics) != 1 || src.Status.Topics[0] != "my-topic" {
		t.Errorf("source status: %+v", src.Status)
	}
	if !strings.Contains(docs[0], "state: paused") || !strings.Contains(docs[0], "type: NotReady") {
		t.Errorf("the paused sink's document:\n%s", docs[0])
	}
	if !strings.Contains(docs[2], "password: '[hidden]'") {
		t.Errorf("the secret is not masked:\n%s", docs[2])
	}

	before := map[string]*clusterv1.Connector{}
	for _, name := range []string{"my-sink-connector", "my-source-connector", "secret-source"} {
		before[name] = n.connector(name)
	}
	got, errOut, err := n.run(t, out, "apply", "-f", "-")
	if err != nil {
		t.Fatalf("apply of get's output: %v\n%s%s", err, got, errOut)
	}
	want := "connector my-sink-connector unchanged\nconnector my-source-connector unchanged\nconnector secret-source unchanged\n"
	if got != want {
		t.Errorf("apply of get's output printed:\n%s\nwant:\n%s", got, want)
	}
	for name, b := range before {
		a := n.connector(name)
		if a.Generation != b.Generation || a.RestartCount != b.RestartCount || a.TargetState != b.TargetState ||
			a.Config["password"] != b.Config["password"] {
			t.Errorf("%s changed: generation %d→%d, restarts %d→%d, state %v→%v, password kept %v",
				name, b.Generation, a.Generation, b.RestartCount, a.RestartCount, b.TargetState, a.TargetState, a.Config["password"] == b.Config["password"])
		}
	}
	// connectors list -o yaml is the same documents.
	if list := n.mustRun(t, "connectors", "list", "-o", "yaml"); strings.Count(list, "kind: KafkaConnector") != 3 {
		t.Errorf("connectors list -o yaml:\n%s", list)
	}
}

func TestConverterSummary(t *testing.T) {
	got := converterSummary(map[string]string{"key.converter": "org.apache.kafka.connect.storage.StringConverter",
		"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false"})
	if want := "key StringConverter, value JsonConverter (schemas.enable=false)"; got != want {
		t.Errorf("converterSummary = %q, want %q", got, want)
	}
}

func TestVersionCommand(t *testing.T) {
	n := startCLINode(t)
	out := n.mustRun(t, "version", "--server")
	if !strings.HasPrefix(out, "tributary ") || !strings.Contains(out, "node n1 at "+n.addr+": tributary test") {
		t.Errorf("version --server printed:\n%s", out)
	}
}
