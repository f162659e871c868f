package main

// The sink and the source under a real kernel: `tributary dev` (its embedded broker, one
// kernel node) runs the built plugin.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// pollUntil waits (testsvc.Eventually) until cond returns true or timeout passes.
func pollUntil(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	testsvc.Eventually(t, timeout, what, func() bool {
		var ok bool
		ok, last = cond()
		return ok
	}, func() string { return "last seen: " + last })
}

// startDev starts `tributary dev` running the built plugin and the others given.
func startDev(t *testing.T, dataDir string, ports []int, others ...string) *testsvc.Dev {
	t.Helper()
	return testsvc.StartDev(t, testsvc.DevOptions{DataDir: dataDir, Ports: ports, Plugins: append([]string{pluginBinary(t)}, others...)})
}

func saramaConfig() *sarama.Config {
	sc := sarama.NewConfig()
	sc.Version = sarama.V3_6_0_0
	sc.Producer.Return.Successes = true
	sc.Producer.Partitioner = sarama.NewManualPartitioner
	return sc
}

func freePorts(t *testing.T, n int) []int {
	ports := make([]int, n)
	for i := range ports {
		ports[i] = testsvc.FreePort(t)
	}
	return ports
}

// TestConstraintViolationGoesToTheDeadLetterQueue runs the sink under a real kernel with
// errors.tolerance=all: of three records, the second breaks the table's CHECK
// constraint; it lands in the DLQ topic with the database's error in its headers, and the
// other two are written.
func TestConstraintViolationGoesToTheDeadLetterQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tributary dev, the plugin and PostgreSQL")
	}
	db := startDB(t, postgres)
	db.exec(`CREATE TABLE orders (id int PRIMARY KEY, qty int NOT NULL CHECK (qty >= 0))`)
	k := startDev(t, t.TempDir(), freePorts(t, 6))
	sc := saramaConfig()
	admin, err := sarama.NewClusterAdmin(k.Brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, topic := range []string{"orders", "orders-dlq"} {
		if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
			t.Fatalf("create topic %s: %v", topic, err)
		}
	}
	p, err := sarama.NewSyncProducer(k.Brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	schema := `{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"int32","optional":false,"field":"qty"}],"optional":false,"name":"orders"}`
	for i, qty := range []int{5, -1, 7} {
		v := fmt.Sprintf(`{"schema":%s,"payload":{"id":%d,"qty":%d}}`, schema, i+1, qty)
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: "orders", Partition: 0, Value: sarama.StringEncoder(v)}); err != nil {
			t.Fatal(err)
		}
	}
	k.PutConnector(t, "pg-sink", fmt.Sprintf(`{"connector.class":%q,"tasks.max":"1","topics":"orders",
		"connection.url":%q,"connection.user":%q,"insert.mode":"insert","retry.backoff.ms":"1",
		"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"true",
		"errors.tolerance":"all","errors.deadletterqueue.topic.name":"orders-dlq",
		"errors.deadletterqueue.topic.replication.factor":"1","errors.deadletterqueue.context.headers.enable":"true"}`, sinkClass, db.url, db.user))

	pollUntil(t, 60*time.Second, "rows 1 and 3 written", func() (bool, string) {
		got := db.exec("SELECT id, qty FROM orders ORDER BY id")
		return got == "1\t5\n3\t7", got
	})
	c, err := sarama.NewConsumer(k.Brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pc, err := c.ConsumePartition("orders-dlq", 0, sarama.OffsetOldest)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.AsyncClose()
	select {
	case m := <-pc.Messages():
		if !strings.Contains(string(m.Value), `"qty":-1`) {
			t.Errorf("DLQ record value %s, want the record of qty -1", m.Value)
		}
		headers := map[string]string{}
		for _, h := range m.Headers {
			headers[string(h.Key)] = string(h.Value)
		}
		if msg := headers["__connect.errors.exception.message"]; !strings.Contains(msg, "check constraint") {
			t.Errorf("DLQ exception message %q, want PostgreSQL's check constraint error", msg)
		}
		if headers["__connect.errors.offset"] != "1" {
			t.Errorf("DLQ offset header %q, want 1; headers %v", headers["__connect.errors.offset"], headers)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no record in the dead letter queue orders-dlq within 30s")
	}
}
