package kafka

import (
	"fmt"
	"testing"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestMurmur2MatchesKafka(t *testing.T) {
	// Vectors from Apache Kafka's UtilsTest.testMurmur2.
	cases := map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	}
	for in, want := range cases {
		if got := int32(murmur2([]byte(in))); got != want {
			t.Errorf("murmur2(%q) = %d; want %d", in, got, want)
		}
	}
}

func TestPartitionerMatchesJavaProducer(t *testing.T) {
	// franz-go's StickyKeyPartitioner partitions keyed records exactly as Kafka's Java
	// producer does.
	ref := kgo.StickyKeyPartitioner(nil).ForTopic("t")
	p := NewPartitioner("t")
	for n := int32(1); n <= 13; n += 3 {
		for i := range 200 {
			key := []byte(fmt.Sprintf("key-%d", i))
			got, err := p.Partition(&sarama.ProducerMessage{Partition: -1, Key: sarama.ByteEncoder(key)}, n)
			if err != nil {
				t.Fatal(err)
			}
			if want := ref.Partition(&kgo.Record{Key: key}, int(n)); got != int32(want) {
				t.Fatalf("key %q over %d partitions: %d; want %d", key, n, got, want)
			}
		}
	}
}

func TestPartitionerExplicitAndKeyless(t *testing.T) {
	p := NewPartitioner("t")
	got, err := p.Partition(&sarama.ProducerMessage{Partition: 2, Key: sarama.StringEncoder("k")}, 3)
	if err != nil || got != 2 {
		t.Errorf("explicit partition 2 of 3: %d, %v", got, err)
	}
	if _, err := p.Partition(&sarama.ProducerMessage{Partition: 3}, 3); err != sarama.ErrInvalidPartition {
		t.Errorf("explicit partition 3 of 3: err %v; want ErrInvalidPartition", err)
	}
	seen := map[int32]int{}
	for range 4 * stickyRun {
		got, err := p.Partition(&sarama.ProducerMessage{Partition: -1}, 4)
		if err != nil || got < 0 || got >= 4 {
			t.Fatalf("key-less: %d, %v", got, err)
		}
		seen[got]++
	}
	if len(seen) != 4 {
		t.Errorf("key-less records over 4 runs went to %v; want every partition, a run each", seen)
	}
	dc := p.(sarama.DynamicConsistencyPartitioner)
	if dc.MessageRequiresConsistency(&sarama.ProducerMessage{Partition: -1}) {
		t.Error("a key-less record requires consistency")
	}
	if !dc.MessageRequiresConsistency(&sarama.ProducerMessage{Partition: -1, Key: sarama.StringEncoder("k")}) {
		t.Error("a keyed record does not require consistency")
	}
}
