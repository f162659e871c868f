package main

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// task is one sink task: a writer per Kafka partition. Put adds records to open files
// and uploads those due; Flush reports, per partition, only the offsets whose records
// are in uploaded objects (Confluent's preCommit), so the kernel never commits a record
// that is not in S3. Close drops the open files, as upstream: their records are read
// again from the committed offset by whichever task owns the partition next.
type task struct {
	cfg   *config
	log   hclog.Logger
	store *store
	now   func() time.Time

	// mu serializes Put, Flush and the scheduled rotation's ticker.
	mu      sync.Mutex
	writers map[sdk.TopicPartition]*partitionWriter
	stop    chan struct{}
	stopped sync.WaitGroup
}

func newTask() *task { return &task{now: time.Now} }

func (t *task) Open(ctx context.Context, tc sdk.TaskContext, _ []sdk.TopicPartition) error {
	cfg, errs := parseConfig(tc.Config)
	if len(errs) > 0 {
		return sdk.ConfigErrors(errs)
	}
	t.cfg, t.log = cfg, tc.Logger
	if t.log == nil {
		t.log = hclog.NewNullLogger()
	}
	st, err := newStore(ctx, cfg)
	if err != nil {
		return err
	}
	if err := st.check(ctx); err != nil {
		return err
	}
	t.store = st
	t.writers = map[sdk.TopicPartition]*partitionWriter{}
	if cfg.rotateSchedule > 0 {
		t.stop = make(chan struct{})
		t.stopped.Add(1)
		go t.ticker(min(time.Duration(cfg.rotateSchedule)*time.Millisecond/4, time.Second))
	}
	return nil
}

// ticker commits files at their scheduled rotation while no records come.
func (t *task) ticker(every time.Duration) {
	defer t.stopped.Done()
	tk := time.NewTicker(max(every, 10*time.Millisecond))
	defer tk.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tk.C:
			t.mu.Lock()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			now := t.now().UnixMilli()
			for _, w := range t.writers {
				if err := w.tick(ctx, now); err != nil {
					t.log.Warn("scheduled rotation failed; it is tried again", "partition", w.topic, "err", err)
				}
			}
			cancel()
			t.mu.Unlock()
		}
	}
}

// Put adds the records to their partitions' files and uploads the files that are due.
// A record that cannot be written fails the put naming it (the kernel then puts the
// batch one record at a time, so errors.tolerance can dead-letter just that one); a
// failed upload is retriable, and the records already added are not added twice when the
// kernel puts the batch again.
func (t *task) Put(ctx context.Context, records []sdk.SinkRecord) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now().UnixMilli()
	for _, w := range t.writers {
		if w.pending {
			if err := w.commit(ctx, now); err != nil {
				return err
			}
		}
	}
	var w *partitionWriter
	for i := range records {
		r := &records[i]
		if w == nil || w.partition != r.Partition || w.topic != r.Topic {
			tp := sdk.TopicPartition{Topic: r.Topic, Partition: r.Partition}
			if w = t.writers[tp]; w == nil {
				w = newPartitionWriter(t.cfg, t.store, t.log, tp, now)
				t.writers[sdk.TopicPartition{Topic: w.topic, Partition: w.partition}] = w
			}
		}
		if err := w.write(ctx, r, now); err != nil {
			return err
		}
	}
	return t.tickAll(ctx, now)
}

func (t *task) tickAll(ctx context.Context, now int64) error {
	if t.cfg.rotateSchedule <= 0 {
		return nil
	}
	for _, w := range t.writers {
		if err := w.tick(ctx, now); err != nil {
			return err
		}
	}
	return nil
}

// Flush reports, for each partition given, the offset after the last record in an
// uploaded object (or skipped with none open): never a record still in an open file.
func (t *task) Flush(ctx context.Context, offsets map[sdk.TopicPartition]int64) (map[sdk.TopicPartition]int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.tickAll(ctx, t.now().UnixMilli()); err != nil {
		return nil, err
	}
	out := make(map[sdk.TopicPartition]int64, len(offsets))
	for tp, off := range offsets {
		if w := t.writers[tp]; w != nil && w.committed >= 0 {
			out[tp] = min(off, w.committed)
		}
	}
	return out, nil
}

func (t *task) Close() error {
	if t.stop != nil {
		close(t.stop)
		t.stopped.Wait()
		t.stop = nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writers = nil
	return nil
}
