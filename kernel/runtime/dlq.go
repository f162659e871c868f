package runtime

import (
	"context"
	"fmt"
	"strconv"

	"github.com/IBM/sarama"
)

// The headers a dead-lettered record carries with errors.deadletterqueue.context.headers.enable,
// exactly as Kafka Connect's DeadLetterQueueReporter names them.
const (
	headerErrorTopic            = "__connect.errors.topic"
	headerErrorPartition        = "__connect.errors.partition"
	headerErrorOffset           = "__connect.errors.offset"
	headerErrorConnector        = "__connect.errors.connector.name"
	headerErrorTask             = "__connect.errors.task.id"
	headerErrorStage            = "__connect.errors.stage"
	headerErrorClass            = "__connect.errors.class.name"
	headerErrorException        = "__connect.errors.exception.class.name"
	headerErrorExceptionMessage = "__connect.errors.exception.message"
	headerErrorStacktrace       = "__connect.errors.exception.stacktrace"
)

// deadLetterQueue writes a sink's failed records to its errors.deadletterqueue.topic.name:
// the record as it was consumed (key, value, timestamp and headers, byte for byte), plus
// the context headers when asked. A write is synchronous, so a record is in the queue
// before its offset can be committed.
type deadLetterQueue struct {
	topic    string
	headers  bool
	producer sarama.SyncProducer
}

// newDeadLetterQueue creates the topic if it is missing (one partition, the configured
// replication factor but no more than there are brokers) and a producer writing to it
// through client.
func newDeadLetterQueue(t *workerTask, client sarama.Client, p errorPolicy) (*deadLetterQueue, error) {
	rf := p.dlqReplication
	if n := len(client.Brokers()); rf > 0 && n > 0 && int(rf) > n {
		rf = int16(n)
	}
	if err := t.r.createTopic(p.dlqTopic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: rf}); err != nil {
		return nil, fmt.Errorf("create the dead letter queue topic %q: %w", p.dlqTopic, err)
	}
	prod, err := sarama.NewSyncProducerFromClient(client)
	if err != nil {
		return nil, fmt.Errorf("dead letter queue producer: %w", err)
	}
	return &deadLetterQueue{topic: p.dlqTopic, headers: p.dlqHeaders, producer: prod}, nil
}

// send writes f's record to the queue, retrying retriable failures as the policy allows.
func (d *deadLetterQueue) send(ctx context.Context, h *errorHandler, f *failure) error {
	msg := d.message(h.t, f)
	return h.policy.retry(ctx, h.t.log, "write to the dead letter queue", retriableKafka, func() error {
		_, _, err := d.producer.SendMessage(msg)
		return err
	})
}

func (d *deadLetterQueue) message(t *workerTask, f *failure) *sarama.ProducerMessage {
	m := f.msg
	pm := &sarama.ProducerMessage{Topic: d.topic, Partition: -1, Timestamp: m.Timestamp}
	if m.Key != nil {
		pm.Key = sarama.ByteEncoder(m.Key)
	}
	if m.Value != nil {
		pm.Value = sarama.ByteEncoder(m.Value)
	}
	for _, h := range m.Headers {
		if h != nil {
			pm.Headers = append(pm.Headers, sarama.RecordHeader{Key: h.Key, Value: h.Value})
		}
	}
	if !d.headers {
		return pm
	}
	add := func(k, v string) {
		pm.Headers = append(pm.Headers, sarama.RecordHeader{Key: []byte(k), Value: []byte(v)})
	}
	add(headerErrorTopic, m.Topic)
	add(headerErrorPartition, strconv.Itoa(int(m.Partition)))
	add(headerErrorOffset, strconv.FormatInt(m.Offset, 10))
	add(headerErrorConnector, t.key.Connector)
	add(headerErrorTask, strconv.Itoa(int(t.key.Task)))
	add(headerErrorStage, f.stage)
	add(headerErrorClass, f.class)
	exClass, exMsg := f.exceptionClass(), t.redact(f.message())
	add(headerErrorException, exClass)
	add(headerErrorExceptionMessage, exMsg)
	add(headerErrorStacktrace, fmt.Sprintf("%s: %s\n\tat %s (stage %s, connector %s task %d)",
		exClass, exMsg, f.class, f.stage, t.key.Connector, t.key.Task))
	return pm
}

func (d *deadLetterQueue) close() {
	if d == nil {
		return
	}
	d.producer.Close()
}
