package cluster

import (
	"fmt"
	"io"
	"sync"

	"github.com/hashicorp/raft"
	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// fsm feeds committed log entries to the state machine and lets readers see it.
type fsm struct {
	mu      sync.RWMutex
	s       *state.State
	changed chan struct{}
}

func newFSM() *fsm { return &fsm{s: state.New(), changed: make(chan struct{})} }

var _ raft.FSM = (*fsm)(nil)

// Apply implements raft.FSM. It returns the state machine's refusal (an error) or nil.
func (f *fsm) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	var cmd clusterv1.Command
	if err := proto.Unmarshal(l.Data, &cmd); err != nil {
		// A log entry we cannot decode is skipped by every replica alike.
		return fmt.Errorf("decode command at index %d: %w", l.Index, err)
	}
	f.mu.Lock()
	err := f.s.Apply(l.Index, &cmd)
	f.notifyLocked()
	f.mu.Unlock()
	return err
}

func (f *fsm) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// Snapshot implements raft.FSM.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.RLock()
	snap := f.s.Snapshot()
	f.mu.RUnlock()
	data, err := proto.Marshal(snap)
	if err != nil {
		return nil, err
	}
	return fsmSnapshot(data), nil
}

// Restore implements raft.FSM.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	var snap clusterv1.Snapshot
	if err := proto.Unmarshal(data, &snap); err != nil {
		return fmt.Errorf("decode snapshot: %w", err)
	}
	f.mu.Lock()
	f.s = state.Restore(&snap)
	f.notifyLocked()
	f.mu.Unlock()
	return nil
}

func (f *fsm) read(fn func(*state.State)) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	fn(f.s)
}

func (f *fsm) watch() <-chan struct{} {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.changed
}

func (f *fsm) index() uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.s.Index()
}

type fsmSnapshot []byte

func (s fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s fsmSnapshot) Release() {}
