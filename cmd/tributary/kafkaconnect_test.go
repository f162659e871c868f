package main

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tributary-dev/tributary/kernel/admin"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// seedKafkaConnect is Strimzi's KafkaConnect example with the file connectors and
// Debezium's PostgreSQL connector built in (kernel/config/testdata).
const seedKafkaConnect = "../../kernel/config/testdata/kafka-connect.yaml"

func startWorkerNode(t *testing.T) *cliNode {
	return startCLINodeWith(t, func(c *admin.Config) {
		c.Worker = admin.Worker{BootstrapServers: []string{"127.0.0.1:9092"}, RESTAddr: "127.0.0.1:8083", Converters: map[string]string{
			"key.converter":                  "org.apache.kafka.connect.storage.StringConverter",
			"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
			"value.converter.schemas.enable": "false",
		}}
	})
}

// A KafkaConnect resource is checked against the workers key by key, a plugin the node
// lacks fails it, and get kafkaconnect prints one that checks as matching.
func TestApplyKafkaConnect(t *testing.T) {
	n := startWorkerNode(t)
	n.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_RegisterNode{RegisterNode: &clusterv1.RegisterNode{
		Node: &clusterv1.Node{Id: "n1", AdminAddr: "127.0.0.1:8084", Voter: true}}}})
	data, err := os.ReadFile(seedKafkaConnect)
	if err != nil {
		t.Fatal(err)
	}
	// This node has only the file plugin: the Debezium one is missing.
	_, _, err = n.run(t, string(data), "apply", "-f", "-")
	if err == nil || !strings.Contains(err.Error(), "node n1 lacks tributary-postgres") {
		t.Fatalf("apply with a missing plugin: %v", err)
	}
	fileOnly := string(data[:strings.Index(string(data), "      - name: debezium-postgres-connector")])
	out := n.mustRun(t, "apply", "-f", writeFile(t, "kc.yaml", fileOnly))
	for _, want := range []string{
		"kafkaconnect my-connect-cluster: checked against the cluster (node n1)",
		"spec.bootstrapServers  my-cluster-kafka-bootstrap:9093",
		"differs: the nodes use 127.0.0.1:9092",
		"spec.replicas  1  1 nodes, 1 live",
		"spec.config.group.id  connect-cluster",
		"the cluster's name",
		"spec.config.offset.storage.topic",
		"held by Raft",
		"spec.config.value.converter.schemas.enable  false",
		"same as the workers' default",
		"spec.resources",
		"plugin_memory_limit_mb",
		"spec.tls",
		"spec.build.plugins.connect-file  org.apache.kafka:connect-file:3.7.0  tributary-file (bundled, present on node n1)",
	} {
		if !strings.Contains(squeeze(out), squeeze(want)) {
			t.Errorf("apply of the KafkaConnect does not report %q:\n%s", want, out)
		}
	}

	got := n.mustRun(t, "get", "kafkaconnect", "-o", "yaml")
	var doc kafkaConnectDoc
	if err := yaml.Unmarshal([]byte(got), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, got)
	}
	if doc.Kind != "KafkaConnect" || doc.Spec.BootstrapServers != "127.0.0.1:9092" || doc.Spec.Config["value.converter"] == "" ||
		len(doc.Status.Conditions) != 1 || doc.Status.URL != "http://127.0.0.1:8083" || len(doc.Status.ConnectorPlugins) != 2 ||
		len(doc.Spec.Build.Plugins) != 1 || doc.Spec.Build.Plugins[0].Artifacts[0].Artifact != "connect-file" {
		t.Errorf("get kafkaconnect:\n%s", got)
	}
	back, errOut, err := n.run(t, got, "apply", "-f", "-")
	if err != nil || strings.Contains(back, "differs") || !strings.Contains(back, "same as the nodes' kafka.bootstrap_servers") {
		t.Errorf("apply of get kafkaconnect's output: %v\n%s%s", err, back, errOut)
	}
}

// squeeze collapses runs of spaces, so a table row compares whatever its padding.
func squeeze(s string) string { return strings.Join(strings.Fields(s), " ") }
