package state

import (
	"context"
	"sync"

	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// Store is what the rest of the kernel sees of the replicated state: consistent reads of the
// local replica, a signal when it changes, and writes that go through the Raft leader.
// kernel/cluster implements it; the runtime and the admin service depend only on it.
type Store interface {
	// Read calls fn with the local replica held still. fn must not keep the *State or
	// block; it may keep records it read (they are never modified in place).
	Read(fn func(*State))
	// Changed returns a channel that is closed the next time the state changes.
	Changed() <-chan struct{}
	// Apply submits a command through the leader and waits until it is applied locally.
	// A refusal by the state machine is returned as an *Error.
	Apply(ctx context.Context, cmd *clusterv1.Command) (index uint64, err error)
}

// MemStore is a Store that applies commands directly, with no replication. It is the
// state machine behind one lock, for tests of the packages that depend on a Store.
type MemStore struct {
	mu      sync.RWMutex
	s       *State
	changed chan struct{}
}

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore {
	return &MemStore{s: New(), changed: make(chan struct{})}
}

// Read implements Store.
func (m *MemStore) Read(fn func(*State)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	fn(m.s)
}

// Changed implements Store.
func (m *MemStore) Changed() <-chan struct{} {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.changed
}

// Apply implements Store.
func (m *MemStore) Apply(_ context.Context, cmd *clusterv1.Command) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	index := m.s.Index() + 1
	err := m.s.Apply(index, cmd)
	close(m.changed)
	m.changed = make(chan struct{})
	return index, err
}
