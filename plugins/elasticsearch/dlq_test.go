package main

// A malformed document through the kernel: `tributary dev` (its embedded broker, one
// kernel node) runs the built plugin; errors.tolerance=all sends the document
// Elasticsearch refuses to the dead letter queue and writes the others.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// pollUntil calls cond every 50ms until it returns true or the deadline passes.
func pollUntil(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	testsvc.Eventually(t, timeout, what, func() bool {
		var ok bool
		ok, last = cond()
		return ok
	}, func() string { return "last seen: " + last })
}

// TestMalformedDocumentGoesToTheDeadLetterQueue runs the plugin under a real kernel with
// errors.tolerance=all: of three records, the one whose field Elasticsearch maps as an
// integer holds text; it lands in the DLQ topic with the Elasticsearch error in its
// headers, and the other two are indexed.
func TestMalformedDocumentGoesToTheDeadLetterQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tributary dev and the plugin")
	}
	es := startES(t)
	es.Map("orders", "n", "integer")
	dev := testsvc.StartDev(t, testsvc.DevOptions{Plugins: []string{pluginBinary(t)}})
	brokers := dev.Brokers
	sc := sarama.NewConfig()
	sc.Version = sarama.V3_6_0_0
	sc.Producer.Return.Successes = true
	sc.Producer.Partitioner = sarama.NewManualPartitioner
	admin, err := sarama.NewClusterAdmin(brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, topic := range []string{"orders", "orders-dlq"} {
		if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
			t.Fatalf("create topic %s: %v", topic, err)
		}
	}
	p, err := sarama.NewSyncProducer(brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i, v := range []string{`{"n":1}`, `{"n":"not a number"}`, `{"n":3}`} {
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: "orders", Partition: 0,
			Key: sarama.StringEncoder(fmt.Sprintf("k%d", i)), Value: sarama.StringEncoder(v)}); err != nil {
			t.Fatal(err)
		}
	}

	body := fmt.Sprintf(`{"connector.class":"io.confluent.connect.elasticsearch.ElasticsearchSinkConnector","tasks.max":"1",
		"topics":"orders","connection.url":%q,"key.ignore":"false","schema.ignore":"true","retry.backoff.ms":"1",
		"key.converter":"org.apache.kafka.connect.storage.StringConverter",
		"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"false",
		"errors.tolerance":"all","errors.deadletterqueue.topic.name":"orders-dlq",
		"errors.deadletterqueue.topic.replication.factor":"1","errors.deadletterqueue.context.headers.enable":"true"}`, es.URL)
	dev.PutConnector(t, "es", body)

	pollUntil(t, 60*time.Second, "documents k0 and k2 indexed", func() (bool, string) {
		docs := es.Docs("orders")
		return docs["k0"] != nil && docs["k2"] != nil, fmt.Sprint(keys(docs))
	})
	if _, _, ok := es.Doc("orders", "k1"); ok {
		t.Error("the malformed document k1 is in the index")
	}

	c, err := sarama.NewConsumer(brokers, sc)
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
		if string(m.Key) != "k1" || string(m.Value) != `{"n":"not a number"}` {
			t.Errorf("DLQ record key %q value %q, want the malformed record k1", m.Key, m.Value)
		}
		headers := map[string]string{}
		for _, h := range m.Headers {
			headers[string(h.Key)] = string(h.Value)
		}
		if msg := headers["__connect.errors.exception.message"]; !strings.Contains(msg, "mapper_parsing_exception") || !strings.Contains(msg, "offset=1") {
			t.Errorf("DLQ exception message %q, want the Elasticsearch error naming offset=1", msg)
		}
		if headers["__connect.errors.offset"] != "1" {
			t.Errorf("DLQ offset header %q, want 1; headers %v", headers["__connect.errors.offset"], headers)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no record in the dead letter queue orders-dlq within 30s")
	}
}
