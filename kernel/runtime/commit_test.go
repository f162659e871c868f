package runtime

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// commitState is a state with connector gen (two tasks) assigned to n1, for the commit
// test; the herder's tests run whole tasks.
type commitState struct{ store *state.MemStore }

func newCommitState(t *testing.T) *commitState {
	c := &commitState{store: state.NewMemStore()}
	for _, cmd := range []*clusterv1.Command{
		{Cmd: &clusterv1.Command_RegisterNode{RegisterNode: &clusterv1.RegisterNode{Node: &clusterv1.Node{Id: "n1"}}}},
		{Cmd: &clusterv1.Command_PutConnector{PutConnector: &clusterv1.PutConnector{Connector: &clusterv1.Connector{
			Name: "gen", Plugin: "gen", Type: clusterv1.ConnectorType_CONNECTOR_TYPE_SOURCE, TargetState: clusterv1.TargetState_TARGET_STATE_RUNNING,
			Config: map[string]string{"connector.class": "com.example.GenSource"},
			Tasks:  []*clusterv1.TaskConfig{{}, {}}}}}},
		{Cmd: &clusterv1.Command_SetAssignments{SetAssignments: &clusterv1.SetAssignments{Assign: []*clusterv1.Assignment{
			{Task: &clusterv1.TaskID{Connector: "gen", Task: 0}, Node: "n1"}, {Task: &clusterv1.TaskID{Connector: "gen", Task: 1}, Node: "n1"}}}}},
	} {
		if _, err := c.store.Apply(context.Background(), cmd); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func (c *commitState) epoch(task int32) (e uint64) {
	c.store.Read(func(s *state.State) { e = s.Assignment(state.TaskKey{Connector: "gen", Task: task}).Epoch })
	return e
}

func (c *commitState) sourceOffset(partition string) (out string) {
	c.store.Read(func(s *state.State) {
		for _, o := range s.SourceOffsets("gen") {
			if string(o.Partition) == partition {
				out = string(o.Offset)
			}
		}
	})
	return out
}

// noPlugins resolves nothing: the commit test opens no plugin.
type noPlugins struct{}

func (noPlugins) Resolve(class string) (pluginhost.Descriptor, error) {
	return pluginhost.Descriptor{}, errors.New("no plugins here")
}

func (noPlugins) WaitClient(context.Context, string) (*pluginhost.Client, error) {
	return nil, errors.New("no plugins here")
}

// fakeRole is a taskRole that only holds offsets, for committer tests.
type fakeRole struct {
	mu                sync.Mutex
	pending           []*clusterv1.SourceOffset
	requeued, commits int
}

func (f *fakeRole) init() error                                       { return nil }
func (f *fakeRole) session(context.Context, *pluginhost.Client) error { return nil }
func (f *fakeRole) release()                                          {}
func (f *fakeRole) requeue(o *clusterv1.TaskOffsets) {
	f.mu.Lock()
	f.requeued++
	f.pending = o.Source
	f.mu.Unlock()
}
func (f *fakeRole) committed(*clusterv1.TaskOffsets) { f.mu.Lock(); f.commits++; f.mu.Unlock() }
func (f *fakeRole) takeOffsets() *clusterv1.TaskOffsets {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pending == nil {
		return nil
	}
	o := &clusterv1.TaskOffsets{Source: f.pending}
	f.pending = nil
	return o
}

// flakyStore fails the next Apply when fail is set.
type flakyStore struct {
	*state.MemStore
	mu   sync.Mutex
	fail bool
}

func (s *flakyStore) Apply(ctx context.Context, cmd *clusterv1.Command) (uint64, error) {
	s.mu.Lock()
	fail := s.fail
	s.fail = false
	s.mu.Unlock()
	if fail {
		return 0, errors.New("no leader")
	}
	return s.MemStore.Apply(ctx, cmd)
}

func TestCommitIsBatchedAndFencedPerTask(t *testing.T) {
	cs := newCommitState(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := &flakyStore{MemStore: cs.store}
	rt, err := New(Config{NodeID: "n1", Store: store, Plugins: noPlugins{}, Brokers: []string{"127.0.0.1:1"}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(task int32, epoch uint64, part string) (*workerTask, *fakeRole) {
		role := &fakeRole{pending: []*clusterv1.SourceOffset{{Partition: []byte(part), Offset: []byte(`{"n":1}`)}}}
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		return &workerTask{r: rt, key: state.TaskKey{Connector: "gen", Task: task}, epoch: epoch, role: role,
			ctx: ctx, cancel: cancel, hurry: ctx, hurryCancel: cancel, log: log}, role
	}
	current, currentRole := mk(0, cs.epoch(0), "a")
	stale, staleRole := mk(1, cs.epoch(1)-1, "b")
	index := func() (i uint64) { cs.store.Read(func(s *state.State) { i = s.Index() }); return i }
	before := index()

	// The store cannot reach a leader: nothing is lost, both come back for the next commit.
	store.fail = true
	rt.commit(context.Background(), []*workerTask{current, stale})
	if currentRole.requeued != 1 || staleRole.requeued != 1 || current.quiet() || stale.quiet() {
		t.Fatalf("after a failed commit: requeued %d, %d, fenced %v, %v; want both requeued, none fenced",
			currentRole.requeued, staleRole.requeued, current.quiet(), stale.quiet())
	}

	rt.commit(context.Background(), []*workerTask{current, stale})
	if got := index() - before; got != 1 {
		t.Errorf("the commit took %d commands; want one for both tasks", got)
	}
	if cs.sourceOffset("a") != `{"n":1}` || cs.sourceOffset("b") != "" {
		t.Errorf("offsets a=%q b=%q; want only the current task's", cs.sourceOffset("a"), cs.sourceOffset("b"))
	}
	if currentRole.commits != 1 || current.quiet() {
		t.Errorf("current task: committed %d, fenced %v; want told once, running", currentRole.commits, current.quiet())
	}
	if staleRole.commits != 0 || !stale.quiet() {
		t.Errorf("stale task: committed %d, fenced %v; want never told, fenced", staleRole.commits, stale.quiet())
	}
}
