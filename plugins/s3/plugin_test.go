package main

// Tests of the built tributary-s3 binary: the conformance kit, and a real kernel
// (`tributary dev`) running it, SIGKILLed mid-file and started again.

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/kernel/conformance"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// TestBinaryConforms runs the kernel's conformance kit against the built binary writing
// JSON to versitygw: every check passes. The kit's first record (a string) is uploaded
// when the second (a struct) changes the value schema; the second stays in the open file
// (flush.size=10), which closing the task drops.
func TestBinaryConforms(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the plugin process")
	}
	s := startS3(t)
	cfg := conf(s, map[string]string{keyFlushSize: "10"})
	delete(cfg, keyTopics)
	results := conformance.Run(t.Context(), pluginBinary(t), conformance.Options{Class: "io.confluent.connect.s3.S3SinkConnector", Config: cfg})
	for _, res := range results {
		if res.Status != conformance.Pass {
			t.Errorf("%s %s: %s: %s", res.Class, res.Check, res.Status, res.Detail)
		}
	}
	if len(results) == 0 {
		t.Fatal("the kit ran no checks")
	}
	want := "topics/tributary-conformance/partition=0/tributary-conformance+0+0000000000.json"
	if got := keys(t, s, ""); len(got) != 1 || got[0] != want {
		t.Fatalf("objects %v after the kit; want only %s", got, want)
	}
	if got := string(get(t, s, want)); got != "\"conformance\"\n" {
		t.Errorf("%s = %q; want the string record", want, got)
	}
}

// TestKernelKilledMidFile runs the plugin under a real kernel (`tributary dev`, its
// embedded broker) writing JSON objects of ten records from two partitions. The kernel is
// SIGKILLed once some objects are uploaded, with records in open files, and started again
// on the same data: it resumes from the committed offsets and rewrites any object it
// uploaded but had not committed under the same name. In the end the bucket holds every
// record exactly once.
func TestKernelKilledMidFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tributary dev and the plugin, and kills it")
	}
	s := startS3(t)
	bin := pluginBinary(t)
	opts := testsvc.DevOptions{Plugins: []string{bin}, DataDir: t.TempDir(), Ports: testsvc.DevPorts(t)}
	dev := testsvc.StartDev(t, opts)

	sc := sarama.NewConfig()
	sc.Version = sarama.V3_6_0_0
	sc.Producer.Return.Successes = true
	sc.Producer.Partitioner = sarama.NewManualPartitioner
	admin, err := sarama.NewClusterAdmin(dev.Brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.CreateTopic("orders", &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	admin.Close()
	produce := func(brokers []string, from, to int) {
		t.Helper()
		p, err := sarama.NewSyncProducer(brokers, sc)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		msgs := make([]*sarama.ProducerMessage, 0, to-from)
		for n := from; n < to; n++ {
			msgs = append(msgs, &sarama.ProducerMessage{Topic: "orders", Partition: int32(n % 2),
				Key: sarama.StringEncoder(fmt.Sprint(n)), Value: sarama.StringEncoder(fmt.Sprintf(`{"n":%d}`, n))})
		}
		if err := p.SendMessages(msgs); err != nil {
			t.Fatal(err)
		}
	}
	produce(dev.Brokers, 0, 145) // 72 and 73 records: 7 objects each, the rest in open files

	body, _ := json.Marshal(map[string]string{
		"connector.class": "io.confluent.connect.s3.S3SinkConnector", "tasks.max": "1", "topics": "orders",
		keyBucket: bucket, keyStoreURL: s.Endpoint(), keyRegion: s.Region, keyAccessKey: s.AccessKey, keySecretKey: s.SecretKey,
		keyFormat: formatJSON, keyFlushSize: "10", keyStorageClass: s3StorageClass,
		"key.converter":   "org.apache.kafka.connect.storage.StringConverter",
		"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
	})
	dev.PutConnector(t, "s3", string(body))
	var got []string
	testsvc.Eventually(t, testsvc.WaitLimit, "14 objects uploaded", func() bool {
		got = keys(t, s, "")
		return len(got) >= 14
	}, func() string { return fmt.Sprint(got) })
	dev.Kill()

	dev = testsvc.StartDev(t, opts)
	produce(dev.Brokers, 145, 300) // 150 records each: 15 objects each
	testsvc.Eventually(t, testsvc.WaitLimit, "30 objects uploaded", func() bool {
		got = keys(t, s, "")
		return len(got) >= 30
	}, func() string { return fmt.Sprint(got) })

	seen := map[int]int{}
	for _, k := range got {
		var start int
		var p int
		if _, err := fmt.Sscanf(k[strings.LastIndexByte(k, '/')+1:], "orders+%d+%d.json", &p, &start); err != nil || !strings.HasPrefix(k, fmt.Sprintf("topics/orders/partition=%d/", p)) {
			t.Errorf("object %s is not named topics/orders/partition=<p>/orders+<p>+<offset>.json", k)
			continue
		}
		ls := lines(get(t, s, k))
		if len(ls) != 10 {
			t.Errorf("object %s has %d records; want 10", k, len(ls))
		}
		for i, l := range ls {
			var v struct{ N int }
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatalf("object %s line %q: %v", k, l, err)
			}
			if v.N%2 != p || v.N/2 != start+i {
				t.Errorf("object %s line %d is record %d; want partition %d offset %d", k, i, v.N, p, start+i)
			}
			seen[v.N]++
		}
	}
	var wrong []string
	for n := 0; n < 300; n++ {
		if seen[n] != 1 {
			wrong = append(wrong, fmt.Sprintf("%d×%d", n, seen[n]))
		}
	}
	sort.Strings(got)
	if len(got) != 30 || len(wrong) > 0 {
		t.Errorf("%d objects %v; records not exactly once (record×copies): %v", len(got), got, wrong)
	}
}

// pluginBinary returns the tributary-s3 binary under test (see testsvc.Built).
func pluginBinary(tb testing.TB) string {
	tb.Helper()
	return testsvc.Built(tb, "plugins/tributary-s3", ".")
}

func TestMain(m *testing.M) {
	code := m.Run()
	testsvc.RemoveBuilt()
	os.Exit(code)
}
