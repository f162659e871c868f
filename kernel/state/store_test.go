package state_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

var _ state.Store = (*state.MemStore)(nil)

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestMemStoreApply(t *testing.T) {
	ctx := context.Background()
	m := state.NewMemStore()
	for i, cmd := range []*clusterv1.Command{register("n1", "file-source"), put("a", 1)} {
		index, err := m.Apply(ctx, cmd)
		if err != nil {
			t.Fatalf("Apply(%v) = %v", cmd, err)
		}
		if want := uint64(i + 1); index != want {
			t.Errorf("Apply returned index %d, want %d", index, want)
		}
	}
	index, err := m.Apply(ctx, createC(connector("a", "file-source", 1)))
	if index != 3 {
		t.Errorf("refused Apply returned index %d, want 3", index)
	}
	checkCode(t, err, state.CodeExists)

	m.Read(func(s *state.State) {
		if s.Index() != 3 {
			t.Errorf("Index() = %d, want 3", s.Index())
		}
		if s.Connector("a") == nil || s.Node("n1") == nil {
			t.Errorf("Read does not see applied commands")
		}
	})
}

func TestMemStoreChanged(t *testing.T) {
	ctx := context.Background()
	m := state.NewMemStore()
	ch := m.Changed()
	if closed(ch) {
		t.Fatal("Changed() is closed before any apply")
	}
	if _, err := m.Apply(ctx, register("n1")); err != nil {
		t.Fatal(err)
	}
	if !closed(ch) {
		t.Fatal("Changed() channel not closed after an apply")
	}
	next := m.Changed()
	if closed(next) {
		t.Fatal("Changed() after an apply returned an already closed channel")
	}
	// A refused command advances the index, which is a change too.
	if _, err := m.Apply(ctx, del("zzz")); err == nil {
		t.Fatal("delete of a missing connector accepted")
	}
	if !closed(next) {
		t.Fatal("Changed() channel not closed after a refused apply")
	}
}

// TestMemStoreConcurrent runs readers, waiters and writers at once (for -race): every
// reader sees the index only grow and is woken until it sees the last write, and the store
// ends holding every write.
func TestMemStoreConcurrent(t *testing.T) {
	ctx := context.Background()
	m := state.NewMemStore()
	const writes = 200
	const readers = 3
	var wg sync.WaitGroup
	done := make(chan struct{})
	seen := make([]uint64, readers)
	errs := make(chan error, readers)
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ch := m.Changed()
				var last uint64
				m.Read(func(s *state.State) {
					last = s.Index()
					_ = s.Snapshot()
				})
				if last < seen[r] {
					errs <- fmt.Errorf("reader %d saw index %d after %d", r, last, seen[r])
					return
				}
				seen[r] = last
				if last == writes {
					return
				}
				select {
				case <-ch:
				case <-done:
					return
				}
			}
		}()
	}
	for i := range writes {
		cmd := register("n1")
		if i%2 == 1 {
			cmd = put("a", i%5)
		}
		if _, err := m.Apply(ctx, cmd); err != nil {
			t.Fatal(err)
		}
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(30 * time.Second):
		close(done)
		<-finished
		t.Fatalf("readers not woken up to the last write: they saw indexes %v, want %d each", seen, writes)
	}
	close(done)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for r, idx := range seen {
		if idx != writes {
			t.Errorf("reader %d last saw index %d, want %d", r, idx, writes)
		}
	}
	m.Read(func(s *state.State) {
		if s.Index() != writes {
			t.Errorf("final index %d, want %d", s.Index(), writes)
		}
		if s.Node("n1") == nil {
			t.Error("node n1 not registered at the end")
		}
		// The last put is write 199: connector a with 199%5 = 4 tasks.
		if c := s.Connector("a"); c == nil || len(c.Tasks) != 4 {
			t.Errorf("connector a at the end: %v, want one with 4 tasks", c)
		}
	})
}
