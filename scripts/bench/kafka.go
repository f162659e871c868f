package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"

	kkafka "github.com/tributary-dev/tributary/kernel/kafka"
	"github.com/tributary-dev/tributary/plugins/datagen/record"
)

// saramaConfig is the configuration of every raw client here: the runtime's own
// config (kernel/kafka.DefaultConfig), so the raw producer and consumer run with exactly the settings
// the kernel's tasks use (idempotent, acks=all, 5ms linger, 1 MiB batches, Kafka's
// partitioner; 4 MiB fetches).
func saramaConfig() *sarama.Config {
	c := kkafka.DefaultConfig()
	c.ClientID = "tributary-bench"
	return c
}

// kafka is the harness's own client of the broker, for topics and end offsets.
type kafka struct {
	brokers []string
	client  sarama.Client
	admin   sarama.ClusterAdmin
}

func newKafka(broker string) (*kafka, error) {
	brokers := []string{broker}
	client, err := sarama.NewClient(brokers, saramaConfig())
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("kafka admin: %w", err)
	}
	return &kafka{brokers: brokers, client: client, admin: admin}, nil
}

func (k *kafka) close() { k.admin.Close() }

func (k *kafka) createTopic(name string, partitions int32) error {
	err := k.admin.CreateTopic(name, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}, false)
	if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		return fmt.Errorf("create topic %s: %w", name, err)
	}
	return waitFor(context.Background(), "topic "+name+" in metadata", 10*time.Second, 20*time.Millisecond, func() (bool, error) {
		if err := k.client.RefreshMetadata(name); err != nil {
			return false, err
		}
		ps, err := k.client.Partitions(name)
		return len(ps) == int(partitions), err
	})
}

// deleteTopic drops a topic so the in-memory broker does not grow run after run.
func (k *kafka) deleteTopic(name string) {
	if err := k.admin.DeleteTopic(name); err != nil {
		fmt.Fprintf(os.Stderr, "warning: delete topic %s: %v\n", name, err)
	}
}

// endOffsets returns the sum of the topic's partitions' end offsets: how many records it
// holds (each benchmark topic is fresh and compaction is off).
func (k *kafka) endOffsets(topic string, partitions int32) (int64, error) {
	var sum int64
	for p := range partitions {
		off, err := k.client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			return 0, err
		}
		sum += off
	}
	return sum, nil
}

// watchTopic polls the topic's end offsets every interval until they reach n, and
// returns when the first record and the last one were visible.
func (k *kafka) watchTopic(ctx context.Context, topic string, partitions int32, n int64, timeout time.Duration) (first, last time.Time, err error) {
	const interval = 10 * time.Millisecond
	deadline := time.Now().Add(timeout)
	var got int64
	for {
		got, err = k.endOffsets(topic, partitions)
		now := time.Now()
		if err == nil && got > 0 && first.IsZero() {
			first = now
		}
		if err == nil && got >= n {
			if got > n {
				return first, now, &tooManyError{topic: topic, got: got, want: n}
			}
			return first, now, nil
		}
		if now.After(deadline) {
			return first, now, fmt.Errorf("topic %s holds %d of %d records after %s (last error %v)", topic, got, n, timeout, err)
		}
		select {
		case <-ctx.Done():
			return first, now, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// tooManyError says a topic received more records than were sent (or a file more bytes
// than the lines it should hold): duplicates.
type tooManyError struct {
	topic     string // or file
	got, want int64
}

func (e *tooManyError) Error() string {
	return fmt.Sprintf("topic %s holds %d records, more than the %d sent", e.topic, e.got, e.want)
}

// produceRaw sends n records of size-byte values (datagen's layout, task numbers 0..tasks-1)
// to topic with tasks sarama async producers at once, each its share, as tasks datagen
// tasks would, and returns when every record is acknowledged.
func produceRaw(brokers []string, topic string, n int64, size, tasks int) error {
	var wg sync.WaitGroup
	errs := make(chan error, tasks)
	for task := range tasks {
		share := n / int64(tasks)
		if int64(task) < n%int64(tasks) {
			share++
		}
		wg.Go(func() {
			if err := produceTask(brokers, topic, share, size, task); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// produceTask is one raw producer: it builds the values in batches of 1024 as datagen
// does (one buffer and one message slice per batch) and sends them with Partition -1,
// letting the runtime's partitioner choose, as a datagen task's records do.
func produceTask(brokers []string, topic string, n int64, size, task int) error {
	p, err := sarama.NewAsyncProducer(brokers, saramaConfig())
	if err != nil {
		return fmt.Errorf("raw producer: %w", err)
	}
	filler := record.Filler(0, task, max(size-record.HeaderLen, 0))
	acked := make(chan error, 1)
	go func() {
		var firstErr error
		for i := int64(0); i < n; i++ {
			select {
			case <-p.Successes():
			case e := <-p.Errors():
				if firstErr == nil {
					firstErr = e.Err
				}
			}
		}
		acked <- firstErr
	}()
	const batch = 1024
	for seq := int64(0); seq < n; seq += batch {
		m := min(batch, n-seq)
		buf := make([]byte, 0, int(m)*size)
		msgs := make([]sarama.ProducerMessage, m)
		for i := range m {
			buf = record.AppendValue(buf, size, uint64(seq+i), task, 0, filler)
			msgs[i] = sarama.ProducerMessage{Topic: topic, Partition: -1,
				Value: sarama.ByteEncoder(buf[int(i)*size : int(i+1)*size : int(i+1)*size])}
			p.Input() <- &msgs[i]
		}
	}
	err = <-acked
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	return err
}

// audit reads a topic back and checks what datagen (or the raw producer) wrote to it
// against the sequence numbers in the values: records missing, duplicated, and the
// duplicated ranges, per task.
type audit struct {
	records, missing, duplicates int64
	ranges                       []string // "task 0: seq 1000-1447 ×2", the first few
}

func (a audit) String() string {
	s := fmt.Sprintf("%d records: %d missing, %d duplicates", a.records, a.missing, a.duplicates)
	if len(a.ranges) > 0 {
		s += " (" + strings.Join(a.ranges, "; ") + ")"
	}
	return s
}

func (k *kafka) audit(topic string, partitions int32, perTask map[int]int64) (audit, error) {
	c, err := sarama.NewConsumer(k.brokers, saramaConfig())
	if err != nil {
		return audit{}, err
	}
	defer c.Close()
	seen := map[int][]uint8{}
	for task, n := range perTask {
		seen[task] = make([]uint8, n)
	}
	var a audit
	for p := range partitions {
		end, err := k.client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			return a, err
		}
		if end == 0 {
			continue
		}
		pc, err := c.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			return a, err
		}
		for m := range pc.Messages() {
			a.records++
			if h, ok := record.Parse(m.Value); ok && h.Seq < uint64(len(seen[h.Task])) && seen[h.Task][h.Seq] < 255 {
				seen[h.Task][h.Seq]++
			}
			if m.Offset >= end-1 {
				break
			}
		}
		pc.AsyncClose()
		for range pc.Messages() {
		}
	}
	for task, counts := range seen {
		for seq := 0; seq < len(counts); {
			c := counts[seq]
			end := seq + 1
			for end < len(counts) && counts[end] == c {
				end++
			}
			switch {
			case c == 0:
				a.missing += int64(end - seq)
			case c > 1:
				a.duplicates += int64(end-seq) * int64(c-1)
			}
			if c != 1 && len(a.ranges) < 5 {
				a.ranges = append(a.ranges, fmt.Sprintf("task %d: seq %d-%d ×%d", task, seq, end-1, c))
			}
			seq = end
		}
	}
	return a, nil
}

// taskShares is how datagen splits n records over tasks.
func taskShares(n int64, tasks int) map[int]int64 {
	out := map[int]int64{}
	for t := range tasks {
		out[t] = n / int64(tasks)
		if int64(t) < n%int64(tasks) {
			out[t]++
		}
	}
	return out
}
