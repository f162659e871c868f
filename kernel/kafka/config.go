package kafka

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/plugins/kc"
)

// DefaultConfig is the client configuration tasks use unless Config.Sarama says
// otherwise: Kafka 3.6 protocol, an idempotent producer waiting for all in-sync replicas,
// batching tuned for throughput, and Kafka's own partitioning (see NewPartitioner).
func DefaultConfig() *sarama.Config {
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
	// A record's bound, as Kafka's max.request.size (1 MiB) rather than sarama's 1,000,000:
	// a larger record fails its stage (KAFKA_PRODUCE) and follows the error policy.
	c.Producer.MaxMessageBytes = 1 << 20
	// Retry for about two minutes, as Kafka's delivery.timeout.ms: 100ms, 200ms, … 1s.
	// The idempotent producer retries a batch with its sequence numbers, so a retry after
	// a request that did land is discarded by the broker rather than written twice.
	c.Producer.Retry.Max = 125
	c.Producer.Retry.BackoffFunc = func(retries, _ int) time.Duration {
		return producerBackoff.Next(retries - 1) // retries counts from 1
	}
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

// producerBackoff is the producer's own wait between retries: 100ms doubling, at most 1s.
var producerBackoff = kc.Backoff{Initial: 100 * time.Millisecond, Max: time.Second}

// Force sets what the task loop depends on, whatever config a user gave: the
// offset tracker needs every produce result, and the sink loop every consumer error.
func Force(c *sarama.Config) {
	c.Producer.Return.Successes = true
	c.Producer.Return.Errors = true
	c.Consumer.Return.Errors = true
	if c.Producer.Idempotent {
		c.Net.MaxOpenRequests = 1
	}
}

// FitRetries fits a source task's producer to its error policy: with
// errors.retry.timeout (timeout: 0 none, < 0 forever) longer than the producer's own
// retries, they last that long, waiting as the policy waits between attempts (backoff,
// by attempt from 1). Only the producer retries a produce: its idempotence keeps a retry
// from landing a record twice, which sending the record again as a new message could
// not. The producer keeps state per partition and attempt, so attempts are capped at
// maxProduceRetries; errors.retry.timeout=-1 retries that often, at least 34 hours with
// the default delay.
func FitRetries(c *sarama.Config, timeout time.Duration, backoff func(attempt int) time.Duration) *sarama.Config {
	if timeout == 0 || (timeout > 0 && RetrySpan(c) >= timeout) {
		return c
	}
	n := 0
	for total := time.Duration(0); n < maxProduceRetries && (timeout < 0 || total < timeout); n++ {
		total += backoff(n + 1)
	}
	// Too many short waits to fit: wait longer, so the attempts still span the timeout.
	var floor time.Duration
	if n == maxProduceRetries && timeout > 0 {
		floor = timeout / maxProduceRetries
	}
	c.Producer.Retry.Max = n
	c.Producer.Retry.BackoffFunc = func(retries, _ int) time.Duration { return max(backoff(retries), floor) }
	return c
}

// maxProduceRetries caps the producer's attempts: sarama allocates a slot per attempt for
// each partition it produces to.
const maxProduceRetries = 2048

// RetrySpan is how long the producer c configures keeps retrying, its waits added up.
func RetrySpan(c *sarama.Config) time.Duration {
	var total time.Duration
	for i := 1; i <= c.Producer.Retry.Max; i++ {
		if c.Producer.Retry.BackoffFunc != nil {
			total += c.Producer.Retry.BackoffFunc(i, c.Producer.Retry.Max)
		} else {
			total += c.Producer.Retry.Backoff
		}
	}
	return total
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

// Retriable says whether a Kafka client error is one Kafka calls retriable (its
// RetriableException family) or a broken connection: worth trying again after a while.
func Retriable(err error) bool {
	var kerr sarama.KError
	if errors.As(err, &kerr) {
		switch kerr {
		case sarama.ErrUnknownTopicOrPartition, sarama.ErrLeaderNotAvailable, sarama.ErrNotLeaderForPartition,
			sarama.ErrRequestTimedOut, sarama.ErrNetworkException, sarama.ErrNotEnoughReplicas,
			sarama.ErrNotEnoughReplicasAfterAppend, sarama.ErrInvalidMessage, sarama.ErrKafkaStorageError,
			sarama.ErrFencedLeaderEpoch, sarama.ErrUnknownLeaderEpoch, sarama.ErrNotController,
			sarama.ErrConsumerCoordinatorNotAvailable, sarama.ErrNotCoordinatorForConsumer,
			sarama.ErrOffsetsLoadInProgress, sarama.ErrReplicaNotAvailable, sarama.ErrOffsetNotAvailable,
			sarama.ErrThrottlingQuotaExceeded, sarama.ErrPreferredLeaderNotAvailable, sarama.ErrConcurrentTransactions:
			return true
		}
		return false
	}
	switch {
	case errors.Is(err, sarama.ErrOutOfBrokers), errors.Is(err, sarama.ErrNotConnected),
		errors.Is(err, sarama.ErrBrokerNotAvailable),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	var nerr net.Error
	return errors.As(err, &nerr)
}
