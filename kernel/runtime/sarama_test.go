package runtime

import (
	"fmt"
	"testing"
	"time"

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

func TestProducerRetriesCoverTheRetryTimeout(t *testing.T) {
	sum := retrySpan
	if got := sum(DefaultSaramaConfig()); got < 2*time.Minute {
		t.Errorf("default producer retries last %v; want about two minutes, as delivery.timeout.ms", got)
	}
	for _, pol := range []errorPolicy{{}, {retryTimeout: 20 * time.Second, maxDelay: time.Minute}} {
		if c := producerConfig(DefaultSaramaConfig(), pol); c.Producer.Retry.Max != 125 {
			t.Errorf("errors.retry.timeout=%v changed the default Retry.Max to %d", pol.retryTimeout, c.Producer.Retry.Max)
		}
	}
	c := producerConfig(DefaultSaramaConfig(), errorPolicy{retryTimeout: 20 * time.Minute, maxDelay: 20 * time.Second})
	if got := sum(c); got < 20*time.Minute || got > 21*time.Minute {
		t.Errorf("errors.retry.timeout=20m: the producer retries for %v", got)
	}
	if d := c.Producer.Retry.BackoffFunc(1, 0); d != retryDelayMin {
		t.Errorf("first backoff %v; want %v", d, retryDelayMin)
	}
	if d := c.Producer.Retry.BackoffFunc(40, 0); d != 20*time.Second {
		t.Errorf("backoff %v; want errors.retry.delay.max.ms", d)
	}
	if c := producerConfig(DefaultSaramaConfig(), errorPolicy{retryTimeout: -1, maxDelay: time.Minute}); sum(c) < 24*time.Hour {
		t.Errorf("errors.retry.timeout=-1: the producer retries for %v only", sum(c))
	}
	c = producerConfig(DefaultSaramaConfig(), errorPolicy{retryTimeout: time.Hour, maxDelay: time.Millisecond})
	if got := sum(c); c.Producer.Retry.Max > maxProduceRetries || got < time.Hour {
		t.Errorf("errors.retry.timeout=1h with 1ms waits: %d attempts over %v", c.Producer.Retry.Max, got)
	}
}
