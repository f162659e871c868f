package tolerance

import (
	"context"
	"fmt"
	"strconv"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/kernel/kafka"
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

// DeadLetterQueue writes a sink's failed records to its errors.deadletterqueue.topic.name:
// the record as it was consumed (key, value, timestamp and headers, byte for byte), plus
// the context headers when asked. A write is synchronous, so a record is in the queue
// before its offset can be committed.
type DeadLetterQueue struct {
	topic    string
	headers  bool
	task     TaskID
	producer sarama.SyncProducer
}

// TaskID names the task whose records a dead letter queue takes, for its context headers;
// Redact hides secret values in the error messages it writes.
type TaskID struct {
	Connector string
	Task      int32
	Redact    func(string) string
}

// NewDeadLetterQueue creates the topic if it is missing (one partition, the configured
// replication factor but no more than there are brokers) and a producer writing to it
// through sc.
func NewDeadLetterQueue(client kafka.Client, sc sarama.Client, p Policy, task TaskID) (*DeadLetterQueue, error) {
	rf := p.DLQReplication
	if n := len(sc.Brokers()); rf > 0 && n > 0 && int(rf) > n {
		rf = int16(n)
	}
	if err := client.CreateTopic(p.DLQTopic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: rf}); err != nil {
		return nil, fmt.Errorf("create the dead letter queue topic %q: %w", p.DLQTopic, err)
	}
	prod, err := sarama.NewSyncProducerFromClient(sc)
	if err != nil {
		return nil, fmt.Errorf("dead letter queue producer: %w", err)
	}
	if task.Redact == nil {
		task.Redact = func(s string) string { return s }
	}
	return &DeadLetterQueue{topic: p.DLQTopic, headers: p.DLQHeaders, task: task, producer: prod}, nil
}

// Topic is the queue's topic.
func (d *DeadLetterQueue) Topic() string { return d.topic }

// send writes f's record to the queue, retrying retriable failures as the policy allows.
func (d *DeadLetterQueue) send(ctx context.Context, h *Handler, f *Failure) error {
	msg := d.message(f)
	return h.policy.Retry(ctx, h.log, "write to the dead letter queue", kafka.Retriable, func() error {
		_, _, err := d.producer.SendMessage(msg)
		return err
	})
}

func (d *DeadLetterQueue) message(f *Failure) *sarama.ProducerMessage {
	m := f.Msg
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
	add(headerErrorConnector, d.task.Connector)
	add(headerErrorTask, strconv.Itoa(int(d.task.Task)))
	add(headerErrorStage, f.Stage)
	add(headerErrorClass, f.Class)
	exClass, exMsg := f.ExceptionClass(), d.task.Redact(f.Message())
	add(headerErrorException, exClass)
	add(headerErrorExceptionMessage, exMsg)
	add(headerErrorStacktrace, fmt.Sprintf("%s: %s\n\tat %s (stage %s, connector %s task %d)",
		exClass, exMsg, f.Class, f.Stage, d.task.Connector, d.task.Task))
	return pm
}

// Close closes the queue's producer.
func (d *DeadLetterQueue) Close() {
	if d == nil {
		return
	}
	d.producer.Close()
}
