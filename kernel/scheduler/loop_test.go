package scheduler_test

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/kernel/scheduler"
	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// never is an Interval long enough that no test sees a tick: what happens, happens because
// the state changed or the loop was kicked.
const never = time.Hour

// waitLimit bounds every wait for the loop; it is a deadlock guard, not a timing assertion.
const waitLimit = 30 * time.Second

// liveNodes is a live set the test changes while the loop runs.
type liveNodes struct {
	mu  sync.Mutex
	ids map[string]bool
}

func newLiveNodes(ids ...string) *liveNodes { return &liveNodes{ids: liveSet(ids...)} }

func (l *liveNodes) get() map[string]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.ids)
}

func (l *liveNodes) set(ids ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids = liveSet(ids...)
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startLoop runs l until the test ends and fails the test if Run returns an error.
func startLoop(t *testing.T, l *scheduler.Loop) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	stopped := false
	stop = func() {
		t.Helper()
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after cancel, want nil", err)
			}
		case <-time.After(waitLimit):
			t.Errorf("Run did not return within %v of its context being cancelled", waitLimit)
		}
	}
	t.Cleanup(stop)
	return stop
}

func mustStoreApply(t *testing.T, st state.Store, cmd *clusterv1.Command) {
	t.Helper()
	if _, err := st.Apply(context.Background(), cmd); err != nil {
		t.Fatalf("Apply(%v) = %v", cmd, err)
	}
}

// waitFor blocks until cond holds for the store's state.
func waitFor(t *testing.T, st state.Store, what string, cond func(*state.State) bool) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		ch := st.Changed()
		ok := false
		st.Read(func(s *state.State) { ok = cond(s) })
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			var l map[state.TaskKey]string
			st.Read(func(s *state.State) { l = layout(s) })
			t.Fatalf("gave up waiting until %s; assignments: %v", what, l)
		}
	}
}

// allOn reports whether every runnable task is assigned to one of nodes.
func allOn(nodes ...string) func(*state.State) bool {
	return func(s *state.State) bool {
		for _, k := range s.Tasks() {
			a := s.Assignment(k)
			if a == nil || !liveSet(nodes...)[a.Node] {
				return false
			}
		}
		return true
	}
}

func TestLoopAssignsNewConnector(t *testing.T) {
	st := state.NewMemStore()
	mustStoreApply(t, st, register("n1", "p1"))
	mustStoreApply(t, st, register("n2", "p1"))
	live := newLiveNodes("n1", "n2")
	startLoop(t, &scheduler.Loop{Store: st, Live: live.get, IsLeader: func() bool { return true }, Interval: never, Logger: testLogger(t)})

	mustStoreApply(t, st, put("a", 4))
	waitFor(t, st, "a's tasks are placed", func(s *state.State) bool {
		l := loads(s)
		return len(s.Assignments()) == 4 && l["n1"] == 2 && l["n2"] == 2
	})
	mustStoreApply(t, st, put("b", 2))
	waitFor(t, st, "b's tasks are placed", func(s *state.State) bool {
		return s.Assignment(key("b", 0)) != nil && s.Assignment(key("b", 1)) != nil
	})
}

func TestLoopReassignsOnKick(t *testing.T) {
	st := state.NewMemStore()
	mustStoreApply(t, st, register("n1", "p1"))
	mustStoreApply(t, st, register("n2", "p1"))
	live := newLiveNodes("n1", "n2")
	l := &scheduler.Loop{Store: st, Live: live.get, IsLeader: func() bool { return true }, Interval: never, Logger: testLogger(t)}
	startLoop(t, l)

	mustStoreApply(t, st, put("a", 4))
	waitFor(t, st, "a is spread over n1 and n2", func(s *state.State) bool {
		l := loads(s)
		return l["n1"] == 2 && l["n2"] == 2
	})

	live.set("n2") // n1's lease ran out
	l.Kick()
	waitFor(t, st, "every task is on n2", allOn("n2"))

	live.set("n1", "n2") // n1 is back: n2 is live, so two tasks are handed off, not moved
	l.Kick()
	waitFor(t, st, "two tasks handed off from n2 to n1, still on n2", func(s *state.State) bool {
		return len(handoffs(s, "n1")) == 2 && loads(s)["n2"] == 4
	})
	releaseAll(t, st) // n2 drains them, commits, and releases
	waitFor(t, st, "a is spread again", func(s *state.State) bool {
		l := loads(s)
		return l["n1"] == 2 && l["n2"] == 2 && len(handoffs(s, "n1")) == 0
	})
}

// handoffs returns the tasks being handed off to node.
func handoffs(s *state.State, node string) []state.TaskKey {
	var out []state.TaskKey
	for _, a := range s.Assignments() {
		if a.HandoffTo == node {
			out = append(out, state.KeyOf(a.Task))
		}
	}
	return out
}

// releaseAll releases every handoff in progress, as the draining nodes do.
func releaseAll(t *testing.T, st *state.MemStore) {
	t.Helper()
	var rel []*clusterv1.Command
	st.Read(func(s *state.State) {
		for _, a := range s.Assignments() {
			if a.HandoffTo != "" {
				rel = append(rel, &clusterv1.Command{Cmd: &clusterv1.Command_ReleaseTask{ReleaseTask: &clusterv1.ReleaseTask{Task: a.Task, Epoch: a.Epoch}}})
			}
		}
	})
	for _, c := range rel {
		mustStoreApply(t, st, c)
	}
}

// TestLoopForcesAnOverdueHandoff: a node that never releases a task handed off from it
// (hung, or too old to know handoffs) holds the move back only for HandoffTimeout; then
// the task is assigned at once, under a new epoch that fences that node.
func TestLoopForcesAnOverdueHandoff(t *testing.T) {
	st := state.NewMemStore()
	mustStoreApply(t, st, register("n1", "p1"))
	mustStoreApply(t, st, register("n2", "p1"))
	mustStoreApply(t, st, put("a", 2))
	mustStoreApply(t, st, assign("a-0=n1", "a-1=n1"))
	l := &scheduler.Loop{Store: st, Live: newLiveNodes("n1", "n2").get, IsLeader: func() bool { return true },
		Interval: 20 * time.Millisecond, HandoffTimeout: 200 * time.Millisecond, Logger: testLogger(t)}
	startLoop(t, l)
	waitFor(t, st, "a task handed off to n2", func(s *state.State) bool { return len(handoffs(s, "n2")) == 1 })
	waitFor(t, st, "the overdue handoff forced: the task on n2 under a new epoch", func(s *state.State) bool {
		l := loads(s)
		return l["n1"] == 1 && l["n2"] == 1 && len(handoffs(s, "n2")) == 0
	})
}

// TestLoopFollowerDoesNothing checks that a Loop whose node does not lead never writes, even
// when woken by changes and kicks, and starts as soon as the node leads.
func TestLoopFollowerDoesNothing(t *testing.T) {
	st := state.NewMemStore()
	mustStoreApply(t, st, register("n1", "p1"))
	var leader atomic.Bool
	asked := make(chan struct{}, 100)
	isLeader := func() bool {
		select {
		case asked <- struct{}{}:
		default:
		}
		return leader.Load()
	}
	l := &scheduler.Loop{Store: st, Live: newLiveNodes("n1").get, IsLeader: isLeader, Interval: never, Logger: testLogger(t)}
	startLoop(t, l)
	waitAsked := func() {
		t.Helper()
		select {
		case <-asked:
		case <-time.After(waitLimit):
			t.Fatal("the loop never asked whether it leads")
		}
	}
	waitAsked()
	mustStoreApply(t, st, put("a", 2))
	drain(asked)
	l.Kick()
	waitAsked() // the loop woke up and consulted IsLeader: it has had its chance to act
	var index uint64
	var assigned int
	st.Read(func(s *state.State) { index, assigned = s.Index(), len(s.Assignments()) })
	if assigned != 0 || index != 2 {
		t.Fatalf("a follower's loop wrote: index %d, %d assignments; want index 2, none", index, assigned)
	}

	leader.Store(true)
	l.Kick()
	waitFor(t, st, "the new leader places a", allOn("n1"))
}

func drain(ch chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func TestLoopStopsWithContext(t *testing.T) {
	st := state.NewMemStore()
	stop := startLoop(t, &scheduler.Loop{Store: st, Live: newLiveNodes().get, IsLeader: func() bool { return true }})
	stop() // fails the test unless Run returns nil promptly
}

func TestLoopNeedsStore(t *testing.T) {
	if err := (&scheduler.Loop{}).Run(context.Background()); err == nil {
		t.Fatal("Run with no Store returned nil, want an error")
	}
}

// TestLoopDefaults runs a Loop with only a Store: every registered node counts as live and
// the node counts as leader.
func TestLoopDefaults(t *testing.T) {
	st := state.NewMemStore()
	mustStoreApply(t, st, register("n1", "p1"))
	mustStoreApply(t, st, put("a", 1))
	startLoop(t, &scheduler.Loop{Store: st})
	waitFor(t, st, "a-0 is placed on n1", allOn("n1"))
}

// TestKickNeverBlocks kicks a Loop nobody runs: every Kick returns, and the kicks merge
// into one that is still pending, which wakes the Loop once it runs.
func TestKickNeverBlocks(t *testing.T) {
	st := state.NewMemStore()
	asked := make(chan struct{}, 100)
	l := &scheduler.Loop{Store: st, Live: newLiveNodes().get, Interval: never, IsLeader: func() bool {
		asked <- struct{}{}
		return true
	}}
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		for range 10 {
			l.Kick() // nobody runs l: kicks must merge, not block
		}
	}()
	select {
	case <-returned:
	case <-time.After(waitLimit):
		t.Fatalf("10 kicks of a Loop nobody runs did not return within %v: Kick blocks", waitLimit)
	}
	// Run plans once on start, then the pending kick wakes it again: nothing else does
	// (no store change, no tick within an hour).
	startLoop(t, l)
	for i := range 2 {
		select {
		case <-asked:
		case <-time.After(waitLimit):
			t.Fatalf("the loop consulted IsLeader %d times, want 2: the start and the pending kick", i)
		}
	}
}

// TestLoopTicks checks that a change nobody announces (a lease running out) is noticed
// within an Interval.
func TestLoopTicks(t *testing.T) {
	st := state.NewMemStore()
	mustStoreApply(t, st, register("n1", "p1"))
	mustStoreApply(t, st, register("n2", "p1"))
	mustStoreApply(t, st, put("a", 2))
	live := newLiveNodes("n1", "n2")
	startLoop(t, &scheduler.Loop{Store: st, Live: live.get, Interval: 10 * time.Millisecond, Logger: testLogger(t)})
	waitFor(t, st, "a is placed", allOn("n1", "n2"))
	live.set("n2")
	waitFor(t, st, "a moves to n2 without a kick", allOn("n2"))
}

// flakyStore fails the first failures applies and can pretend to apply without applying.
type flakyStore struct {
	*state.MemStore
	failures atomic.Int32
	noop     atomic.Bool  // when set, Apply does nothing and reports the current index
	applies  atomic.Int32 // Apply calls
}

func (f *flakyStore) Apply(ctx context.Context, cmd *clusterv1.Command) (uint64, error) {
	f.applies.Add(1)
	if f.failures.Add(-1) >= 0 {
		return 0, errors.New("not the leader")
	}
	if f.noop.Load() {
		var index uint64
		f.Read(func(s *state.State) { index = s.Index() })
		return index, nil
	}
	return f.MemStore.Apply(ctx, cmd)
}

func TestLoopRetriesAfterApplyError(t *testing.T) {
	st := &flakyStore{MemStore: state.NewMemStore()}
	mustStoreApply(t, st.MemStore, register("n1", "p1"))
	st.failures.Store(1)
	l := &scheduler.Loop{Store: st, Live: newLiveNodes("n1").get, Interval: never, Logger: testLogger(t)}
	startLoop(t, l)
	mustStoreApply(t, st.MemStore, put("a", 1)) // the loop's first apply after this fails
	deadline := time.After(waitLimit)
	for st.applies.Load() < 1 {
		select {
		case <-deadline:
			t.Fatal("the loop never tried to apply")
		case <-time.After(time.Millisecond):
		}
	}
	l.Kick()
	waitFor(t, st, "a-0 is placed after the retry", allOn("n1"))
}

// TestLoopDoesNotSpin checks that a plan that changes nothing when applied (which Plan never
// produces, but a bug might) is not applied over and over.
func TestLoopDoesNotSpin(t *testing.T) {
	st := &flakyStore{MemStore: state.NewMemStore()}
	mustStoreApply(t, st.MemStore, register("n1", "p1"))
	mustStoreApply(t, st.MemStore, put("a", 1))
	st.noop.Store(true)
	asked := make(chan struct{}, 100)
	l := &scheduler.Loop{
		Store: st, Live: newLiveNodes("n1").get, Interval: never, Logger: testLogger(t),
		IsLeader: func() bool {
			select {
			case asked <- struct{}{}:
			default:
			}
			return true
		},
	}
	startLoop(t, l)
	for range 5 {
		select {
		case <-asked:
		case <-time.After(waitLimit):
			t.Fatal("the loop stopped waking up")
		}
		l.Kick()
	}
	if n := st.applies.Load(); n != 1 {
		t.Fatalf("the loop applied the same no-op plan %d times, want once", n)
	}
	// A real change lifts the guard.
	st.noop.Store(false)
	mustStoreApply(t, st.MemStore, put("b", 1))
	waitFor(t, st, "a and b are placed", allOn("n1"))
}
