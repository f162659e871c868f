package config

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestParseKafkaConnect(t *testing.T) {
	data, err := os.ReadFile("testdata/kafka-connect.yaml")
	if err != nil {
		t.Fatal(err)
	}
	specs, workers, err := ParseResources(data)
	if err != nil || len(specs) != 0 || len(workers) != 1 {
		t.Fatalf("ParseResources: %d connectors, %d workers, %v; want 0, 1", len(specs), len(workers), err)
	}
	kc := workers[0]
	if kc.Name != "my-connect-cluster" || kc.Replicas != 1 || kc.BootstrapServers != "my-cluster-kafka-bootstrap:9093" ||
		kc.Version != "3.7.0" || kc.UseConnectorResources != "true" {
		t.Errorf("KafkaConnect = %+v", kc)
	}
	if kc.Config["group.id"] != "connect-cluster" || kc.Config["value.converter.schemas.enable"] != "false" ||
		kc.Config["offset.storage.replication.factor"] != "-1" {
		t.Errorf("config = %v", kc.Config)
	}
	if !strings.Contains(kc.Resources, "memory: 2Gi") {
		t.Errorf("resources = %q", kc.Resources)
	}
	if !slices.Equal(kc.Ignored, []string{"build.output", "tls"}) {
		t.Errorf("ignored = %v, want [build.output tls]", kc.Ignored)
	}
	if len(kc.Plugins) != 2 || kc.Plugins[0].Artifacts[0].Binary != "tributary-file" || kc.Plugins[1].Artifacts[0].Binary != "tributary-postgres" {
		t.Errorf("plugins = %+v; want connect-file → tributary-file, the Debezium tgz → tributary-postgres", kc.Plugins)
	}

	// The same file with connectors: both come back; ParseManifests alone refuses it.
	both := append(append([]byte{}, data...), []byte("---\nname: c\nconfig: {connector.class: file-source}\n")...)
	if specs, workers, err := ParseResources(both); err != nil || len(specs) != 1 || len(workers) != 1 {
		t.Errorf("ParseResources with a connector: %d, %d, %v", len(specs), len(workers), err)
	}
	if _, err := ParseManifests(data); err == nil || !strings.Contains(err.Error(), "describes the workers") {
		t.Errorf("ParseManifests of a KafkaConnect: %v", err)
	}
}

// An artifact Tributary does not ship is refused by name, with what is bundled.
func TestKafkaConnectUnknownArtifact(t *testing.T) {
	in := `apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnect
metadata: {name: c}
spec:
  bootstrapServers: k:9092
  build:
    plugins:
      - name: mongo
        artifacts:
          - type: maven
            group: org.mongodb.kafka
            artifact: mongo-kafka-connect
            version: 1.11.0
`
	_, _, err := ParseResources([]byte(in))
	if err == nil || !strings.Contains(err.Error(), "line 10: spec.build.plugins[0].artifacts[0] (mongo): org.mongodb.kafka:mongo-kafka-connect is not a connector Tributary ships") ||
		!strings.Contains(err.Error(), "org.apache.kafka:connect-file → tributary-file") {
		t.Errorf("error = %v", err)
	}
	for ga, bin := range map[string]string{
		"io.debezium:debezium-connector-postgres":  "tributary-postgres",
		"io.confluent:kafka-connect-jdbc":          "tributary-jdbc",
		"io.confluent:kafka-connect-elasticsearch": "tributary-elasticsearch",
		"io.confluent:kafka-connect-s3":            "tributary-s3",
		"io.confluent:kafka-connect-http":          "tributary-http",
		"com.redis:redis-kafka-connect":            "tributary-redis",
	} {
		g, a, _ := strings.Cut(ga, ":")
		if b, ok := matchArtifact(Artifact{Group: g, Artifact: a}); !ok || b != bin {
			t.Errorf("%s → %q, %v; want %s", ga, b, ok, bin)
		}
	}
}

// A KafkaConnect comes from users: reading it may refuse, never panic, and what it
// accepts is whole (every artifact matched).
func FuzzParseResources(f *testing.F) {
	seed, err := os.ReadFile("testdata/kafka-connect.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{string(seed), "apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnect\nmetadata: {name: c}\nspec: {replicas: 0}\n",
		"apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnect\nmetadata: {name: c}\nspec:\n  build: {plugins: [{name: x, artifacts: [{type: jar, url: 'https://x/io/confluent/kafka-connect-s3/1/x.jar'}]}]}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		specs, workers, err := ParseResources(data)
		if err != nil {
			var me *ManifestError
			if !errors.As(err, &me) {
				t.Fatalf("error %v (%T) is not a *ManifestError", err, err)
			}
			if specs != nil || workers != nil {
				t.Fatalf("results returned with error %v", err)
			}
			return
		}
		for _, w := range workers {
			if w.Replicas < -1 || w.Line < 1 {
				t.Fatalf("worker %+v", w)
			}
			for _, p := range w.Plugins {
				for _, a := range p.Artifacts {
					if a.Binary == "" {
						t.Fatalf("artifact %+v accepted with no plugin", a)
					}
				}
			}
		}
	})
}
