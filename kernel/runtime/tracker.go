package runtime

import (
	"sync"

	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// ackTracker is a source task's offset tracker. Records are added in poll order and
// acknowledged by the producer in any order (records bound for different Kafka partitions
// complete independently). The tracker keeps the contiguous acked frontier: the longest
// prefix of added records that are all acked. For each source partition it knows the
// offset of the last record at or below the frontier; only those offsets may be committed,
// so a record that was never acked is never skipped over.
//
// add and truncate are called by the task's loop, ack and fail by the producer's result
// loop, take and requeue by the committer; all may run concurrently.
type ackTracker struct {
	mu sync.Mutex
	// ring holds the records past the frontier, oldest first; ring[head] has sequence base.
	ring  []trackedRecord
	head  int
	n     int
	base  uint64
	acked int64 // records acked in total
	open  int   // records neither acked nor failed
	// positions maps a source partition to the offset at the frontier.
	positions map[string]*frontierPosition
	dirty     []*frontierPosition // positions advanced since the last take
}

type trackedRecord struct {
	partition []byte
	offset    []byte
	done      bool // acked, or failed (a failed record is done but never passed)
	failed    bool
}

type frontierPosition struct {
	partition []byte
	offset    []byte
	dirty     bool
}

func newAckTracker() *ackTracker {
	return &ackTracker{ring: make([]trackedRecord, 1024), positions: map[string]*frontierPosition{}}
}

// add registers a record in poll order and returns its sequence number.
func (t *ackTracker) add(partition, offset []byte) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == len(t.ring) {
		t.grow()
	}
	t.ring[(t.head+t.n)%len(t.ring)] = trackedRecord{partition: partition, offset: offset}
	seq := t.base + uint64(t.n)
	t.n++
	t.open++
	return seq
}

func (t *ackTracker) grow() {
	next := make([]trackedRecord, 2*len(t.ring))
	for i := 0; i < t.n; i++ {
		next[i] = t.ring[(t.head+i)%len(t.ring)]
	}
	t.ring, t.head = next, 0
}

// addBatch registers a poll batch in order and returns the first record's sequence number;
// the others follow it.
func (t *ackTracker) addBatch(recs []*pluginv1.Record) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.n+len(recs) > len(t.ring) {
		t.grow()
	}
	first := t.base + uint64(t.n)
	for _, r := range recs {
		t.ring[(t.head+t.n)%len(t.ring)] = trackedRecord{partition: r.SourcePartition, offset: r.SourceOffset}
		t.n++
	}
	t.open += len(recs)
	return first
}

// truncate forgets the records from seq on: they were added but never handed to the
// producer, so they will never be acked.
func (t *ackTracker) truncate(seq uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if seq < t.base {
		return
	}
	if keep := int(seq - t.base); keep < t.n {
		for i := keep; i < t.n; i++ {
			r := &t.ring[(t.head+i)%len(t.ring)]
			if !r.done {
				t.open--
			}
			*r = trackedRecord{}
		}
		t.n = keep
	}
}

// ack marks records acknowledged and advances the frontier as far as it can.
func (t *ackTracker) ack(seqs ...uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, seq := range seqs {
		if r := t.at(seq); r != nil && !r.done {
			r.done = true
			t.open--
		}
	}
	t.advance()
}

// fail marks a record as failed: it is done (it no longer counts as in flight), but the
// frontier never passes it.
func (t *ackTracker) fail(seq uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r := t.at(seq); r != nil && !r.done {
		r.done, r.failed = true, true
		t.open--
	}
}

func (t *ackTracker) at(seq uint64) *trackedRecord {
	if seq < t.base || seq-t.base >= uint64(t.n) {
		return nil
	}
	return &t.ring[(t.head+int(seq-t.base))%len(t.ring)]
}

func (t *ackTracker) advance() {
	for t.n > 0 {
		r := &t.ring[t.head]
		if !r.done || r.failed {
			return
		}
		if r.partition != nil {
			p, ok := t.positions[string(r.partition)]
			if !ok {
				p = &frontierPosition{partition: r.partition}
				t.positions[string(r.partition)] = p
			}
			p.offset = r.offset
			if !p.dirty {
				p.dirty = true
				t.dirty = append(t.dirty, p)
			}
		}
		*r = trackedRecord{}
		t.head = (t.head + 1) % len(t.ring)
		t.n--
		t.base++
		t.acked++
	}
}

// inFlight is the number of records added but neither acked nor failed.
func (t *ackTracker) inFlight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.open
}

// ackedCount is how many records have passed the frontier.
func (t *ackTracker) ackedCount() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.acked
}

// take returns the frontier offsets of the source partitions that advanced since the last
// take, in the order they first advanced, and forgets that they advanced.
func (t *ackTracker) take() []*clusterv1.SourceOffset {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.dirty) == 0 {
		return nil
	}
	out := make([]*clusterv1.SourceOffset, len(t.dirty))
	for i, p := range t.dirty {
		out[i] = &clusterv1.SourceOffset{Partition: p.partition, Offset: p.offset}
		p.dirty = false
	}
	t.dirty = t.dirty[:0]
	return out
}

// requeue marks the partitions of offsets that a failed commit carried as advanced again,
// so the next take carries them (at their newest frontier offset).
func (t *ackTracker) requeue(offsets []*clusterv1.SourceOffset) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, o := range offsets {
		if p, ok := t.positions[string(o.Partition)]; ok && !p.dirty {
			p.dirty = true
			t.dirty = append(t.dirty, p)
		}
	}
}

// frontier returns the frontier offset of every source partition seen so far.
func (t *ackTracker) frontier() map[string][]byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string][]byte, len(t.positions))
	for k, p := range t.positions {
		out[k] = p.offset
	}
	return out
}
