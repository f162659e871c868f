package runtime

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/kernel/convert"
	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// How a source task polls its plugin.
const (
	pollMaxRecords = 1024
	pollTimeout    = 250 * time.Millisecond
)

// sourceTask runs a source connector's task: a poller goroutine calls the plugin's Poll
// (and Commit, so one goroutine speaks to the plugin task at a time) while the task loop
// converts each batch and hands it to the Kafka producer; a result loop feeds the
// producer's acks to the ack tracker, whose frontier is what gets committed.
type sourceTask struct {
	t          *workerTask
	producer   sarama.AsyncProducer
	tracker    *ackTracker
	key, value convert.Converter
	resultDone chan struct{}

	failOnce sync.Once
	failErr  error
	failCh   chan struct{} // closed on the first produce failure

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
}

func (s *sourceTask) init() error {
	var err error
	if s.key, s.value, err = s.t.converters(); err != nil {
		return &permanentError{err}
	}
	if s.producer, err = sarama.NewAsyncProducer(s.t.r.cfg.Brokers, s.t.r.saramaConfig()); err != nil {
		return fmt.Errorf("kafka producer: %w", err)
	}
	s.resultDone = make(chan struct{})
	go s.results()
	return nil
}

func (s *sourceTask) release() {
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
		case e, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			s.tracker.fail(e.Msg.Metadata.(*pendingRecord).seq)
			s.fail(fmt.Errorf("produce to %s partition %d failed after retries: %w", e.Msg.Topic, e.Msg.Partition, e.Err))
		}
	}
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
	if _, err := c.Source.Open(ctx, &pluginv1.OpenSourceRequest{
		Task: s.t.taskRef(), ConnectorClass: name, Config: s.t.config, Offsets: s.startOffsets(),
	}); err != nil {
		return fmt.Errorf("open source task: %w", err)
	}
	s.t.setOpen()

	sctx, stop := context.WithCancel(ctx)
	batches := make(chan *pluginv1.PollResponse, 1)
	pollErr := make(chan error, 1)
	pollerDone := make(chan struct{})
	go s.poller(sctx, c, batches, pollErr, pollerDone)
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
func (s *sourceTask) poller(ctx context.Context, c *pluginhost.Client, batches chan<- *pluginv1.PollResponse, pollErr chan<- error, done chan<- struct{}) {
	defer close(done)
	req := &pluginv1.PollRequest{Handle: s.t.handle, MaxRecords: pollMaxRecords, TimeoutMs: int32(pollTimeout / time.Millisecond)}
	for ctx.Err() == nil {
		if err := s.deliverCommit(ctx, c); err != nil {
			pollErr <- err
			return
		}
		if paused, change := s.t.pauseState(); paused {
			select {
			case <-ctx.Done():
			case <-change:
			case <-s.commitCh:
			}
			continue
		}
		resp, err := c.Source.Poll(ctx, req)
		if err != nil {
			if ctx.Err() == nil {
				pollErr <- fmt.Errorf("poll: %w", err)
			}
			return
		}
		if len(resp.Records) == 0 {
			continue
		}
		select {
		case batches <- resp:
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
func (s *sourceTask) loop(ctx context.Context, c *pluginhost.Client, batches <-chan *pluginv1.PollResponse, pollErr <-chan error) error {
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
		case resp := <-batches:
			if err := s.send(ctx, resp.Records); err != nil {
				return err
			}
		}
	}
}

// send converts a batch and hands it to the producer, tracking every record.
func (s *sourceTask) send(ctx context.Context, recs []*pluginv1.Record) error {
	batch := make([]pendingRecord, len(recs))
	for i, rec := range recs {
		if err := s.prepare(&batch[i], rec); err != nil {
			return fmt.Errorf("record %d of the batch (source partition %s, offset %s, topic %q): %w",
				i, rec.SourcePartition, rec.SourceOffset, rec.Topic, err)
		}
	}
	first := s.tracker.addBatch(recs)
	input := s.producer.Input()
	for i := range batch {
		p := &batch[i]
		p.seq = first + uint64(i)
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

func (s *sourceTask) prepare(p *pendingRecord, rec *pluginv1.Record) error {
	if rec.Topic == "" {
		return errors.New("the record has no topic")
	}
	k, err := s.key.FromConnect(rec.Topic, rec.KeySchema, rec.Key)
	if err != nil {
		return fmt.Errorf("convert key: %w", err)
	}
	v, err := s.value.FromConnect(rec.Topic, rec.ValueSchema, rec.Value)
	if err != nil {
		return fmt.Errorf("convert value: %w", err)
	}
	p.msg.Topic = rec.Topic
	p.msg.Partition = rec.Partition
	if p.msg.Partition < 0 {
		p.msg.Partition = -1
	}
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
			p.msg.Headers[i] = sarama.RecordHeader{Key: []byte(h.Key), Value: headerBytes(h.Value)}
		}
	}
	return nil
}

// headerBytes is a header value's bytes: strings and bytes pass through as they are, other
// values as their text; a null is a null header value.
func headerBytes(v *pluginv1.Value) []byte {
	switch k := v.GetKind().(type) {
	case nil:
		return nil
	case *pluginv1.Value_StringValue:
		return []byte(k.StringValue)
	case *pluginv1.Value_BytesValue:
		return k.BytesValue
	}
	b, _ := stringConverter.FromConnect("", nil, v)
	return b
}

var stringConverter, _ = convert.New(convert.StringConverterClass, nil, false)

// finish ends a session: unless the task is fenced, it waits for in-flight records, commits
// the acked offsets and tells the plugin, then closes the plugin task.
func (s *sourceTask) finish(c *pluginhost.Client, err error) {
	if !s.t.quiet() {
		deadline := time.Now().Add(drainTimeout)
		for s.tracker.inFlight() > 0 && time.Now().Before(deadline) && !s.t.quiet() {
			time.Sleep(5 * time.Millisecond)
		}
		if n := s.tracker.inFlight(); n > 0 {
			s.t.log.Warn("records still in flight when the task stopped; their offsets stay uncommitted", "records", n)
		}
		s.t.r.commit(s.t.ctx, []*workerTask{s.t})
	}
	if exited, _ := pluginExited(c, err); exited {
		return
	}
	ctx, cancel := s.t.rpcContext()
	defer cancel()
	if !s.t.quiet() {
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
