package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// The Strimzi documentation's example connectors, byte for byte.
const strimziSource = `apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnector
metadata:
  name: my-source-connector
  labels:
    # The strimzi.io/cluster label identifies the KafkaConnect instance
    # in which to create this connector. That KafkaConnect instance
    # must have the strimzi.io/use-connector-resources annotation
    # set to true.
    strimzi.io/cluster: my-connect-cluster
spec:
  class: org.apache.kafka.connect.file.FileStreamSourceConnector
  tasksMax: 2
  config:
    file: "/opt/kafka/LICENSE"
    topic: my-topic
`

const strimziSink = `apiVersion: kafka.strimzi.io/v1beta2
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

func TestParseManifests(t *testing.T) {
	cluster := map[string]string{"strimzi.io/cluster": "my-connect-cluster"}
	source := Spec{Name: "my-source-connector", Labels: cluster, Line: 1, Config: map[string]string{
		"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
		"tasks.max":       "2", "file": "/opt/kafka/LICENSE", "topic": "my-topic"}}
	sinkAt := func(line int) Spec {
		return Spec{Name: "my-sink-connector", Labels: cluster, Line: line, Config: map[string]string{
			"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
			"tasks.max":       "2", "file": "/tmp/my-file", "topics": "my-topic"}}
	}
	tests := []struct {
		name string
		in   string
		want []Spec
	}{
		{"strimzi source", strimziSource, []Spec{source}},
		{"strimzi source and sink", strimziSource + "---\n" + strimziSink, []Spec{source, sinkAt(18)}},
		{"empty documents", "---\n# nothing\n---\n", nil},
		{"empty input", "", nil},
		{"strimzi v1 with state and typed config", `apiVersion: kafka.strimzi.io/v1
kind: KafkaConnector
metadata: {name: c}
spec:
  class: file-source
  state: stopped
  config:
    batch.size: 100
    follow: true
    ratio: 0.5
    columns: [a, b, 3]
    dropped: null
`, []Spec{{Name: "c", State: "stopped", Line: 1, Config: map[string]string{"connector.class": "file-source",
			"batch.size": "100", "follow": "true", "ratio": "0.5", "columns": "a,b,3"}}}},
		{"strimzi v1beta1 deprecated pause", `apiVersion: kafka.strimzi.io/v1beta1
kind: KafkaConnector
metadata: {name: c}
spec: {class: file-source, pause: true, autoRestart: {enabled: true}}
`, []Spec{{Name: "c", State: "paused", Line: 1, Config: map[string]string{"connector.class": "file-source"}}}},
		{"state wins over pause", `apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnector
metadata: {name: c}
spec: {class: file-source, pause: true, state: running}
`, []Spec{{Name: "c", State: "running", Line: 1, Config: map[string]string{"connector.class": "file-source"}}}},
		{"status of an exported resource is ignored", `apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnector
metadata: {name: c, namespace: kafka, generation: 3}
spec: {class: file-source}
status: {connectorStatus: {name: c}}
`, []Spec{{Name: "c", Line: 1, Config: map[string]string{"connector.class": "file-source"}}}},
		{"tributary connector", `apiVersion: tributary.dev/v1
kind: Connector
metadata:
  name: orders
  labels: {team: data}
spec:
  class: file-sink
  tasksMax: 3
  state: paused
  config:
    topics: orders
    file: /tmp/orders.txt
`, []Spec{{Name: "orders", State: "paused", Line: 1, Labels: map[string]string{"team": "data"},
			Config: map[string]string{"connector.class": "file-sink", "tasks.max": "3", "topics": "orders", "file": "/tmp/orders.txt"}}}},
		{"kafka connect json body", `{
	"name": "local-file-source",
	"config": {
		"connector.class": "FileStreamSource",
		"tasks.max": 1,
		"file": "test.txt",
		"topic": "connect-test"
	},
	"initial_state": "PAUSED"
}`, []Spec{{Name: "local-file-source", State: "paused", Line: 1, Config: map[string]string{
			"connector.class": "FileStreamSource", "tasks.max": "1", "file": "test.txt", "topic": "connect-test"}}}},
		{"connector info output is accepted", `{"name":"a","config":{"connector.class":"x","name":"a"},"tasks":[{"connector":"a","task":0}],"type":"source"}`,
			[]Spec{{Name: "a", Line: 1, Config: map[string]string{"connector.class": "x", "name": "a"}}}},
		{"json array", `[{"name":"a","config":{"connector.class":"x"}},
{"name":"b","config":{"connector.class":"y"}}]`, []Spec{
			{Name: "a", Line: 1, Config: map[string]string{"connector.class": "x"}},
			{Name: "b", Line: 2, Config: map[string]string{"connector.class": "y"}}}},
		{"kind List", `apiVersion: v1
kind: List
items:
- apiVersion: tributary.dev/v1
  kind: Connector
  metadata: {name: a}
  spec: {class: x}
`, []Spec{{Name: "a", Line: 4, Config: map[string]string{"connector.class": "x"}}}},
		{"anchors and merge keys", `apiVersion: tributary.dev/v1
kind: Connector
metadata: {name: a}
spec:
  class: x
  config:
    <<: &common {key.converter: json, file: /tmp/a}
    file: /tmp/b
`, []Spec{{Name: "a", Line: 1, Config: map[string]string{"connector.class": "x", "key.converter": "json", "file": "/tmp/b"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseManifests([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseManifests: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseManifests:\n got  %+v\n want %+v", got, tt.want)
			}
		})
	}
}

func TestParseManifestsErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		line int
		want string
	}{
		{"tasksMax not a number", strings.Replace(strimziSource, "tasksMax: 2", "tasksMax: two", 1), 13,
			`line 13: spec.tasksMax: expected an integer, got "two"`},
		{"tasksMax zero", strings.Replace(strimziSource, "tasksMax: 2", "tasksMax: 0", 1), 13,
			`line 13: spec.tasksMax: must be at least 1, got 0`},
		{"error in the second document", strimziSource + "---\n" + strings.Replace(strimziSink, "my-topic", "[a, {b: c}]", 1), 29,
			`line 29: spec.config.topics: list items must be strings, numbers or booleans, got a mapping`},
		{"yaml syntax error keeps its line", "apiVersion: tributary.dev/v1\nkind: Connector\nmetadata:\n  name: a\n   b: c\n", 5,
			"line 5: invalid YAML: mapping values are not allowed in this context"},
		{"yaml parser error on the right line", "name: bad\nconfig:\n  connector.class: x\n  file: [unclosed\n", 4,
			"line 4: invalid YAML: did not find expected ',' or ']'"},
		{"yaml parser error in a later document", strimziSource + "---\n- a\nb: c\n", 18,
			"line 18: invalid YAML: did not find expected '-' indicator"},
		{"yaml error on the first line", "\t- a", 1, "line 1: invalid YAML: found character that cannot start any token"},
		{"unreadable bytes", "a: \x00", 0, "invalid YAML: control characters are not allowed"},
		{"unknown kind", "apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaMirrorMaker2\nmetadata: {name: a}\n", 2,
			`line 2: unknown kind "KafkaMirrorMaker2"; accepted are kind KafkaConnector or KafkaConnect (apiVersion kafka.strimzi.io/v1beta2, v1beta1, v1 or v1alpha1), kind Connector (apiVersion tributary.dev/v1), or a Kafka Connect {"name": …, "config": {…}} object`},
		{"wrong apiVersion", "apiVersion: tributary.dev/v2\nkind: Connector\nmetadata: {name: a}\nspec: {class: x}\n", 1,
			`line 1: apiVersion "tributary.dev/v2" is not a Tributary Connector version; use tributary.dev/v1`},
		{"no kind", "metadata: {name: a}\n", 1,
			`line 1: not a connector manifest: it has no kind; accepted are kind KafkaConnector or KafkaConnect (apiVersion kafka.strimzi.io/v1beta2, v1beta1, v1 or v1alpha1), kind Connector (apiVersion tributary.dev/v1), or a Kafka Connect {"name": …, "config": {…}} object`},
		{"no name", "apiVersion: tributary.dev/v1\nkind: Connector\nmetadata:\n  labels: {a: b}\nspec: {class: x}\n", 4,
			"line 4: metadata.name is required"},
		{"no class", "apiVersion: tributary.dev/v1\nkind: Connector\nmetadata: {name: a}\nspec:\n  config: {file: x}\n", 5,
			"line 5: spec.class is required: name the connector, e.g. class: file-source"},
		{"unknown spec field", "apiVersion: tributary.dev/v1\nkind: Connector\nmetadata: {name: a}\nspec:\n  class: x\n  taskMax: 2\n", 6,
			"line 6: spec.taskMax: unknown field; the fields of a Connector spec are class, tasksMax, config, state"},
		{"bad state", "apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnector\nmetadata: {name: a}\nspec:\n  class: x\n  state: halted\n", 6,
			`line 6: spec.state: expected running, paused or stopped, got "halted"`},
		{"bad pause", "apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnector\nmetadata: {name: a}\nspec:\n  class: x\n  pause: sometimes\n", 6,
			`line 6: spec.pause: expected true or false, got "sometimes"`},
		{"nested config value", "apiVersion: tributary.dev/v1\nkind: Connector\nmetadata: {name: a}\nspec:\n  class: x\n  config:\n    a:\n      b: c\n", 8,
			"line 8: spec.config.a: expected a string, number or boolean, got a mapping"},
		{"duplicate key", "apiVersion: tributary.dev/v1\nkind: Connector\nmetadata: {name: a}\nspec:\n  class: x\n  config:\n    a: 1\n    a: 2\n", 8,
			"line 8: spec.config.a: defined twice (first at line 7)"},
		{"duplicate connector", strimziSink + "---\n" + strimziSink, 14,
			`line 14: connector "my-sink-connector" is defined twice (first at line 1)`},
		{"config name mismatch", `{"name":"a","config":{"name":"b","connector.class":"x"}}`, 1,
			"line 1: config.name (b) does not match name (a)"},
		{"rest body without class", "{\"name\": \"a\",\n \"config\": {\"file\": \"x\"}}", 2,
			`line 2: config.connector.class is required: name the connector, e.g. "connector.class": "file-source"`},
		{"rest body bad initial state", `{"name":"a","config":{"connector.class":"x"},"initial_state":"ON"}`, 1,
			`line 1: initial_state: expected RUNNING, PAUSED or STOPPED, got "ON"`},
		{"rest body unknown field", "{\"name\":\"a\",\n\"configs\":{}}", 2,
			"line 2: configs: unknown field in a Kafka Connect connector object; the fields are name, config and initial_state"},
		{"scalar document", "hello\n", 1,
			`line 1: expected a connector manifest (a mapping), got a scalar; accepted are kind KafkaConnector or KafkaConnect (apiVersion kafka.strimzi.io/v1beta2, v1beta1, v1 or v1alpha1), kind Connector (apiVersion tributary.dev/v1), or a Kafka Connect {"name": …, "config": {…}} object`},
		{"metadata name a list", "apiVersion: tributary.dev/v1\nkind: Connector\nmetadata:\n  name: [a]\nspec: {class: x}\n", 4,
			"line 4: metadata.name: expected a string, got a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			specs, err := ParseManifests([]byte(tt.in))
			if err == nil {
				t.Fatalf("ParseManifests = %+v, want error %q", specs, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got  %s\n want %s", err, tt.want)
			}
			var me *ManifestError
			if !errors.As(err, &me) || me.Line != tt.line {
				t.Errorf("error line = %v, want %d", me, tt.line)
			}
			if specs != nil {
				t.Errorf("specs = %+v alongside an error, want none", specs)
			}
		})
	}
}

func FuzzParseManifests(f *testing.F) {
	for _, s := range []string{
		strimziSource, strimziSource + "---\n" + strimziSink,
		`{"name":"a","config":{"connector.class":"x","tasks.max":1},"initial_state":"PAUSED"}`,
		"apiVersion: v1\nkind: List\nitems:\n- {name: a, config: {connector.class: x}}\n",
		"a: &x [*x]\n", "spec:\n  config:\n    <<: [{a: 1}, {b: 2}]\n", "\t- a", "---\n---\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		specs, err := ParseManifests(data)
		if err != nil {
			var me *ManifestError
			if !errors.As(err, &me) {
				t.Fatalf("error %v (%T) is not a *ManifestError", err, err)
			}
			if specs != nil {
				t.Fatalf("specs %v returned with error %v", specs, err)
			}
			return
		}
		names := map[string]bool{}
		for _, s := range specs {
			if strings.TrimSpace(s.Name) == "" || strings.TrimSpace(s.Config[KeyClass]) == "" {
				t.Fatalf("spec without name or class: %+v", s)
			}
			if names[s.Name] {
				t.Fatalf("duplicate name %q accepted", s.Name)
			}
			names[s.Name] = true
			switch s.State {
			case "", StateRunning, StatePaused, StateStopped:
			default:
				t.Fatalf("spec with state %q", s.State)
			}
			if s.Line < 1 {
				t.Fatalf("spec with line %d", s.Line)
			}
		}
	})
}

func TestParseManifestsMergeBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: tributary.dev/v1\nkind: Connector\nmetadata:\n  name: a\n  annotations:\n    l0: &l0 {k0: v, k1: v}\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "    l%d: &l%d {<<: [*l%d, *l%d]}\n", i, i, i-1, i-1)
	}
	b.WriteString("spec:\n  class: x\n  config:\n    <<: *l40\n")
	_, err := ParseManifests([]byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "merge keys (<<) expand to too many keys") {
		t.Fatalf("ParseManifests = %v, want the merge budget error", err)
	}
}
