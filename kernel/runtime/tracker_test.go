package runtime

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func rec(partition, offset string) *pluginv1.Record {
	return &pluginv1.Record{SourcePartition: []byte(partition), SourceOffset: []byte(offset)}
}

// render sorts offsets into "partition=offset" pairs for comparison.
func render(offs []*clusterv1.SourceOffset) string {
	var parts []string
	for _, o := range offs {
		parts = append(parts, string(o.Partition)+"="+string(o.Offset))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func TestAckTrackerOutOfOrderAcks(t *testing.T) {
	tr := newAckTracker()
	// Poll order: a1 b1 a2 a3 b2 a4. Partition a's records go to one Kafka partition and b's
	// to another, so their acks interleave arbitrarily.
	first := tr.addBatch([]*pluginv1.Record{rec("a", "1"), rec("b", "1"), rec("a", "2")})
	second := tr.addBatch([]*pluginv1.Record{rec("a", "3"), rec("b", "2"), rec("a", "4")})
	if first != 0 || second != 3 {
		t.Fatalf("sequence numbers %d, %d; want 0, 3", first, second)
	}
	steps := []struct {
		ack      []uint64
		fail     uint64
		want     string // what take returns after the step
		inFlight int
	}{
		{ack: []uint64{2, 3}, want: "", inFlight: 4},     // a2, a3 acked, but a1 is not: nothing
		{ack: []uint64{0}, want: "a=1", inFlight: 3},     // a1: frontier passes a1, stops at b1
		{ack: []uint64{1}, want: "a=3 b=1", inFlight: 2}, // b1: frontier passes b1 a2 a3
		{ack: []uint64{5}, want: "", inFlight: 1},        // a4, but b2 is not acked
		{fail: 4, want: "", inFlight: 0},                 // b2 failed: never passed
		{ack: []uint64{4}, want: "", inFlight: 0},        // a late ack of a failed record changes nothing
		{ack: []uint64{99, 0}, want: "", inFlight: 0},    // unknown and old sequence numbers are ignored
	}
	for i, st := range steps {
		if st.ack != nil {
			tr.ack(st.ack...)
		} else {
			tr.fail(st.fail)
		}
		if got := render(tr.take()); got != st.want {
			t.Errorf("step %d: take = %q; want %q", i, got, st.want)
		}
		if got := tr.inFlight(); got != st.inFlight {
			t.Errorf("step %d: inFlight = %d; want %d", i, got, st.inFlight)
		}
	}
	if got := tr.ackedCount(); got != 4 {
		t.Errorf("ackedCount = %d; want 4", got)
	}
	if got := tr.frontier(); string(got["a"]) != "3" || string(got["b"]) != "1" {
		t.Errorf("frontier = %q; want a=3 b=1", got)
	}
}

func TestAckTrackerRequeueAndTruncate(t *testing.T) {
	tr := newAckTracker()
	tr.addBatch([]*pluginv1.Record{rec("a", "1"), rec("b", "1")})
	tr.ack(0, 1)
	taken := tr.take()
	if render(taken) != "a=1 b=1" {
		t.Fatalf("take = %q", render(taken))
	}
	// The commit failed: the offsets come back, at their newest value.
	first := tr.addBatch([]*pluginv1.Record{rec("a", "2"), rec("a", "3"), rec("a", "4")})
	tr.ack(first)
	tr.requeue(taken)
	if got := render(tr.take()); got != "a=2 b=1" {
		t.Errorf("take after requeue = %q; want a=2 b=1", got)
	}
	// a3 and a4 were never handed to the producer.
	tr.truncate(first + 1)
	if got := tr.inFlight(); got != 0 {
		t.Errorf("inFlight after truncate = %d; want 0", got)
	}
	next := tr.addBatch([]*pluginv1.Record{rec("a", "3")})
	if next != first+1 {
		t.Errorf("sequence after truncate = %d; want %d", next, first+1)
	}
	tr.ack(next)
	if got := render(tr.take()); got != "a=3" {
		t.Errorf("take = %q; want a=3", got)
	}
	// Records with no source partition still hold the frontier back until acked.
	k := tr.addBatch([]*pluginv1.Record{{}, rec("a", "9")})
	tr.ack(k + 1)
	if got := render(tr.take()); got != "" {
		t.Errorf("take = %q; want nothing", got)
	}
	tr.ack(k)
	if got := render(tr.take()); got != "a=9" {
		t.Errorf("take = %q; want a=9", got)
	}
}

// TestAckTrackerRandomOrder checks the tracker against a direct computation, across ring
// growth, with acks in random order.
func TestAckTrackerRandomOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tr := newAckTracker()
	const n = 5000
	var recs []*pluginv1.Record
	for i := range n {
		recs = append(recs, rec(fmt.Sprintf("p%d", rng.IntN(7)), fmt.Sprint(i)))
	}
	for i := 0; i < n; i += 100 {
		tr.addBatch(recs[i : i+100])
	}
	acked := make([]bool, n)
	committed := map[string]string{}
	for step, seq := range rng.Perm(n) {
		acked[seq] = true
		tr.ack(uint64(seq))
		for _, o := range tr.take() {
			committed[string(o.Partition)] = string(o.Offset)
		}
		if step%250 != 0 && step != n-1 {
			continue
		}
		want := map[string]string{}
		for i := 0; i < n && acked[i]; i++ {
			want[string(recs[i].SourcePartition)] = string(recs[i].SourceOffset)
		}
		if fmt.Sprint(want) != fmt.Sprint(committed) {
			t.Fatalf("after %d acks: committed %v; want %v", step+1, committed, want)
		}
	}
	if tr.inFlight() != 0 || tr.ackedCount() != n {
		t.Errorf("inFlight %d, acked %d; want 0, %d", tr.inFlight(), tr.ackedCount(), n)
	}
}
