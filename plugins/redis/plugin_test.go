package main

// Tests of the built tributary-redis binary: the conformance kit, and a real kernel
// (`tributary dev`) running it with converters and a dead letter queue.

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/kernel/conformance"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// TestBinaryConforms runs the kernel's conformance kit against the built binary's Redis
// Inc class writing to a real redis-server: every check passes, and the kit's two
// records (keys k0 and k1) are members of the set.
func TestBinaryConforms(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the plugin process")
	}
	r := testsvc.StartRedis(t)
	results := conformance.Run(t.Context(), pluginBinary(t), conformance.Options{
		Class: "com.redis.kafka.connect.RedisSinkConnector",
		// The kit's values are a string and a struct: a set of the record keys takes both.
		Config: map[string]string{keyURI: r.URL(), keyType: "SET", keyKeyspace: "conformance"},
	})
	for _, res := range results {
		if res.Status != conformance.Pass {
			t.Errorf("%s %s: %s: %s", res.Class, res.Check, res.Status, res.Detail)
		}
	}
	if len(results) == 0 {
		t.Fatal("the kit ran no checks")
	}
	if got, _ := r.CLI("SMEMBERS", "conformance"); !strings.Contains(got, "k0") || !strings.Contains(got, "k1") {
		t.Errorf("SMEMBERS conformance = %q; want k0 and k1", got)
	}
}

// TestBinaryConformsKV runs the kit against jcustenborder's class. Its struct record is
// refused, as upstream refuses any value that is not a string or bytes, and with it the
// kit's batch (nothing of it is written); every other check passes.
func TestBinaryConformsKV(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the plugin process")
	}
	r := testsvc.StartRedis(t)
	results := conformance.Run(t.Context(), pluginBinary(t), conformance.Options{
		Class:  "com.github.jcustenborder.kafka.connect.redis.RedisSinkConnector",
		Config: map[string]string{keyHosts: r.Addr(), keyDatabase: "0"},
	})
	for _, res := range results {
		switch {
		case res.Check == "sink.put":
			if res.Status != conformance.Fail || !strings.Contains(res.Detail, "must be a string or bytes, not a struct") {
				t.Errorf("sink.put: %s: %s; want the struct record refused as not a string or bytes", res.Status, res.Detail)
			}
		case res.Status != conformance.Pass:
			t.Errorf("%s %s: %s: %s", res.Class, res.Check, res.Status, res.Detail)
		}
	}
	if got, _ := r.CLI("DBSIZE"); got != "0" {
		t.Errorf("DBSIZE = %s after the refused batch; want 0", got)
	}
}

// TestThroughTheKernel runs the plugin under a real kernel (`tributary dev`, its embedded
// broker) with JsonConverter values into hashes and errors.tolerance=all: the records
// become hashes, a tombstone deletes its key, and the one record whose key holds a list
// (WRONGTYPE) lands in the dead letter queue with the Redis error in its headers.
func TestThroughTheKernel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tributary dev and the plugin")
	}
	r := testsvc.StartRedis(t)
	rc := client(t, r, 0)
	rc.RPush(ctx, "orders:k1", "a list, not a hash")
	rc.HSet(ctx, "orders:k3", "stale", "yes")
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
	for i, v := range []sarama.Encoder{sarama.StringEncoder(`{"n":1,"name":"a"}`), sarama.StringEncoder(`{"n":2}`),
		sarama.StringEncoder(`{"n":3,"name":"c"}`), nil} {
		k := fmt.Sprintf("k%d", i)
		if i == 3 {
			k = "k3" // a tombstone of k3
		}
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: "orders", Partition: 0, Key: sarama.StringEncoder(k), Value: v}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: "orders", Partition: 0, Key: sarama.StringEncoder("k4"), Value: sarama.StringEncoder(`{"n":4}`)}); err != nil {
		t.Fatal(err)
	}

	body := `{"connector.class":"com.redis.kafka.connect.RedisSinkConnector","tasks.max":"1",
		"topics":"orders","redis.uri":"` + r.URL() + `","redis.type":"HASH","redis.timeout":"5",
		"key.converter":"org.apache.kafka.connect.storage.StringConverter",
		"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"false",
		"errors.tolerance":"all","errors.deadletterqueue.topic.name":"orders-dlq",
		"errors.deadletterqueue.topic.replication.factor":"1","errors.deadletterqueue.context.headers.enable":"true"}`
	dev.PutConnector(t, "redis", body)

	pollFor(t, "hashes k0 and k4 written and k3 deleted", func() (bool, string) {
		keys := rc.Keys(ctx, "*").Val()
		return rc.Exists(ctx, "orders:k0", "orders:k4").Val() == 2 && rc.Exists(ctx, "orders:k3").Val() == 0, fmt.Sprint(keys)
	})
	if got := rc.HGetAll(ctx, "orders:k0").Val(); !reflect.DeepEqual(got, map[string]string{"n": "1", "name": "a"}) {
		t.Errorf("HGETALL orders:k0 = %v; want n=1 name=a", got)
	}
	if typ := rc.Type(ctx, "orders:k1").Val(); typ != "list" {
		t.Errorf("orders:k1 is a %s; want the list it was (its record refused)", typ)
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
		if string(m.Key) != "k1" {
			t.Errorf("DLQ record key %q value %q, want the record k1 whose key holds a list", m.Key, m.Value)
		}
		headers := map[string]string{}
		for _, h := range m.Headers {
			headers[string(h.Key)] = string(h.Value)
		}
		if msg := headers["__connect.errors.exception.message"]; !strings.Contains(msg, "WRONGTYPE") || !strings.Contains(msg, "orders-0@1") {
			t.Errorf("DLQ exception message %q, want the Redis WRONGTYPE error naming orders-0@1", msg)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no record in the dead letter queue orders-dlq within 30s")
	}
}

// pluginBinary returns the tributary-redis binary under test (see testsvc.Built).
func pluginBinary(tb testing.TB) string {
	tb.Helper()
	return testsvc.Built(tb, "plugins/tributary-redis", ".")
}

func TestMain(m *testing.M) {
	code := m.Run()
	testsvc.RemoveBuilt()
	os.Exit(code)
}
