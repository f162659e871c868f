package runtime

import (
	"math/rand/v2"
	"time"

	"github.com/IBM/sarama"
)

// DefaultSaramaConfig is the client configuration tasks use unless Config.Sarama says
// otherwise: Kafka 3.6 protocol, an idempotent producer waiting for all in-sync replicas,
// batching tuned for throughput, and Kafka's own partitioning (see NewPartitioner).
func DefaultSaramaConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "tributary"
	c.Version = sarama.V3_6_0_0
	c.ChannelBufferSize = 4096

	c.Producer.Idempotent = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Net.MaxOpenRequests = 1
	c.Producer.Return.Successes = true
	c.Producer.Return.Errors = true
	c.Producer.Partitioner = NewPartitioner
	c.Producer.Retry.Max = 10
	c.Producer.Retry.Backoff = 100 * time.Millisecond
	// Linger briefly so records for one partition share a batch; while a request is in
	// flight (one at a time, for idempotence) the next batch fills anyway.
	c.Producer.Flush.Frequency = 5 * time.Millisecond
	c.Producer.Flush.Bytes = 1 << 20

	c.Consumer.Return.Errors = true
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Fetch.Default = 4 << 20
	c.Consumer.MaxWaitTime = 250 * time.Millisecond
	c.Metadata.RefreshFrequency = time.Minute
	return c
}

// forceSaramaConfig sets what the runtime depends on, whatever Config.Sarama returned: the
// offset tracker needs every produce result, and the sink loop every consumer error.
func forceSaramaConfig(c *sarama.Config) {
	c.Producer.Return.Successes = true
	c.Producer.Return.Errors = true
	c.Consumer.Return.Errors = true
	if c.Producer.Idempotent {
		c.Net.MaxOpenRequests = 1
	}
}

// NewPartitioner is a sarama.PartitionerConstructor that partitions as Kafka's Java
// producer does, so records land where Kafka Connect would put them: an explicit partition
// (>= 0) is used as is; a keyed record goes to murmur2(key) mod partitions; a record with
// no key sticks to one partition for a run of records, then moves on (Kafka's sticky
// partitioner), which keeps batches large.
func NewPartitioner(string) sarama.Partitioner {
	return &kafkaPartitioner{sticky: -1}
}

type kafkaPartitioner struct {
	sticky int32
	left   int
}

// stickyRun is how many key-less records go to one partition before the next is chosen.
const stickyRun = 1024

func (p *kafkaPartitioner) Partition(msg *sarama.ProducerMessage, n int32) (int32, error) {
	if msg.Partition >= 0 {
		if msg.Partition >= n {
			return -1, sarama.ErrInvalidPartition
		}
		return msg.Partition, nil
	}
	if msg.Key != nil {
		key, err := msg.Key.Encode()
		if err != nil {
			return -1, err
		}
		if key != nil {
			return int32(murmur2(key)&0x7fffffff) % n, nil
		}
	}
	if p.left <= 0 || p.sticky < 0 || p.sticky >= n {
		if p.sticky < 0 || p.sticky >= n {
			p.sticky = rand.Int32N(n)
		} else {
			p.sticky = (p.sticky + 1) % n
		}
		p.left = stickyRun
	}
	p.left--
	return p.sticky, nil
}

// RequiresConsistency implements sarama.Partitioner.
func (p *kafkaPartitioner) RequiresConsistency() bool { return true }

// MessageRequiresConsistency implements sarama.DynamicConsistencyPartitioner: only
// key-less records without an explicit partition may go to whichever partition is
// writable.
func (p *kafkaPartitioner) MessageRequiresConsistency(msg *sarama.ProducerMessage) bool {
	return msg.Partition >= 0 || msg.Key != nil
}

// murmur2 is Kafka's Utils.murmur2, the hash its default partitioner applies to keys.
func murmur2(b []byte) uint32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
		r           = 24
	)
	h := seed ^ uint32(len(b))
	for len(b) >= 4 {
		k := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
		b = b[4:]
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	switch len(b) {
	case 3:
		h ^= uint32(b[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(b[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(b[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}
