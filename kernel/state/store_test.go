package state_test

import (
	"context"
	"sync"
	"testing"

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

// TestMemStoreConcurrent runs readers, waiters and writers at once (for -race).
func TestMemStoreConcurrent(t *testing.T) {
	ctx := context.Background()
	m := state.NewMemStore()
	const writes = 200
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 3 {
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
	wg.Wait()
	close(done)
}
