package cluster

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/tributary-dev/tributary/kernel/state"
	"github.com/tributary-dev/tributary/plugins/testsvc"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// holdEntriesTransport refuses, while hold is set, the AppendEntries that carry log
// entries to this node, and lets raft's empty heartbeats through: the node learns who
// leads, as a node restarted from an old data dir does at once, but cannot catch up.
type holdEntriesTransport struct {
	raft.Transport
	hold atomic.Bool
	in   chan raft.RPC
	stop chan struct{}
	once sync.Once
}

func newHoldEntriesTransport(inner raft.Transport) *holdEntriesTransport {
	h := &holdEntriesTransport{Transport: inner, in: make(chan raft.RPC), stop: make(chan struct{})}
	go func() {
		for {
			select {
			case <-h.stop:
				return
			case rpc := <-inner.Consumer():
				if ae, ok := rpc.Command.(*raft.AppendEntriesRequest); ok && len(ae.Entries) > 0 && h.hold.Load() {
					rpc.Respond(nil, errPartitioned)
					continue
				}
				if _, ok := rpc.Command.(*raft.InstallSnapshotRequest); ok && h.hold.Load() {
					rpc.Respond(nil, errPartitioned)
					continue
				}
				select {
				case h.in <- rpc:
				case <-h.stop:
					return
				}
			}
		}
	}()
	return h
}

func (h *holdEntriesTransport) Consumer() <-chan raft.RPC { return h.in }

func (h *holdEntriesTransport) Close() error {
	h.once.Do(func() { close(h.stop) })
	if c, ok := h.Transport.(raft.WithClose); ok {
		return c.Close()
	}
	return nil
}

// TestRestartedNodeHoldsNoLeaseUntilCaughtUp restarts a node from its old data dir after
// a connector it knew was deleted and another created, and keeps it from catching up: it
// must not take its lease (so its runtime starts no task from the old snapshot) until its
// replica holds what the leader had committed when it rejoined.
func TestRestartedNodeHoldsNoLeaseUntilCaughtUp(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three raft nodes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rpc1 := freeAddr(t)
	nodes := []*Node{startNode(t, "n1", t.TempDir(), true, nil, freeAddr(t), rpc1)}
	if err := nodes[0].WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	dir3, raft3, rpc3 := t.TempDir(), freeAddr(t), freeAddr(t)
	nodes = append(nodes, startNode(t, "n2", t.TempDir(), false, []string{rpc1}, freeAddr(t), freeAddr(t)))
	nodes = append(nodes, startNode(t, "n3", dir3, false, []string{rpc1}, raft3, rpc3))
	t.Cleanup(func() {
		for _, n := range nodes {
			n.Shutdown()
		}
	})
	for _, n := range nodes {
		if err := n.WaitLeader(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := nodes[0].Apply(ctx, putConnector("deleted-while-down")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "n3 to replicate the connector", func() bool {
		return slices.Contains(connectorNames(nodes[2]), "deleted-while-down")
	})
	// A restarted node replays nothing until it learns the commit index from a leader, so
	// what it holds at once is its last snapshot: take one, as SnapshotThreshold would.
	if err := nodes[2].raft.Snapshot().Error(); err != nil {
		t.Fatal(err)
	}
	nodes[2].Shutdown()

	leader := nodes[0]
	if !leader.IsLeader() {
		leader = nodes[1]
	}
	if _, err := leader.Apply(ctx, &clusterv1.Command{Cmd: &clusterv1.Command_DeleteConnector{
		DeleteConnector: &clusterv1.DeleteConnector{Name: "deleted-while-down"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := leader.Apply(ctx, putConnector("created-while-down")); err != nil {
		t.Fatal(err)
	}

	// Restart n3 from its old data dir, unable to receive log entries.
	var sawAtLease atomic.Value // the connectors n3's replica held when it took its lease
	var n3 *Node
	n3, err := New(Config{
		NodeID: "n3", DataDir: dir3, RaftBind: raft3, RPCBind: rpc3, Voters: 3,
		OnLease: func(held bool) {
			if held && sawAtLease.Load() == nil {
				sawAtLease.Store(fmt.Sprint(connectorNames(n3)))
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var hold *holdEntriesTransport
	n3.wrapTransport = func(inner raft.Transport) raft.Transport {
		hold = newHoldEntriesTransport(inner)
		hold.hold.Store(true)
		return hold
	}
	if err := n3.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	nodes[2] = n3
	testsvc.Eventually(t, testsvc.WaitLimit, "the restarted n3 to know the leader", func() bool { return n3.LeaderID() != "" })
	if got := fmt.Sprint(connectorNames(n3)); got != "[deleted-while-down]" {
		t.Fatalf("n3's replica holds %s before catching up; the test needs it to hold the old state", got)
	}
	testsvc.Consistently(t, 2*time.Second, "n3 holds no lease while its replica is behind the leader",
		func() bool { return !n3.LeaseHeld() && sawAtLease.Load() == nil && !n3.CaughtUp() })

	hold.hold.Store(false)
	testsvc.Eventually(t, testsvc.WaitLimit, "n3 to take its lease once caught up", n3.LeaseHeld)
	if got := sawAtLease.Load(); got != "[created-while-down]" {
		t.Errorf("n3 took its lease with connectors %v in its replica; want [created-while-down]", got)
	}
	var index uint64
	n3.Read(func(s *state.State) { index = s.Index() })
	if !n3.CaughtUp() || index == 0 {
		t.Errorf("n3 holds its lease with CaughtUp()=%v at index %d", n3.CaughtUp(), index)
	}
}
