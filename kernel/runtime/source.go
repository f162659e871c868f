package runtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/kernel/convert"
	"github.com/tributary-dev/tributary/kernel/kafka"
	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/kernel/security"
	"github.com/tributary-dev/tributary/kernel/state"
	"github.com/tributary-dev/tributary/kernel/tolerance"
	"github.com/tributary-dev/tributary/plugins/protocol"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// How a source task polls its plugin.
const (
	pollMaxRecords = 1024
	pollTimeout    = 250 * time.Millisecond
)

// sourceTask runs a source connector's task: a poller goroutine calls the plugin's Poll
// (and Commit, so one goroutine speaks to the plugin task at a time), up to four batches
// ahead of the task loop, which transforms and converts each batch, creates the topics it
// needs (topic.creation.*) and hands it to the Kafka producer; a result loop feeds the
// producer's acks to the ack tracker, whose frontier is what gets committed. With no
// transform to run, keys and values stay as the plugin encoded them and the converters
// write them from that (prepareWire). A record filtered out by a transform, or skipped
// after a failure errors.tolerance=all tolerates, counts as acked: its source offset may
// be committed. Produce failures are retried by the idempotent producer itself, for as
// long as errors.retry.timeout allows (see producerConfig): a record is never sent again
// as a new message, which could land it twice and out of order.
type sourceTask struct {
	t          *workerTask
	producer   sarama.AsyncProducer
	tracker    *ackTracker
	topics     *kafka.TopicCreator // nil: topic creation is off
	resultDone chan struct{}
	// producerRetries is how often the producer retries a request before giving up.
	producerRetries int
	// maxRecordBytes bounds one record (key, value and headers), as the producer's
	// max.request.size does upstream.
	maxRecordBytes int

	failOnce sync.Once
	failErr  error
	failCh   chan struct{} // closed on the first produce failure

	// The converters as WireConverters, for prepareWire; set before a session's poller starts.
	wireKey, wireValue convert.WireConverter

	commitMu sync.Mutex
	toPlugin map[string]*pluginv1.SourceOffset // committed, not yet told to the plugin
	commitCh chan struct{}
}

func newSourceTask(t *workerTask) *sourceTask {
	return &sourceTask{
		t:        t,
		tracker:  newAckTracker(),
		failCh:   make(chan struct{}),
		toPlugin: map[string]*pluginv1.SourceOffset{},
		commitCh: make(chan struct{}, 1),
	}
}

// pendingRecord is one record on its way to Kafka. Records of a batch are allocated
// together; the message's Metadata points back at its record.
type pendingRecord struct {
	msg        sarama.ProducerMessage
	key, value sarama.ByteEncoder
	seq        uint64
	skip       bool             // filtered out or skipped: never produced
	rec        *pluginv1.Record // as it will be produced, for its coordinates in errors
	partition  int32            // the partition asked for; -1 lets the partitioner choose
	// rawKey and rawValue are rec's key and value as the plugin encoded them, when rec
	// was produced without decoding them (prepareWire): decoded only for an error report.
	rawKey, rawValue []byte
}

// polled is a batch the poller got. A lazy poll (protocol.LazyPoll) leaves the records'
// keys and values encoded in keys and values (nil for an eager one).
type polled struct {
	recs         []*pluginv1.Record
	keys, values [][]byte
}

// producerClass names the producing stage's class in logs.
const producerClass = "org.apache.kafka.clients.producer.KafkaProducer"

func (s *sourceTask) init() error {
	tc, err := kafka.ParseTopicCreation(s.t.connCfg)
	if err != nil {
		return &permanentError{err}
	}
	if tc != nil && s.topics == nil {
		s.topics = kafka.NewTopicCreator(s.t.kafkaClient(clientAdmin), tc, s.t.log)
	}
	producer := s.t.kafkaClient(clientProducer)
	pc := kafka.FitRetries(producer.NewConfig(), s.t.policy.RetryTimeout, s.t.policy.Backoff)
	s.producerRetries = pc.Producer.Retry.Max
	s.maxRecordBytes = pc.Producer.MaxMessageBytes
	if s.producer, err = sarama.NewAsyncProducer(producer.Brokers, pc); err != nil {
		return fmt.Errorf("kafka producer: %w", security.ExplainKafkaError(err, producer.Brokers, pc))
	}
	s.resultDone = make(chan struct{})
	go s.results()
	return nil
}

func (s *sourceTask) release() {
	s.topics.Close()
	if s.producer == nil {
		return
	}
	if s.t.quiet() {
		// Fenced: do not wait for in-flight records; nothing will commit them anyway.
		s.producer.AsyncClose()
		return
	}
	s.producer.AsyncClose()
	<-s.resultDone
}

// results feeds produce results to the tracker until the producer closes.
func (s *sourceTask) results() {
	defer close(s.resultDone)
	succ, errs := s.producer.Successes(), s.producer.Errors()
	seqs := make([]uint64, 0, 512)
	for succ != nil || errs != nil {
		select {
		case m, ok := <-succ:
			if !ok {
				succ = nil
				continue
			}
			seqs = append(seqs[:0], m.Metadata.(*pendingRecord).seq)
		drain:
			for len(seqs) < cap(seqs) {
				select {
				case m, ok := <-succ:
					if !ok {
						break drain
					}
					seqs = append(seqs, m.Metadata.(*pendingRecord).seq)
				default:
					break drain
				}
			}
			s.tracker.ack(seqs...)
			s.t.records.Add(int64(len(seqs)))
			s.t.r.noteAcks(len(seqs))
		case e, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			s.produceFailed(e.Msg.Metadata.(*pendingRecord), e.Err)
		}
	}
}

// produceFailed deals with a record the producer gave up on after its own retries: the
// error policy fails the task (it restarts from the committed offsets) or, with
// errors.tolerance=all, skips the record, which then counts as acked.
func (s *sourceTask) produceFailed(p *pendingRecord, err error) {
	t := s.t
	if pol := t.policy; kafka.Retriable(err) && pol.RetryTimeout > 0 {
		err = &tolerance.RetriesExhausted{Err: err, Attempts: s.producerRetries + 1, Timeout: pol.RetryTimeout}
	}
	if p.rawKey != nil || p.rawValue != nil {
		// Produced without decoding its key and value; the report shows them. The bytes
		// were checked when produced, so they decode.
		p.rec.Key, _ = protocol.DecodeValue(p.rawKey)
		p.rec.Value, _ = protocol.DecodeValue(p.rawValue)
		p.rawKey, p.rawValue = nil, nil
	}
	f := &tolerance.Failure{Stage: tolerance.StageKafkaProduce, Class: producerClass, Rec: p.rec,
		Err: fmt.Errorf("produce to %s partition %d failed after retries: %w", p.msg.Topic, p.msg.Partition, err)}
	if herr := t.errs.Handle(t.ctx, f); herr != nil {
		s.tracker.fail(p.seq)
		s.fail(herr)
		return
	}
	s.tracker.ack(p.seq) // tolerated: the record is done with, its offset may be committed
}

func (s *sourceTask) fail(err error) {
	s.failOnce.Do(func() {
		s.failErr = err
		close(s.failCh)
	})
}

func (s *sourceTask) session(ctx context.Context, c *pluginhost.Client) error {
	name, err := s.t.resolve(pluginv1.ConnectorType_CONNECTOR_TYPE_SOURCE)
	if err != nil {
		return err
	}
	select {
	case <-s.failCh:
		return s.failErr
	default:
	}
	req := &pluginv1.OpenSourceRequest{Task: s.t.taskRef(), ConnectorClass: name, Config: s.t.config, Offsets: s.startOffsets()}
	if err := s.t.openPlugin(c, c.Source.Close, func() error { _, err := c.Source.Open(ctx, req); return err }); err != nil {
		return fmt.Errorf("open source task: %w", err)
	}
	s.t.setOpen()

	sctx, stop := context.WithCancel(ctx)
	batches := make(chan polled, 4)
	pollErr := make(chan error, 1)
	pollerDone := make(chan struct{})
	lazy := s.initWire() && c.Conn != nil
	go s.poller(sctx, c, lazy, batches, pollErr, pollerDone)
	err = s.loop(sctx, c, batches, pollErr)
	stop()
	<-pollerDone
	s.finish(c, err)
	return err
}

// startOffsets are the positions the plugin task opens at: the connector's committed
// offsets, advanced by whatever this instance's producer has already had acked.
func (s *sourceTask) startOffsets() []*pluginv1.SourceOffset {
	byPartition := map[string][]byte{}
	s.t.r.cfg.Store.Read(func(st *state.State) {
		for _, o := range st.SourceOffsets(s.t.key.Connector) {
			byPartition[string(o.Partition)] = o.Offset
		}
	})
	for p, o := range s.tracker.frontier() {
		byPartition[p] = o
	}
	out := make([]*pluginv1.SourceOffset, 0, len(byPartition))
	for p, o := range byPartition {
		out = append(out, &pluginv1.SourceOffset{Partition: []byte(p), Offset: o})
	}
	sort.Slice(out, func(i, j int) bool { return string(out[i].Partition) < string(out[j].Partition) })
	return out
}

// poller polls the plugin and delivers committed offsets to it, until ctx ends.
// With lazy set it asks for LazyPolls, leaving keys and values encoded (prepareWire).
func (s *sourceTask) poller(ctx context.Context, c *pluginhost.Client, lazy bool, batches chan<- polled, pollErr chan<- error, done chan<- struct{}) {
	defer close(done)
	req := &pluginv1.PollRequest{Handle: s.t.handle, MaxRecords: pollMaxRecords, TimeoutMs: int32(pollTimeout / time.Millisecond)}
	for ctx.Err() == nil {
		if err := s.deliverCommit(ctx, c); err != nil {
			pollErr <- err
			return
		}
		if paused, change := s.t.pauseState(); paused {
			s.t.parked()
			select {
			case <-ctx.Done():
			case <-change:
			case <-s.commitCh:
			}
			continue
		}
		var b polled
		err := s.t.policy.UntilDone().Retry(ctx, s.t.log, "poll", func(err error) bool { return tolerance.RetriableCode(err) && alive(c, err) }, func() error {
			if lazy {
				var resp protocol.LazyPoll
				err := c.Conn.Invoke(ctx, pluginv1.SourceTask_Poll_FullMethodName, req, &resp)
				b = polled{recs: resp.Records, keys: resp.Keys, values: resp.Values}
				return err
			}
			resp, err := c.Source.Poll(ctx, req)
			b = polled{recs: resp.GetRecords()}
			return err
		})
		if err != nil {
			if ctx.Err() == nil {
				pollErr <- fmt.Errorf("poll: %w", err)
			}
			return
		}
		if len(b.recs) == 0 {
			continue
		}
		select {
		case batches <- b:
		case <-ctx.Done():
			return
		}
	}
}

// deliverCommit tells the plugin the offsets committed since it was last told. Only a dead
// plugin is an error: Commit is advisory, so other failures are logged and retried.
func (s *sourceTask) deliverCommit(ctx context.Context, c *pluginhost.Client) error {
	s.commitMu.Lock()
	if len(s.toPlugin) == 0 {
		s.commitMu.Unlock()
		return nil
	}
	pending := s.toPlugin
	s.toPlugin = map[string]*pluginv1.SourceOffset{}
	s.commitMu.Unlock()
	offsets := make([]*pluginv1.SourceOffset, 0, len(pending))
	for _, o := range pending {
		offsets = append(offsets, o)
	}
	sort.Slice(offsets, func(i, j int) bool { return string(offsets[i].Partition) < string(offsets[j].Partition) })
	_, err := c.Source.Commit(ctx, &pluginv1.CommitRequest{Handle: s.t.handle, Offsets: offsets})
	if err == nil {
		return nil
	}
	s.commitMu.Lock()
	for p, o := range pending {
		if _, newer := s.toPlugin[p]; !newer {
			s.toPlugin[p] = o
		}
	}
	s.commitMu.Unlock()
	if exited, _ := pluginExited(c, err); exited {
		return fmt.Errorf("commit: %w", err)
	}
	if ctx.Err() == nil {
		s.t.log.Warn("the plugin refused committed offsets; will retry", "err", err)
	}
	return nil
}

// loop converts polled batches and sends them to the producer until ctx ends or the task
// fails.
func (s *sourceTask) loop(ctx context.Context, c *pluginhost.Client, batches <-chan polled, pollErr <-chan error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-pollErr:
			return err
		case <-s.failCh:
			return s.failErr
		case <-c.Done():
			return errPluginExited
		case b := <-batches:
			if err := s.send(ctx, b); err != nil {
				return err
			}
		}
	}
}

// send transforms and converts a batch and hands it to the producer, tracking every
// record: those filtered out or skipped are acked at once, so their offsets advance too.
func (s *sourceTask) send(ctx context.Context, b polled) error {
	t := s.t
	recs := b.recs
	batch := make([]pendingRecord, len(recs))
	var skipped []uint64 // indexes, then sequence numbers
	var topics []string
	var undecoded int64
	for i, rec := range recs {
		if b.keys != nil {
			if s.prepareWire(&batch[i], rec, b.keys[i], b.values[i]) {
				undecoded++
				if !slices.Contains(topics, rec.Topic) {
					topics = append(topics, rec.Topic)
				}
				continue
			}
			var err error
			if rec.Key == nil {
				rec.Key, err = protocol.DecodeValue(b.keys[i])
			}
			if rec.Value == nil && err == nil {
				rec.Value, err = protocol.DecodeValue(b.values[i])
			}
			if err != nil {
				return fmt.Errorf("poll: record %d of the plugin's batch does not decode: %w", i, err)
			}
		}
		out, f := t.transform(rec, nil)
		if f == nil && out != nil {
			f = s.prepare(&batch[i], out)
		}
		if f != nil {
			if err := t.errs.Handle(ctx, f); err != nil {
				return err
			}
		}
		if f != nil || out == nil {
			batch[i].skip = true
			skipped = append(skipped, uint64(i))
			continue
		}
		if !slices.Contains(topics, out.Topic) {
			topics = append(topics, out.Topic)
		}
	}
	if len(topics) > 0 && s.topics != nil {
		err := t.policy.Retry(ctx, t.log, "create topics", kafka.Retriable, func() error { return s.topics.Ensure(topics) })
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("topic creation: %w", err)
		}
	}
	// The last moment before records leave for Kafka: a node that lost its lease (its
	// tasks may already run elsewhere) writes nothing more. A transactional producer would
	// begin its transaction here, which fences such writes at the broker instead.
	if !t.r.leaseHeld() {
		t.log.Warn("this node's lease has expired: stopping the task without producing its batch", "records", len(recs))
		t.r.leaseStops.Add(1)
		t.stop(stopQuiet)
		return nil
	}
	t.noteTopics(topics) // produced to: the connector's active topics (KIP-558)
	t.undecoded.Add(undecoded)
	first := s.tracker.addBatch(recs)
	if len(skipped) > 0 {
		for j := range skipped {
			skipped[j] += first
		}
		s.tracker.ack(skipped...)
	}
	input := s.producer.Input()
	for i := range batch {
		p := &batch[i]
		p.seq = first + uint64(i)
		if p.skip {
			continue
		}
		select {
		case input <- &p.msg: // the producer keeps up: no need to watch for anything else
			continue
		default:
		}
		select {
		case input <- &p.msg:
		case <-ctx.Done():
			s.tracker.truncate(p.seq)
			return nil
		case <-s.failCh:
			s.tracker.truncate(p.seq)
			return s.failErr
		}
	}
	return nil
}

// initWire says whether the task's records may go from the plugin's encoding of their
// keys and values straight to Kafka bytes (prepareWire): no transform needs them decoded,
// and both converters can write them encoded, which it keeps in wireKey and wireValue.
func (s *sourceTask) initWire() bool {
	var k, v bool
	s.wireKey, k = s.t.keyConv.(convert.WireConverter)
	s.wireValue, v = s.t.valueConv.(convert.WireConverter)
	return s.t.chain == nil && k && v
}

// prepareWire is prepare for a record whose key and value are still encoded (rawKey,
// rawValue): the converters write them without decoding them. It reports false, with p
// untouched, when the record needs them decoded: a value the converters cannot write so,
// or any failure, which prepare then reports with the record whole.
func (s *sourceTask) prepareWire(p *pendingRecord, rec *pluginv1.Record, rawKey, rawValue []byte) bool {
	if rec.Topic == "" || rec.Key != nil || rec.Value != nil {
		return false
	}
	k, ok := s.wireKey.FromWire(rec.Topic, rec.KeySchema, rawKey)
	if !ok {
		return false
	}
	v, ok := s.wireValue.FromWire(rec.Topic, rec.ValueSchema, rawValue)
	if !ok {
		return false
	}
	if f := s.fill(p, rec, k, v); f != nil {
		*p = pendingRecord{}
		return false
	}
	p.rawKey, p.rawValue = rawKey, rawValue
	return true
}

// prepare converts rec, the record as transformed, into the message p carries; a failure
// names the converter stage that failed.
func (s *sourceTask) prepare(p *pendingRecord, rec *pluginv1.Record) *tolerance.Failure {
	t := s.t
	p.rec = rec
	if rec.Topic == "" {
		return &tolerance.Failure{Stage: tolerance.StageKafkaProduce, Class: producerClass, Err: errors.New("the record has no topic"), Rec: rec}
	}
	k, err := t.keyConv.FromConnect(rec.Topic, rec.KeySchema, rec.Key)
	if err != nil {
		return &tolerance.Failure{Stage: tolerance.StageKeyConverter, Class: t.keyClass, Err: err, Rec: rec}
	}
	v, err := t.valueConv.FromConnect(rec.Topic, rec.ValueSchema, rec.Value)
	if err != nil {
		return &tolerance.Failure{Stage: tolerance.StageValueConverter, Class: t.valueClass, Err: err, Rec: rec}
	}
	return s.fill(p, rec, k, v)
}

// fill makes p the message of rec with its key and value serialized as k and v.
func (s *sourceTask) fill(p *pendingRecord, rec *pluginv1.Record, k, v []byte) *tolerance.Failure {
	t := s.t
	p.rec = rec
	p.msg.Topic = rec.Topic
	p.partition = rec.Partition
	if p.partition < 0 {
		p.partition = -1
	}
	p.msg.Partition = p.partition
	p.msg.Metadata = p
	if k != nil {
		p.key = k
		p.msg.Key = &p.key
	}
	if v != nil {
		p.value = v
		p.msg.Value = &p.value
	}
	if rec.TimestampMs > 0 {
		p.msg.Timestamp = time.UnixMilli(rec.TimestampMs)
	}
	if len(rec.Headers) > 0 {
		p.msg.Headers = make([]sarama.RecordHeader, len(rec.Headers))
		for i, h := range rec.Headers {
			b, err := t.headerConv.FromConnectHeader(rec.Topic, h.Key, h.Schema, h.Value)
			if err != nil {
				return &tolerance.Failure{Stage: tolerance.StageHeaderConverter, Class: t.headerClass, Err: err, Rec: rec}
			}
			p.msg.Headers[i] = sarama.RecordHeader{Key: []byte(h.Key), Value: b}
		}
	}
	if n := recordBytes(&p.msg); s.maxRecordBytes > 0 && n > s.maxRecordBytes {
		return &tolerance.Failure{Stage: tolerance.StageKafkaProduce, Class: producerClass, Rec: rec, Err: fmt.Errorf(
			"the record is %d bytes (key %d, value %d), more than the %d bytes a record may have (the producer's max.request.size): "+
				"make the connector's records smaller or raise max.request.size", n, len(k), len(v), s.maxRecordBytes)}
	}
	return nil
}

// recordBytes is the size of a message's key, value and headers.
func recordBytes(m *sarama.ProducerMessage) int {
	n := 0
	if m.Key != nil {
		n += m.Key.Length()
	}
	if m.Value != nil {
		n += m.Value.Length()
	}
	for _, h := range m.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}

// finish ends a session: unless the task is fenced, it waits for in-flight records, commits
// the acked offsets and tells the plugin, then closes the plugin task.
func (s *sourceTask) finish(c *pluginhost.Client, err error) {
	if !s.t.quiet() {
		s.t.setPhase("Kafka's acks of the records in flight")
		deadline := time.Now().Add(drainTimeout)
		for s.tracker.inFlight() > 0 && time.Now().Before(deadline) && !s.t.quiet() {
			time.Sleep(5 * time.Millisecond)
		}
		if n := s.tracker.inFlight(); n > 0 {
			s.t.log.Warn("records still in flight when the task stopped; their offsets stay uncommitted", "records", n)
		}
		s.t.setPhase("the final offset commit")
		s.t.r.commit(s.t.ctx, []*workerTask{s.t})
	}
	if exited, _ := pluginExited(c, err); exited {
		return
	}
	ctx, cancel := s.t.rpcContext()
	defer cancel()
	if !s.t.quiet() {
		s.t.setPhase("the plugin's Commit of the final offsets")
		if err := s.deliverCommit(ctx, c); err != nil {
			s.t.log.Warn("telling the plugin the final offsets failed", "err", err)
		}
	}
	s.t.closePlugin(c, c.Source.Close)
}

func (s *sourceTask) takeOffsets() *clusterv1.TaskOffsets {
	offs := s.tracker.take()
	if offs == nil {
		return nil
	}
	return &clusterv1.TaskOffsets{Source: offs}
}

func (s *sourceTask) requeue(o *clusterv1.TaskOffsets) { s.tracker.requeue(o.Source) }

func (s *sourceTask) committed(o *clusterv1.TaskOffsets) {
	s.commitMu.Lock()
	for _, so := range o.Source {
		s.toPlugin[string(so.Partition)] = &pluginv1.SourceOffset{Partition: so.Partition, Offset: so.Offset}
	}
	s.commitMu.Unlock()
	select {
	case s.commitCh <- struct{}{}:
	default:
	}
}
