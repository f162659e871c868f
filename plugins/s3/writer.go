package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// partitionWriter writes one Kafka partition's records into objects, as Confluent's
// TopicPartitionWriter: one open file per encoded partition, all of them committed
// (uploaded) together when flush.size records are in them, when the timestamp
// extractor's time has moved rotate.interval.ms past the files' first record (or, with
// that, the encoded partition changed), when the value schema changes, or at
// rotate.schedule.interval.ms on the wall clock. A file is named by its first record's
// offset, so a rotation that depends only on the records makes the same objects again
// after a crash: the partition resumes from the first offset not in an uploaded file.
type partitionWriter struct {
	cfg   *config
	store *store
	part  *partitioner
	log   hclog.Logger

	topic     string
	partition int32

	files     map[string]*openFile
	order     []string // encoded partitions in the order their files opened
	schemas   map[string]*data.Schema
	records   int   // records in the open files
	hasBase   bool  // base is set
	base      int64 // the extractor's time of the open files' first record
	current   string
	next      int64 // the offset after the last record handled (written or skipped)
	committed int64 // the offset after the last record in uploaded files; -1 none yet
	schedule  int64 // the next scheduled rotation, wall-clock ms
	pending   bool  // a commit failed part way; it is tried again before anything else
}

// openFile is one object being built.
type openFile struct {
	key   string
	enc   encoder
	body  []byte // set once finished
	done  bool   // uploaded
	count int
}

func newPartitionWriter(cfg *config, st *store, log hclog.Logger, tp sdk.TopicPartition, now int64) *partitionWriter {
	w := &partitionWriter{cfg: cfg, store: st, part: &partitioner{cfg: cfg}, log: log, topic: strings.Clone(tp.Topic), partition: tp.Partition,
		files: map[string]*openFile{}, schemas: map[string]*data.Schema{}, next: -1, committed: -1}
	w.setSchedule(now)
	return w
}

// usesTime says whether records' times matter: a time-based partitioner, or rotation by
// rotate.interval.ms.
func (w *partitionWriter) usesTime() bool {
	return w.cfg.partitioner == pTime || w.cfg.rotateInterval > 0
}

func (w *partitionWriter) setSchedule(now int64) {
	if w.cfg.rotateSchedule > 0 {
		w.schedule = nextScheduled(now, w.cfg.rotateSchedule, w.cfg.location)
	}
}

// write adds one record. A record at an offset already handled (a put the kernel tries
// again) is skipped. An error leaves nothing of the record written.
func (w *partitionWriter) write(ctx context.Context, r *sdk.SinkRecord, now int64) error {
	if r.Offset < w.next {
		return nil
	}
	if w.pending {
		if err := w.commit(ctx, now); err != nil {
			return err
		}
	}
	if r.Value == nil {
		if !w.cfg.ignoreNulls {
			return fmt.Errorf("s3: record %s has a null value (a tombstone); set behavior.on.null.values=ignore to skip such records", where(r))
		}
		w.skip(r.Offset)
		return nil
	}
	var ts int64
	if w.usesTime() {
		var err error
		if ts, err = extractTime(w.cfg, r, now); err != nil {
			return fmt.Errorf("s3: %w", err)
		}
		if !w.hasBase {
			w.base, w.hasBase = ts, true
		}
	}
	encoded, err := w.part.encode(r, now)
	if err != nil {
		return fmt.Errorf("s3: record %s: %w", where(r), err)
	}
	if w.records > 0 && w.rotateBefore(encoded, r.ValueSchema, ts, now) {
		if err := w.commit(ctx, now); err != nil {
			return err
		}
		w.base, w.hasBase = ts, true
	}
	f := w.files[encoded]
	created := f == nil
	if created {
		enc, err := newEncoder(w.cfg, r.ValueSchema)
		if err != nil {
			return fmt.Errorf("s3: record %s: %w", where(r), err)
		}
		f = &openFile{key: w.key(encoded, r.Offset), enc: enc}
	}
	if err := f.enc.write(r); err != nil {
		return fmt.Errorf("s3: record %s: %w", where(r), err)
	}
	if created {
		w.files[encoded] = f
		w.order = append(w.order, encoded)
	}
	w.schemas[encoded] = r.ValueSchema
	f.count++
	w.records++
	w.current = encoded
	w.next = r.Offset + 1
	if w.records >= w.cfg.flushSize {
		return w.commit(ctx, now)
	}
	return nil
}

// skip marks a record handled without writing it; with no file open, its offset may be
// committed at once.
func (w *partitionWriter) skip(offset int64) {
	w.next = offset + 1
	if w.records == 0 {
		w.committed = w.next
	}
}

// rotateBefore says whether the open files are committed before a record goes in: its
// schema differs from its file's (schema.compatibility=NONE), the extractor's time is
// rotate.interval.ms past the files' first record or its encoded partition changed
// (rotate.file.on.partition.change), or the scheduled rotation is due.
func (w *partitionWriter) rotateBefore(encoded string, s *data.Schema, ts, now int64) bool {
	if prev, ok := w.schemas[encoded]; ok && !sameSchema(prev, s) {
		return true
	}
	if w.cfg.rotateInterval > 0 && (ts-w.base >= w.cfg.rotateInterval || (w.cfg.rotateOnChange && encoded != w.current)) {
		return true
	}
	return w.cfg.rotateSchedule > 0 && now >= w.schedule
}

// tick commits the open files when the scheduled rotation is due, also without new
// records.
func (w *partitionWriter) tick(ctx context.Context, now int64) error {
	if w.pending {
		return w.commit(ctx, now)
	}
	if w.cfg.rotateSchedule <= 0 || now < w.schedule {
		return nil
	}
	if w.records == 0 {
		w.setSchedule(now)
		return nil
	}
	return w.commit(ctx, now)
}

// commit uploads every open file. When an upload fails, the files stay open (those
// uploaded are not uploaded again) and the commit is tried again before the next record.
func (w *partitionWriter) commit(ctx context.Context, now int64) error {
	w.pending = true
	for _, enc := range w.order {
		f := w.files[enc]
		if f.done {
			continue
		}
		if f.body == nil {
			b, err := f.enc.finish()
			if err != nil {
				return fmt.Errorf("s3: finish %s: %w", f.key, err)
			}
			f.body = b
		}
		if err := w.store.put(ctx, f.key, f.body); err != nil {
			return err
		}
		f.done = true
		w.log.Debug("committed", "key", f.key, "records", f.count, "bytes", len(f.body))
	}
	w.pending = false
	w.committed = w.next
	clear(w.files)
	clear(w.schemas)
	w.order = w.order[:0]
	w.records = 0
	w.hasBase = false
	w.setSchedule(now)
	return nil
}

// key is the object name of a file of encoded partition starting at offset, as
// Confluent's fileKeyToCommit: <topics.dir>/<topic>/<encoded>/<topic>+<partition>+<offset>.<ext>.
func (w *partitionWriter) key(encoded string, offset int64) string {
	var b strings.Builder
	c := w.cfg
	if strings.TrimSpace(c.topicsDir) != "" {
		b.WriteString(c.topicsDir)
		b.WriteString(c.dirDelim)
	}
	b.WriteString(w.topic)
	b.WriteString(c.dirDelim)
	b.WriteString(encoded)
	b.WriteString(c.dirDelim)
	b.WriteString(w.topic)
	b.WriteString(c.fileDelim)
	b.WriteString(strconv.Itoa(int(w.partition)))
	b.WriteString(c.fileDelim)
	off := strconv.FormatInt(offset, 10)
	for i := len(off); i < c.zeroPad; i++ {
		b.WriteByte('0')
	}
	b.WriteString(off)
	b.WriteString(c.extension())
	return b.String()
}
