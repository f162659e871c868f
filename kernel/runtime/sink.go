package runtime

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/kernel/security"
	"github.com/tributary-dev/tributary/kernel/state"
	"github.com/tributary-dev/tributary/kernel/tolerance"
	"github.com/tributary-dev/tributary/plugins/kc"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// How a sink task batches records for Put. A batch is handed over as soon as the plugin is
// ready for it, so under load batches grow toward these bounds and when idle records are
// not held back. The byte bound keeps a Put well under gRPC's default 4 MiB message limit.
const (
	maxPutRecords = 4096
	maxPutBytes   = 2 << 20
	chunkRecords  = 512 // messages a partition forwarder hands over at once
)

// sinkTask runs a sink connector's task. The kernel, not the plugin, consumes Kafka: the
// connector's topic-partitions are split among its tasks deterministically, each read from
// its committed offset (else the earliest) with a plain partition consumer, no group. A
// forwarder per partition feeds a batcher that converts and transforms records; the task
// loop calls Put, and every OffsetFlushInterval Flush, whose answer is what gets committed.
// A record that fails a stage fails the task or, with errors.tolerance=all, goes to the
// dead letter queue (or is skipped) before its offset counts as processed.
type sinkTask struct {
	t        *workerTask
	client   sarama.Client
	consumer sarama.Consumer
	dlq      *tolerance.DeadLetterQueue
	topics   []string
	pattern  *regexp.Regexp

	mu      sync.Mutex
	pending map[state.TopicPartition]int64 // flushed (durable) offsets not yet committed
}

func newSinkTask(t *workerTask) *sinkTask {
	return &sinkTask{t: t, pending: map[state.TopicPartition]int64{}}
}

func (s *sinkTask) init() error {
	var err error
	cfg := s.t.connCfg
	s.topics, s.pattern = nil, nil
	topics, regex := strings.TrimSpace(cfg["topics"]), strings.TrimSpace(cfg["topics.regex"])
	switch {
	case topics != "" && regex != "":
		return &permanentError{errors.New("sink connector config sets both topics and topics.regex; set one")}
	case topics != "":
		for _, t := range kc.ParseList(topics) {
			if t != "" { // upstream drops empty entries (SinkConnectorConfig.parseTopicsList)
				s.topics = append(s.topics, t)
			}
		}
	case regex != "":
		if s.pattern, err = regexp.Compile("^(?:" + regex + ")$"); err != nil {
			return &permanentError{fmt.Errorf("topics.regex: %w", err)}
		}
	default:
		return &permanentError{errors.New("sink connector config sets neither topics nor topics.regex")}
	}
	if dlq := s.t.policy.DLQTopic; dlq != "" && (slices.Contains(s.topics, dlq) || s.pattern != nil && s.pattern.MatchString(dlq)) {
		return &permanentError{fmt.Errorf("the dead letter queue topic %q (%s) is one of the topics the connector consumes", dlq, tolerance.KeyDLQTopic)}
	}
	if s.client == nil {
		cc := s.t.kafkaClient(clientConsumer)
		sc := cc.NewConfig()
		if s.client, err = sarama.NewClient(cc.Brokers, sc); err != nil {
			return fmt.Errorf("kafka client: %w", security.ExplainKafkaError(err, cc.Brokers, sc))
		}
	}
	if s.consumer == nil {
		if s.consumer, err = sarama.NewConsumerFromClient(s.client); err != nil {
			return fmt.Errorf("kafka consumer: %w", err)
		}
	}
	if s.t.policy.DLQTopic != "" && s.dlq == nil {
		if s.dlq, err = tolerance.NewDeadLetterQueue(s.t.kafkaClient(clientAdmin), s.client, s.t.policy, tolerance.TaskID{Connector: s.t.key.Connector, Task: s.t.key.Task, Redact: s.t.redact}); err != nil {
			return err
		}
		s.t.errs.SetDeadLetterQueue(s.dlq)
	}
	return nil
}

func (s *sinkTask) release() {
	s.dlq.Close()
	if s.consumer != nil {
		if err := s.consumer.Close(); err != nil {
			s.t.log.Warn("closing the consumer", "err", err)
		}
	}
	if s.client != nil {
		if err := s.client.Close(); err != nil {
			s.t.log.Warn("closing the kafka client", "err", err)
		}
	}
}

// assignment lists the topic-partitions this task reads: all partitions of the
// connector's topics, sorted, every len(tasks)-th from this task's index.
func (s *sinkTask) assignment(refresh bool) ([]state.TopicPartition, error) {
	topics := s.topics
	if s.pattern != nil {
		if err := s.client.RefreshMetadata(); err != nil {
			return nil, fmt.Errorf("list topics: %w", err)
		}
		all, err := s.client.Topics()
		if err != nil {
			return nil, fmt.Errorf("list topics: %w", err)
		}
		topics = nil
		for _, t := range all {
			if !strings.HasPrefix(t, "__") && s.pattern.MatchString(t) { // internal topics excluded, as Kafka does
				topics = append(topics, t)
			}
		}
	} else if refresh {
		if err := s.client.RefreshMetadata(topics...); err != nil && !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
			return nil, fmt.Errorf("refresh metadata: %w", err)
		}
	}
	var all []state.TopicPartition
	for _, topic := range topics {
		ps, err := s.client.Partitions(topic)
		if err != nil {
			if errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
				continue // not there yet; a later refresh picks it up
			}
			return nil, fmt.Errorf("partitions of %s: %w", topic, err)
		}
		for _, p := range ps {
			all = append(all, state.TopicPartition{Topic: topic, Partition: p})
		}
	}
	sort.Slice(all, func(i, j int) bool { return lessTP(all[i], all[j]) })
	n := len(s.t.connector.Tasks)
	var mine []state.TopicPartition
	for i, tp := range all {
		if i%n == int(s.t.key.Task) {
			mine = append(mine, tp)
		}
	}
	return mine, nil
}

func lessTP(a, b state.TopicPartition) bool {
	if a.Topic != b.Topic {
		return a.Topic < b.Topic
	}
	return a.Partition < b.Partition
}

func tpString(tp state.TopicPartition) string { return fmt.Sprintf("%s/%d", tp.Topic, tp.Partition) }

// sinkBatch is records converted for one Put, with the message each came from, and the
// offset range per partition of every message the batch accounts for: those put, and
// those filtered out or skipped, which count as processed too.
type sinkBatch struct {
	records []*pluginv1.Record
	msgs    []*sarama.ConsumerMessage
	bytes   int
	ranges  []offsetRange
}

type offsetRange struct {
	tp          state.TopicPartition
	first, last int64
}

func (b *sinkBatch) describe() string {
	parts := make([]string, len(b.ranges))
	for i, r := range b.ranges {
		parts[i] = fmt.Sprintf("%s offsets %d-%d", tpString(r.tp), r.first, r.last)
	}
	return fmt.Sprintf("%d records from %s", len(b.records), strings.Join(parts, ", "))
}

// account adds m's offset to the batch's ranges.
func (b *sinkBatch) account(m *sarama.ConsumerMessage) {
	tp := state.TopicPartition{Topic: m.Topic, Partition: m.Partition}
	if n := len(b.ranges); n > 0 && b.ranges[n-1].tp == tp {
		b.ranges[n-1].last = m.Offset
		return
	}
	for j := range b.ranges {
		if b.ranges[j].tp == tp {
			b.ranges[j].last = m.Offset
			return
		}
	}
	b.ranges = append(b.ranges, offsetRange{tp: tp, first: m.Offset, last: m.Offset})
}

// sinkSession is the state of one opened plugin task.
type sinkSession struct {
	s         *sinkTask
	c         *pluginhost.Client
	parts     []state.TopicPartition
	put       map[state.TopicPartition]int64 // next offset after the last record put
	committed map[state.TopicPartition]int64 // what the state holds, as far as we know
	pcs       []sarama.PartitionConsumer
	dirty     bool // records put since the last flush
}

func (s *sinkTask) session(ctx context.Context, c *pluginhost.Client) error {
	name, err := s.t.resolve(pluginv1.ConnectorType_CONNECTOR_TYPE_SINK)
	if err != nil {
		return err
	}
	parts, err := s.assignment(false)
	if err != nil {
		return err
	}
	ss := &sinkSession{s: s, c: c, parts: parts, put: map[state.TopicPartition]int64{}, committed: map[state.TopicPartition]int64{}}
	mine := make(map[state.TopicPartition]bool, len(parts))
	for _, tp := range parts {
		mine[tp] = true
	}
	s.t.r.cfg.Store.Read(func(st *state.State) {
		for _, o := range st.SinkOffsets(s.t.key.Connector) {
			tp := state.TopicPartition{Topic: o.Topic, Partition: o.Partition}
			if mine[tp] {
				ss.committed[tp] = o.Offset
			}
		}
	})
	req := &pluginv1.OpenSinkRequest{Task: s.t.taskRef(), ConnectorClass: name, Config: s.t.config}
	for _, tp := range parts {
		req.Partitions = append(req.Partitions, &pluginv1.TopicPartition{Topic: tp.Topic, Partition: tp.Partition})
	}
	if err := s.t.openPlugin(c, c.Sink.Close, func() error { _, err := c.Sink.Open(ctx, req); return err }); err != nil {
		return fmt.Errorf("open sink task: %w", err)
	}
	s.t.setOpen()
	s.t.log.Info("sink task reading", "partitions", len(parts))

	sctx, stop := context.WithCancel(ctx)
	in := make(chan []*sarama.ConsumerMessage, 8)
	failures := make(chan error, len(parts)+1)
	var wg sync.WaitGroup
	err = ss.consume(sctx, in, failures, &wg)
	batches := make(chan *sinkBatch, 1)
	if err == nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.batcher(sctx, in, batches, failures)
		}()
		err = ss.loop(sctx, batches, failures)
	}
	stop()
	wg.Wait()
	ss.closeConsumers()
	ss.finish(err)
	return err
}

// consume starts a partition consumer and its forwarder for every assigned partition.
func (ss *sinkSession) consume(ctx context.Context, in chan<- []*sarama.ConsumerMessage, failures chan<- error, wg *sync.WaitGroup) error {
	for _, tp := range ss.parts {
		start, ok := ss.committed[tp]
		if !ok {
			start = sarama.OffsetOldest // consumer.auto.offset.reset=earliest, Kafka Connect's sink default
		} else {
			ss.put[tp] = start
		}
		pc, err := ss.consumePartition(ctx, tp, start)
		if errors.Is(err, sarama.ErrOffsetOutOfRange) {
			ss.s.t.log.Warn("committed offset is out of range; reading from the earliest", "partition", tpString(tp), "offset", start)
			delete(ss.put, tp)
			pc, err = ss.consumePartition(ctx, tp, sarama.OffsetOldest)
		}
		if err != nil {
			return fmt.Errorf("consume %s from offset %d: %w", tpString(tp), start, err)
		}
		ss.pcs = append(ss.pcs, pc)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ss.s.forward(ctx, tp, pc, in, failures)
		}()
	}
	return nil
}

// consumePartition starts reading a partition, riding out the leader elections and
// metadata lag of a partition that was just created or moved.
func (ss *sinkSession) consumePartition(ctx context.Context, tp state.TopicPartition, offset int64) (sarama.PartitionConsumer, error) {
	retry := kc.Backoff{Initial: 100 * time.Millisecond}
	for attempt := 1; ; attempt++ {
		pc, err := ss.s.consumer.ConsumePartition(tp.Topic, tp.Partition, offset)
		if err == nil || errors.Is(err, sarama.ErrOffsetOutOfRange) || attempt == 5 {
			return pc, err
		}
		ss.s.t.log.Warn("starting a partition consumer failed; retrying", "partition", tpString(tp), "err", err)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(retry.Next(attempt - 1)): // 100ms, 200ms, 400ms, 800ms
		}
		_ = ss.s.client.RefreshMetadata(tp.Topic)
	}
}

// forward hands one partition's messages to the batcher in chunks.
func (s *sinkTask) forward(ctx context.Context, tp state.TopicPartition, pc sarama.PartitionConsumer, in chan<- []*sarama.ConsumerMessage, failures chan<- error) {
	msgs, errs := pc.Messages(), pc.Errors()
	var lastErr error
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			lastErr = e.Err
			s.t.log.Warn("kafka consumer error", "partition", tpString(tp), "err", e.Err)
		case m, ok := <-msgs:
			if !ok {
				if ctx.Err() == nil {
					failures <- fmt.Errorf("consumer of %s stopped: %v", tpString(tp), lastErr)
				}
				return
			}
			chunk := make([]*sarama.ConsumerMessage, 1, chunkRecords)
			chunk[0] = m
		drain:
			for len(chunk) < chunkRecords {
				select {
				case m, ok := <-msgs:
					if !ok {
						break drain
					}
					chunk = append(chunk, m)
				default:
					break drain
				}
			}
			select {
			case in <- chunk:
			case <-ctx.Done():
				return
			}
		}
	}
}

// batcher converts chunks into batches, handing one over whenever the task loop takes it.
func (s *sinkTask) batcher(ctx context.Context, in <-chan []*sarama.ConsumerMessage, out chan<- *sinkBatch, failures chan<- error) {
	var cur *sinkBatch
	for {
		paused, change := s.t.pauseState()
		var input <-chan []*sarama.ConsumerMessage
		if !paused && (cur == nil || (len(cur.records) < maxPutRecords && cur.bytes < maxPutBytes)) {
			input = in
		}
		var output chan<- *sinkBatch
		if cur != nil && len(cur.ranges) > 0 && !paused {
			output = out
		}
		if paused {
			s.t.parked() // nothing more is handed to put until resumed
		}
		select {
		case <-ctx.Done():
			return
		case <-change:
		case output <- cur:
			cur = nil
		case chunk := <-input:
			if cur == nil {
				cur = &sinkBatch{records: make([]*pluginv1.Record, 0, len(chunk)), msgs: make([]*sarama.ConsumerMessage, 0, len(chunk))}
			}
			if err := s.convert(ctx, cur, chunk); err != nil {
				// The records before the failed one are handed over first: nothing before
				// it is held back, and it is the first record not processed.
				if len(cur.ranges) > 0 {
					select {
					case out <- cur:
					case <-ctx.Done():
						return
					}
				}
				failures <- err
				return
			}
		}
	}
}

// convert appends a chunk's messages to b as Connect records: converted, then
// transformed. A record that fails a stage is handed to the error policy, which fails the
// task (the error returned; the records before it are in b) or dead-letters or skips it.
func (s *sinkTask) convert(ctx context.Context, b *sinkBatch, chunk []*sarama.ConsumerMessage) error {
	recs := make([]pluginv1.Record, len(chunk))
	var topics []string // consumed from: the connector's active topics (KIP-558)
	for i, m := range chunk {
		rec, f := s.toRecord(m, &recs[i])
		if f != nil {
			if err := s.t.errs.Handle(ctx, f); err != nil {
				return err
			}
			b.account(m)
			continue
		}
		if rec != nil {
			b.records = append(b.records, rec)
			b.msgs = append(b.msgs, m)
			b.bytes += len(m.Key) + len(m.Value) + 64
		}
		b.account(m)
		if !slices.Contains(topics, m.Topic) {
			topics = append(topics, m.Topic)
		}
	}
	s.t.noteTopics(topics)
	return nil
}

// toRecord turns a consumed message into the record Put gets, as upstream does: key, value
// and headers through their converters, then the transforms. A nil record with no failure
// was filtered out by a transform.
func (s *sinkTask) toRecord(m *sarama.ConsumerMessage, r *pluginv1.Record) (*pluginv1.Record, *tolerance.Failure) {
	t := s.t
	ks, kv, err := t.keyConv.ToConnect(m.Topic, m.Key)
	if err != nil {
		return nil, &tolerance.Failure{Stage: tolerance.StageKeyConverter, Class: t.keyClass, Err: err, Msg: m}
	}
	vs, vv, err := t.valueConv.ToConnect(m.Topic, m.Value)
	if err != nil {
		return nil, &tolerance.Failure{Stage: tolerance.StageValueConverter, Class: t.valueClass, Err: err, Msg: m}
	}
	r.Topic, r.Partition, r.KafkaOffset = m.Topic, m.Partition, m.Offset
	r.Key, r.KeySchema, r.Value, r.ValueSchema = kv, ks, vv, vs
	if !m.Timestamp.IsZero() {
		r.TimestampMs = m.Timestamp.UnixMilli()
	}
	if len(m.Headers) > 0 {
		r.Headers = make([]*pluginv1.Header, 0, len(m.Headers))
		for _, h := range m.Headers {
			if h == nil {
				continue
			}
			hs, hv, err := t.headerConv.ToConnectHeader(m.Topic, string(h.Key), h.Value)
			if err != nil {
				return nil, &tolerance.Failure{Stage: tolerance.StageHeaderConverter, Class: t.headerClass,
					Err: fmt.Errorf("header %q: %w", h.Key, err), Msg: m}
			}
			if hv == nil {
				hv = &pluginv1.Value{}
			}
			r.Headers = append(r.Headers, &pluginv1.Header{Key: string(h.Key), Value: hv, Schema: hs})
		}
	}
	return t.transform(r, m)
}

// loop puts batches and flushes on schedule until ctx ends or the task fails; it ends
// with errReopen when the task's partitions changed.
func (ss *sinkSession) loop(ctx context.Context, batches <-chan *sinkBatch, failures <-chan error) error {
	t := ss.s.t
	flush := time.NewTicker(t.r.cfg.OffsetFlushInterval)
	defer flush.Stop()
	refresh := time.NewTicker(t.r.cfg.MetadataRefreshInterval)
	defer refresh.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-failures:
			// A batcher that fails hands over the records before the failed one first.
			select {
			case b := <-batches:
				if perr := ss.putBatch(ctx, b); perr != nil {
					return perr
				}
			default:
			}
			return err
		case <-ss.c.Done():
			return errPluginExited
		case b := <-batches:
			if err := ss.putBatch(ctx, b); err != nil || ctx.Err() != nil {
				return err // when stopping, what was not put is not marked put either
			}
		case <-flush.C:
			if err := ss.flush(ctx); err != nil {
				return err
			}
		case <-refresh.C:
			parts, err := ss.s.assignment(true)
			if err != nil {
				t.log.Warn("refreshing the task's partitions failed", "err", err)
				continue
			}
			if !equalTPs(parts, ss.parts) {
				t.log.Info("the task's partitions changed; re-opening it", "partitions", len(parts))
				return errReopen
			}
		}
	}
}

// putBatch puts a batch and marks every message it accounts for as put. When the plugin
// refuses the batch with a non-retriable error, its records are put one at a time to find
// the ones it refuses (putEach). A retriable error that outlasts errors.retry.timeout
// fails the task: an outage is not a poison record, and no record is dead-lettered for it.
func (ss *sinkSession) putBatch(ctx context.Context, b *sinkBatch) error {
	t := ss.s.t
	// As a source checks before it produces: a node whose lease has run out (frozen past
	// it, its task perhaps running elsewhere) writes nothing more to the outside system.
	if len(b.records) > 0 && !t.r.leaseHeld() {
		t.log.Warn("this node's lease has expired: stopping the task without putting its batch", "records", len(b.records))
		t.r.leaseStops.Add(1)
		t.stop(stopQuiet)
		return nil
	}
	if len(b.records) > 0 {
		err := ss.putRecords(ctx, b.records)
		switch {
		case err == nil:
			t.records.Add(int64(len(b.records)))
		case ctx.Err() != nil:
			return nil
		case tolerance.RetriableCode(err) || !alive(ss.c, err):
			// Not a poison record: the plugin (or what it writes to) is unavailable, and
			// stayed so for as long as errors.retry.timeout allowed; or the plugin died.
			return fmt.Errorf("put %s: %w", b.describe(), err)
		default:
			if err := ss.putEach(ctx, b, err); err != nil || ctx.Err() != nil {
				return err
			}
		}
	}
	for _, r := range b.ranges {
		ss.put[r.tp] = r.last + 1
	}
	ss.dirty = true
	return nil
}

// putRecords calls the plugin's Put, retrying what it calls retriable while the error
// policy allows.
func (ss *sinkSession) putRecords(ctx context.Context, recs []*pluginv1.Record) error {
	t := ss.s.t
	req := &pluginv1.PutRequest{Handle: t.handle, Records: recs}
	return t.policy.UntilDone().Retry(ctx, t.log, "put", ss.retriable, func() error {
		_, err := ss.c.Sink.Put(ctx, req)
		return err
	})
}

// retriable says whether a plugin call's error asks to be tried again and the plugin
// process is still there.
func (ss *sinkSession) retriable(err error) bool {
	return tolerance.RetriableCode(err) && alive(ss.c, err)
}

// putEach puts a batch the plugin refused one record at a time. A record it refuses again
// is a failure of stage TASK_PUT: the error policy fails the task naming it, or writes it
// to the dead letter queue (or skips it) and the others go on.
func (ss *sinkSession) putEach(ctx context.Context, b *sinkBatch, batchErr error) error {
	t := ss.s.t
	t.log.Warn("the plugin refused a batch; putting its records one at a time to find the failing ones",
		"batch", b.describe(), "err", batchErr)
	for i, rec := range b.records {
		m := b.msgs[i]
		err := ss.putRecords(ctx, []*pluginv1.Record{rec})
		switch {
		case err == nil:
			t.records.Add(1)
		case ctx.Err() != nil:
			return nil
		case tolerance.RetriableCode(err) || !alive(ss.c, err):
			return fmt.Errorf("put the record at %s/%d offset %d: %w", m.Topic, m.Partition, m.Offset, err)
		default:
			if herr := t.errs.Handle(ctx, &tolerance.Failure{Stage: tolerance.StageTaskPut, Class: t.class, Err: err, Msg: m}); herr != nil {
				return herr
			}
		}
		ss.put[state.TopicPartition{Topic: m.Topic, Partition: m.Partition}] = m.Offset + 1
		ss.dirty = true
	}
	return nil
}

func equalTPs(a, b []state.TopicPartition) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// flush asks the plugin to make what was put durable, and queues what it says is for
// commit. An offset beyond what was put, or for a partition the task does not read, is
// never committed.
func (ss *sinkSession) flush(ctx context.Context) error {
	if !ss.dirty {
		return nil
	}
	req := &pluginv1.FlushRequest{Handle: ss.s.t.handle}
	for _, tp := range ss.parts {
		if off, ok := ss.put[tp]; ok {
			req.Offsets = append(req.Offsets, &pluginv1.TopicPartitionOffset{Topic: tp.Topic, Partition: tp.Partition, Offset: off})
		}
	}
	var resp *pluginv1.FlushResponse
	t := ss.s.t
	err := t.policy.UntilDone().Retry(ctx, t.log, "flush", ss.retriable, func() error {
		var err error
		resp, err = ss.c.Sink.Flush(ctx, req)
		return err
	})
	if err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	ss.dirty = false
	s := ss.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range resp.Offsets {
		tp := state.TopicPartition{Topic: o.Topic, Partition: o.Partition}
		put, ok := ss.put[tp]
		if !ok {
			continue
		}
		off := o.Offset
		if off > put {
			s.t.log.Warn("the plugin flushed past what was put; committing only what was put",
				"partition", tpString(tp), "flushed", off, "put", put)
			off = put
		}
		if c, ok := ss.committed[tp]; ok && off <= c {
			continue
		}
		ss.committed[tp] = off
		if cur, ok := s.pending[tp]; !ok || off > cur {
			s.pending[tp] = off
		}
	}
	return nil
}

func (ss *sinkSession) closeConsumers() {
	for _, pc := range ss.pcs {
		pc.AsyncClose()
	}
	for _, pc := range ss.pcs {
		for range pc.Messages() {
		}
		for range pc.Errors() {
		}
	}
}

// finish ends a session. Unless the task is fenced or its plugin process died, the plugin
// flushes what was put (also when the task failed: what was put before the failing record
// is done) and that is committed; what earlier flushes made durable is committed in any
// case (unless fenced); then the plugin task is closed.
func (ss *sinkSession) finish(err error) {
	t := ss.s.t
	if t.quiet() {
		ss.closePlugin(err)
		return
	}
	if exited, _ := pluginExited(ss.c, err); !exited {
		t.setPhase("the plugin's final Flush")
		ctx, cancel := t.rpcContext()
		if ferr := ss.flush(ctx); ferr != nil {
			t.log.Warn("final flush failed; committing earlier flushes only", "err", ferr)
		}
		cancel()
	}
	t.setPhase("the final offset commit")
	t.r.commit(t.ctx, []*workerTask{t})
	ss.closePlugin(err)
}

func (ss *sinkSession) closePlugin(err error) {
	if exited, _ := pluginExited(ss.c, err); !exited {
		ss.s.t.closePlugin(ss.c, ss.c.Sink.Close)
	}
}

func (s *sinkTask) takeOffsets() *clusterv1.TaskOffsets {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return nil
	}
	o := &clusterv1.TaskOffsets{Sink: make([]*clusterv1.SinkOffset, 0, len(s.pending))}
	for tp, off := range s.pending {
		o.Sink = append(o.Sink, &clusterv1.SinkOffset{Topic: tp.Topic, Partition: tp.Partition, Offset: off})
	}
	sort.Slice(o.Sink, func(i, j int) bool {
		return lessTP(state.TopicPartition{Topic: o.Sink[i].Topic, Partition: o.Sink[i].Partition},
			state.TopicPartition{Topic: o.Sink[j].Topic, Partition: o.Sink[j].Partition})
	})
	s.pending = map[state.TopicPartition]int64{}
	return o
}

func (s *sinkTask) requeue(o *clusterv1.TaskOffsets) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, so := range o.Sink {
		tp := state.TopicPartition{Topic: so.Topic, Partition: so.Partition}
		if cur, ok := s.pending[tp]; !ok || so.Offset > cur {
			s.pending[tp] = so.Offset
		}
	}
}

func (s *sinkTask) committed(*clusterv1.TaskOffsets) {}
