package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/plugins/testsvc"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// End-to-end tests of the runtime's Kafka Connect semantics with real binaries: error
// tolerance and the dead letter queue on a poison record, and config providers.

func e2eSaramaConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.Version = sarama.V3_6_0_0
	c.Producer.Return.Successes = true
	c.Producer.Partitioner = sarama.NewManualPartitioner
	return c
}

// createTopic creates a one-partition topic with a sarama admin client.
func createTopic(t *testing.T, broker, topic string) {
	t.Helper()
	admin, err := sarama.NewClusterAdmin([]string{broker}, e2eSaramaConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
		t.Fatal(err)
	}
}

// produceValues writes values in order to partition 0 of topic, keyed k<first+i>.
func produceValues(t *testing.T, broker, topic string, first int, values []string) {
	t.Helper()
	p, err := sarama.NewSyncProducer([]string{broker}, e2eSaramaConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var msgs []*sarama.ProducerMessage
	for i, v := range values {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Partition: 0,
			Key: sarama.StringEncoder(fmt.Sprintf("k%d", first+i)), Value: sarama.StringEncoder(v),
			Headers: []sarama.RecordHeader{{Key: []byte("origin"), Value: []byte("e2e")}}})
	}
	if err := p.SendMessages(msgs); err != nil {
		t.Fatal(err)
	}
}

// consumeAll reads every record partition 0 of topic holds.
func consumeAll(t *testing.T, broker, topic string) []*sarama.ConsumerMessage {
	t.Helper()
	c, err := sarama.NewClient([]string{broker}, e2eSaramaConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hw, err := c.GetOffset(topic, 0, sarama.OffsetNewest)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := sarama.NewConsumerFromClient(c)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	pc, err := cons.ConsumePartition(topic, 0, sarama.OffsetOldest)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.AsyncClose()
	var out []*sarama.ConsumerMessage
	for int64(len(out)) < hw {
		select {
		case m := <-pc.Messages():
			out = append(out, m)
		case <-time.After(20 * time.Second):
			t.Fatalf("read %d of %d records from %s", len(out), hw, topic)
		}
	}
	return out
}

// applyJSON writes a Kafka Connect REST body to a file and applies it with the CLI.
func applyJSON(t *testing.T, a *agent, name string, cfg map[string]string) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"name": name, "config": cfg})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), name+".json")
	if err := os.WriteFile(f, body, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := a.cli(t, "apply", "-f", f); err != nil {
		t.Fatalf("tributary apply: %v\n%s", err, out)
	}
}

func jsonLines(from, to int, skip ...int) []string {
	var out []string
	for i := from; i < to; i++ {
		if !slices.Contains(skip, i) {
			out = append(out, fmt.Sprintf(`{"n":%d}`, i))
		}
	}
	return out
}

func TestPoisonRecordToleranceAndDeadLetterQueueEndToEnd(t *testing.T) {
	e2e(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.txt")
	broker := startBrokerProc(t)
	a := startAgent(t, agentOpts{id: "n1", broker: broker, dataDir: filepath.Join(dir, "node")})
	cl := a.client(t)

	createTopic(t, broker, "events")
	const poison = "this is { not json"
	values := jsonLines(0, 10)
	values[4] = poison
	produceValues(t, broker, "events", 0, values)

	cfg := map[string]string{
		"connector.class":                "org.apache.kafka.connect.file.FileStreamSinkConnector",
		"tasks.max":                      "1",
		"topics":                         "events",
		"file":                           out,
		"key.converter":                  "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable": "false",
	}
	applyJSON(t, a, "poison-sink", cfg)

	// errors.tolerance=none (the default): the task fails on the poison record, naming it.
	st := waitStatus(t, cl, "poison-sink", 30*time.Second, "task FAILED", allTasks("FAILED"))
	trace := st.Tasks[0].Trace
	for _, want := range []string{"Tolerance exceeded in error handler", "stage VALUE_CONVERTER",
		"org.apache.kafka.connect.json.JsonConverter", `topic "events" partition 0 offset 4`} {
		if !strings.Contains(trace, want) {
			t.Errorf("trace %q does not mention %q", trace, want)
		}
	}
	// The records before it are in the file; nothing after it.
	waitLines(t, out, 4, 20*time.Second)
	// The task is FAILED at the poison record: nothing after it may land.
	var got []string
	testsvc.Consistently(t, 500*time.Millisecond, "the file holds the 4 records before the poison and nothing more",
		func() bool {
			got = readLines(t, out)
			return strings.Join(got, " ") == strings.Join(jsonLines(0, 4), " ")
		},
		func() string { return fmt.Sprintf("it holds %v", got) })
	statusOut, err := a.cli(t, "connectors", "status", "poison-sink")
	if err != nil || !strings.Contains(statusOut, "FAILED") || !strings.Contains(statusOut, "offset 4") {
		t.Errorf("tributary connectors status: %v\n%s", err, statusOut)
	}

	// Fixed: tolerate errors, dead-letter the poison with its context, restart.
	cfg["errors.tolerance"] = "all"
	cfg["errors.deadletterqueue.topic.name"] = "events-dlq"
	cfg["errors.deadletterqueue.context.headers.enable"] = "true"
	cfg["errors.log.enable"] = "true"
	applyJSON(t, a, "poison-sink", cfg)
	if out, err := a.cli(t, "connectors", "restart", "poison-sink", "--include-tasks", "--only-failed"); err != nil {
		t.Fatalf("tributary connectors restart: %v\n%s", err, out)
	}
	waitStatus(t, cl, "poison-sink", 30*time.Second, "task RUNNING", allTasks("RUNNING"))
	// The pipeline goes on: later records arrive too.
	produceValues(t, broker, "events", 10, jsonLines(10, 15))
	sent := jsonLines(0, 15, 4)
	waitDelivered(t, out, sent, 30*time.Second)

	// The poison record is in the dead letter queue, byte for byte, with the context
	// headers. Read it back with sarama, and with kcat when it is installed.
	var dead []*sarama.ConsumerMessage
	testsvc.WaitFor(20*time.Second, func() bool { dead = consumeAll(t, broker, "events-dlq"); return len(dead) > 0 })
	if len(dead) != 1 {
		t.Fatalf("the dead letter queue holds %d records; want the poison record alone", len(dead))
	}
	d := dead[0]
	if string(d.Key) != "k4" || string(d.Value) != poison {
		t.Errorf("dead-lettered key %q value %q; want k4 / %q", d.Key, d.Value, poison)
	}
	headers := map[string]string{}
	for _, h := range d.Headers {
		headers[string(h.Key)] = string(h.Value)
	}
	want := map[string]string{
		"origin":                                "e2e",
		"__connect.errors.topic":                "events",
		"__connect.errors.partition":            "0",
		"__connect.errors.offset":               "4",
		"__connect.errors.connector.name":       "poison-sink",
		"__connect.errors.task.id":              "0",
		"__connect.errors.stage":                "VALUE_CONVERTER",
		"__connect.errors.class.name":           "org.apache.kafka.connect.json.JsonConverter",
		"__connect.errors.exception.class.name": "org.apache.kafka.connect.errors.DataException",
	}
	for k, v := range want {
		if headers[k] != v {
			t.Errorf("dead letter header %s = %q; want %q", k, headers[k], v)
		}
	}
	for _, k := range []string{"__connect.errors.exception.message", "__connect.errors.exception.stacktrace"} {
		if headers[k] == "" {
			t.Errorf("dead letter header %s is missing", k)
		}
	}
	kcat := testsvc.RequireCommand(t, "kcat", "apt-get install kcat")
	kout, err := exec.Command(kcat, "-b", broker, "-C", "-t", "events-dlq", "-e", "-q", "-f", "%k|%h|%s\n").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat: %v\n%s", err, kout)
	}
	for _, w := range []string{"k4|", "__connect.errors.topic=events", "__connect.errors.partition=0",
		"__connect.errors.offset=4", "__connect.errors.stage=VALUE_CONVERTER", "__connect.errors.connector.name=poison-sink",
		"|" + poison} {
		if !strings.Contains(string(kout), w) {
			t.Errorf("kcat's view of the dead letter queue lacks %q:\n%s", w, kout)
		}
	}
}

func TestConfigProviderSecretNeverShownEndToEnd(t *testing.T) {
	e2e(t)
	dir := t.TempDir()
	tok := make([]byte, 8)
	rand.Read(tok)
	secret := "secret-out-" + hex.EncodeToString(tok)
	target := filepath.Join(dir, secret+".txt")
	props := filepath.Join(dir, "x.properties")
	if err := os.WriteFile(props, []byte("# where the sink writes\npath="+target+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	broker := startBrokerProc(t)
	a := startAgent(t, agentOpts{id: "n1", broker: broker, dataDir: filepath.Join(dir, "node")})
	cl := a.client(t)
	createTopic(t, broker, "cp-in")
	placeholder := "${file:" + props + ":path}"
	applyJSON(t, a, "cp-sink", map[string]string{
		"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
		"topics":          "cp-in",
		"file":            placeholder,
		"value.converter": "org.apache.kafka.connect.storage.StringConverter",
	})
	waitStatus(t, cl, "cp-sink", 30*time.Second, "task RUNNING", allTasks("RUNNING"))
	sent := numbered("line", 0, 10)
	produceValues(t, broker, "cp-in", 0, sent)
	// The running task has the resolved value: it writes to the file the provider named.
	waitDelivered(t, target, sent, 30*time.Second)

	var shown strings.Builder
	for _, args := range [][]string{
		{"connectors", "get", "cp-sink"}, {"connectors", "config", "cp-sink"}, {"connectors", "status", "cp-sink"},
		{"connectors", "get", "cp-sink", "-o", "json"},
	} {
		out, err := a.cli(t, args...)
		if err != nil {
			t.Fatalf("tributary %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		fmt.Fprintf(&shown, "$ tributary %s\n%s\n", strings.Join(args, " "), out)
	}
	for _, path := range []string{"/connectors/cp-sink", "/connectors/cp-sink/config", "/connectors/cp-sink/tasks",
		"/connectors/cp-sink/status", "/connectors?expand=info&expand=status"} {
		resp, err := http.Get("http://" + a.rest + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s\n%s", path, resp.Status, body)
		}
		fmt.Fprintf(&shown, "GET %s\n%s\n", path, body)
	}
	if strings.Contains(shown.String(), secret) {
		t.Errorf("the resolved value %s is shown:\n%s", secret, shown.String())
	}
	if !strings.Contains(shown.String(), "${file:") {
		t.Errorf("the placeholder is not shown as stored:\n%s", shown.String())
	}
	taskCfgs, err := cl.GetTaskConfigs(t.Context(), &adminv1.ConnectorRequest{Name: "cp-sink"})
	if err != nil || len(taskCfgs.GetTasks()) != 1 || taskCfgs.Tasks[0].Config["file"] != placeholder {
		t.Errorf("task configs %v, %v; want the placeholder as stored", taskCfgs, err)
	}
	if logs := a.out.String(); strings.Contains(logs, secret) {
		t.Errorf("the agent's log shows the resolved value %s:\n%s", secret, logs)
	}
	// Nothing the node keeps on disk (the Raft log, its snapshots, the stable store)
	// holds the resolved value: the state stores the placeholder, resolved at task start.
	var files int
	err = filepath.WalkDir(filepath.Join(dir, "node"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&fs.ModeSocket != 0 {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the resolved value %s", path, secret)
		}
		if strings.HasSuffix(path, "raft.db") && !bytes.Contains(b, []byte(placeholder)) {
			t.Errorf("%s does not hold the placeholder: is the connector's config stored there?", path)
		}
		return nil
	})
	if err != nil || files == 0 {
		t.Errorf("reading the node's data dir: %v (%d files)", err, files)
	}
}
