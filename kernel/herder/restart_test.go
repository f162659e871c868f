package herder

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/kernel/runtime"
	"github.com/tributary-dev/tributary/kernel/state"
	"github.com/tributary-dev/tributary/plugins/testsvc"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// staleStore serves reads from an old copy of the state until catchUp, as the replica of a
// node restarted from an old data dir does, while its writes reach the real state (which
// refuses the epochs the old copy holds).
type staleStore struct {
	*state.MemStore
	mu      sync.Mutex
	old     *state.State // nil once caught up
	caught  chan struct{}
	catchMu sync.Once
}

func newStaleStore(real *state.MemStore) *staleStore {
	var snap *clusterv1.Snapshot
	real.Read(func(s *state.State) { snap = s.Snapshot() })
	return &staleStore{MemStore: real, old: state.Restore(snap), caught: make(chan struct{})}
}

func (s *staleStore) Read(fn func(*state.State)) {
	s.mu.Lock()
	old := s.old
	s.mu.Unlock()
	if old != nil {
		fn(old)
		return
	}
	s.MemStore.Read(fn)
}

func (s *staleStore) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.old != nil {
		return s.caught
	}
	return s.MemStore.Changed()
}

func (s *staleStore) catchUp() {
	s.catchMu.Do(func() {
		s.mu.Lock()
		s.old = nil
		s.mu.Unlock()
		close(s.caught)
	})
}

// TestFencedTaskGivenBackToTheSameNodeStartsAgain: a node acting on an old copy of the
// state starts a task whose epoch the state has since moved on from; the state refuses it
// and the instance stops. When the task is then assigned back to this node, it must run
// again under the new epoch, not stay UNASSIGNED behind the fenced instance.
func TestFencedTaskGivenBackToTheSameNodeStartsAgain(t *testing.T) {
	h := newHarness(t, "n1", "n2")
	h.createTopic("src", 1)
	h.putConnector(genConnector("gen", map[string]string{"topic": "src", "name": "g0", "batch": "10", "sleep.ms": "5"}))
	h.assign("gen", 0, "n1")
	store := newStaleStore(h.store) // n1's replica from before it went down
	h.assign("gen", 0, "n2")        // while n1 was down, the task moved

	rt, _ := h.startWith("n1", func(c *runtime.Config) { c.Store = store })
	eventually(t, "n1 starts the task from its old copy", func() bool {
		return rt.Starts()[state.TaskKey{Connector: "gen", Task: 0}] == 1
	})
	eventually(t, "the state refuses the old epoch and n1 stops the instance", func() bool {
		instances, _, _ := rt.Snapshot()
		return len(instances) == 0
	})

	h.assign("gen", 0, "n1") // given back to n1, under a new epoch
	store.catchUp()
	eventually(t, "the task runs on n1 under its new epoch", func() bool {
		st := h.status("gen", 0)
		return st != nil && st.WorkerId == "n1" && stateIs(h, "gen", 0, clusterv1.TaskState_TASK_STATE_RUNNING)()
	})
	if n := rt.Starts()[state.TaskKey{Connector: "gen", Task: 0}]; n != 2 {
		t.Errorf("n1 started the task %d times; want 2 (the fenced instance, then the new epoch)", n)
	}
}

// TestExpiredLeaseStopsProducingWithinOneBatch: a node whose lease has run out (frozen past
// it, its heartbeat loop not yet awake to say so) must hand no further batch to its
// producer: the task stops at the next batch, is not started again while the lease is not
// held, and starts again once it is.
func TestExpiredLeaseStopsProducingWithinOneBatch(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("src", 1)
	h.putConnector(genConnector("gen", map[string]string{"topic": "src", "name": "g0", "batch": "20", "sleep.ms": "5"}))
	h.assign("gen", 0, "n1")
	rt, lease := h.startWithLease("n1")
	key := state.TaskKey{Connector: "gen", Task: 0}
	eventually(t, "the task produces", func() bool { return h.highWatermarks("src", 1)[0] >= 100 })

	lease.Store(false) // the clock says the lease is gone; nobody has called SetFenced
	eventually(t, "the task stops at its next batch", func() bool {
		instances, _, _ := rt.Snapshot()
		return rt.LeaseStops() == 1 && len(instances) == 0
	})
	stopped := h.highWatermarks("src", 1)[0]
	never(t, "record produced or task started while the lease is not held", func() bool {
		return h.highWatermarks("src", 1)[0] != stopped || rt.Starts()[key] != 1
	})

	lease.Store(true)
	rt.SetFenced(false) // what the heartbeat loop does once it holds the lease again
	eventually(t, "the task runs and produces again", func() bool {
		return rt.Starts()[key] == 2 && h.highWatermarks("src", 1)[0] > stopped
	})
}

// TestShutdownTimeoutStopsWhatHangsAndSaysWhat: a task whose plugin never answers Close
// must not hold the node's stop past ShutdownTimeout: the runtime stops it without
// waiting further, cuts the pending plugin call short, and logs which task held it and
// what it was waiting for.
func TestShutdownTimeoutStopsWhatHangsAndSaysWhat(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("src", 1)
	h.putConnector(genConnector("gen", map[string]string{"topic": "src", "name": "g0", "batch": "20", "sleep.ms": "5"}))
	h.assign("gen", 0, "n1")
	logs := &testsvc.Output{}
	rt, stop := h.startWith("n1", func(c *runtime.Config) {
		c.ShutdownTimeout = 100 * time.Millisecond
		c.Logger = slog.New(slog.NewTextHandler(io.MultiWriter(logs, &testWriter{t: t}), nil))
	})
	eventually(t, "the task runs", stateIs(h, "gen", 0, clusterv1.TaskState_TASK_STATE_RUNNING))
	cutShort := make(chan struct{})
	h.plugins.source.setCloseHook(func(ctx context.Context) {
		<-ctx.Done() // hangs until the kernel gives up on the call
		close(cutShort)
	})
	stop()
	eventually(t, "the pending Close to be cut short", func() bool {
		select {
		case <-cutShort:
			return true
		default:
			return false
		}
	})
	out := logs.String()
	if !strings.Contains(out, "still stopping after the shutdown timeout") || !strings.Contains(out, "gen-0 (waiting for the plugin's Close)") {
		t.Errorf("the shutdown log does not name the task and what held it:\n%s", out)
	}
	if len(rt.Running()) != 0 {
		t.Errorf("tasks still running after Run returned: %v", rt.Running())
	}
}

// TestOversizedRecordFollowsTheErrorPolicy: a record larger than max.request.size never
// reaches the producer: it fails the task with a trace naming the size and the limit, or
// under errors.tolerance=all it is skipped and counted while the task goes on.
func TestOversizedRecordFollowsTheErrorPolicy(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("big", 1)
	strict := genConnector("strict", map[string]string{"topic": "big", "name": "s", "batch": "2", "count": "2", "value.bytes": "1048577"})
	strict.Config["value.converter"] = "bytearray"
	tolerant := genConnector("tolerant", map[string]string{"topic": "big", "name": "t", "batch": "2", "count": "4", "value.bytes": "1048577"})
	tolerant.Config["value.converter"] = "bytearray"
	tolerant.Config["errors.tolerance"] = "all"
	h.putConnector(strict)
	h.putConnector(tolerant)
	h.assign("strict", 0, "n1")
	h.assign("tolerant", 0, "n1")
	rt, _ := h.start("n1")

	eventually(t, "the strict task fails naming the limit", func() bool {
		st := h.status("strict", 0)
		return st != nil && st.State == clusterv1.TaskState_TASK_STATE_FAILED &&
			strings.Contains(st.Trace, "1048577 bytes") && strings.Contains(st.Trace, "max.request.size")
	})
	eventually(t, "the tolerant task skips all four and commits past them", func() bool {
		ti, ok := taskInfo(rt, "tolerant", 0)
		return ok && ti.Failures == 4 && ti.Skipped == 4 && h.sourceOffset("tolerant", `{"g":"t"}`) == `{"n":3}`
	})
	if hw := h.highWatermarks("big", 1)[0]; hw != 0 {
		t.Errorf("%d oversized records reached the topic; want none", hw)
	}
}

// TestPlannedHandoffDrainsCommitsAndReleases: a task handed off from a live node keeps
// running there until that node has drained it and committed its final offsets under the
// old epoch; then it is released and starts on the next node from exactly there, so
// nothing is delivered twice.
func TestPlannedHandoffDrainsCommitsAndReleases(t *testing.T) {
	h := newHarness(t, "n1", "n2")
	h.createTopic("src", 1)
	const n = 3000
	h.putConnector(genConnector("gen", map[string]string{"topic": "src", "name": "g0", "batch": "20", "sleep.ms": "2", "count": fmt.Sprint(n)}))
	h.assign("gen", 0, "n1")
	rt1, _ := h.start("n1")
	rt2, _ := h.start("n2")
	eventually(t, "n1 produces", func() bool { return h.highWatermarks("src", 1)[0] >= 300 })
	oldEpoch := h.epoch("gen", 0)

	h.apply(&clusterv1.Command{Cmd: &clusterv1.Command_SetAssignments{SetAssignments: &clusterv1.SetAssignments{
		Handoff: []*clusterv1.Assignment{{Task: &clusterv1.TaskID{Connector: "gen", Task: 0}, Node: "n2"}}}}})
	eventually(t, "the task released to n2 and running there", func() bool {
		st := h.status("gen", 0)
		return st != nil && st.WorkerId == "n2" && h.epoch("gen", 0) != oldEpoch && stateIs(h, "gen", 0, clusterv1.TaskState_TASK_STATE_RUNNING)()
	})
	key := state.TaskKey{Connector: "gen", Task: 0}
	if rt1.Starts()[key] != 1 || rt2.Starts()[key] != 1 {
		t.Errorf("starts n1=%d n2=%d; want one each", rt1.Starts()[key], rt2.Starts()[key])
	}
	eventually(t, "every record produced", func() bool { return h.highWatermarks("src", 1)[0] >= n })
	never(t, "record beyond the count (a duplicate)", func() bool { return h.highWatermarks("src", 1)[0] > n })
	seen := map[string]int{}
	for _, m := range h.read("src", 0, n) {
		seen[string(m.Value)]++
	}
	for i := range n {
		if c := seen[fmt.Sprintf("v%d", i)]; c != 1 {
			t.Fatalf("record v%d delivered %d times; want once (a planned handoff duplicates nothing)", i, c)
		}
	}
}

// TestExpiredLeaseStopsASinkBeforeItsNextPut: a sink on a node whose lease has run out
// puts nothing more to its plugin (the outside system): it stops at the next batch.
func TestExpiredLeaseStopsASinkBeforeItsNextPut(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("in", 1)
	h.putConnector(sinkConnector("sink", "in", 1))
	h.assign("sink", 0, "n1")
	rt, lease := h.startWithLease("n1")
	h.produce("in", 1, 10)
	eventually(t, "the first records put", func() bool { return len(h.plugins.sink.collected()) == 10 })
	lease.Store(false)
	h.produce("in", 1, 10)
	eventually(t, "the sink stops at its next batch", func() bool {
		instances, _, _ := rt.Snapshot()
		return rt.LeaseStops() == 1 && len(instances) == 0
	})
	never(t, "record put while the lease is not held", func() bool { return len(h.plugins.sink.collected()) != 10 })
}

// startWithLease starts node with a lease the test holds or drops through the returned
// switch (held at first), as the clock would say it.
func (h *harness) startWithLease(node string) (*testNode, *atomic.Bool) {
	lease := new(atomic.Bool)
	lease.Store(true)
	rt, _ := h.startWith(node, func(c *runtime.Config) {
		c.LeaseUntil = func() time.Time {
			if lease.Load() {
				return time.Now().Add(time.Hour)
			}
			return time.Now().Add(-time.Millisecond)
		}
	})
	return rt, lease
}
