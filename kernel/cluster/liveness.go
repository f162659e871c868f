package cluster

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// liveness is the leader's record of when it last heard from each node.
type liveness struct {
	mu      sync.Mutex
	contact map[string]time.Time
	// since is when this node's current term as leader began, as far as liveness knows;
	// zero while it does not lead. Every node counts as heard from at since: a new leader
	// has not been listening to heartbeats and must not declare everyone dead at once.
	since time.Time
	live  map[string]bool // last set reported through OnLiveChange
}

func (l *liveness) touch(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.contact == nil {
		l.contact = map[string]time.Time{}
	}
	l.contact[id] = time.Now()
}

// Live returns the ids of the registered nodes the leader holds alive: heard from within
// DeadAfter, counting the start of its leadership as a heartbeat from everyone. Computed
// on every call, so a scheduler asking right after an election gets a full set. Empty on
// a node that does not lead.
func (n *Node) Live() map[string]bool {
	leader := n.IsLeader()
	var ids []string
	n.Read(func(s *state.State) {
		for _, nd := range s.Nodes() {
			ids = append(ids, nd.Id)
		}
	})
	now := time.Now()
	n.live.mu.Lock()
	defer n.live.mu.Unlock()
	if !leader {
		n.live.since = time.Time{}
		return map[string]bool{}
	}
	if n.live.since.IsZero() {
		n.live.since = now
	}
	out := map[string]bool{}
	for _, id := range ids {
		last := n.live.contact[id]
		if last.Before(n.live.since) {
			last = n.live.since
		}
		if now.Sub(last) < n.cfg.DeadAfter {
			out[id] = true
		}
	}
	return out
}

// heartbeatLoop keeps this node's lease: every HeartbeatInterval it tells the leader it is
// alive. The lease is held while the last successful heartbeat was sent less than Lease
// ago; losing it calls OnLease(false) so the runtime stops every task before the leader
// (which waits DeadAfter > Lease) can give them to anyone else.
func (n *Node) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(n.cfg.HeartbeatInterval)
	defer t.Stop()
	var lastOK time.Time
	held := false
	setHeld := func(h bool) {
		if h == held {
			return
		}
		held = h
		n.log.Info("lease changed", "held", held)
		if n.cfg.OnLease != nil {
			n.cfg.OnLease(held)
		}
	}
	for {
		// Check expiry before trying again: a node that was frozen (SIGSTOP, a long GC
		// pause, a suspended VM) must give up its tasks even if the leader answers its
		// very next heartbeat, because the leader may have moved them meanwhile.
		if held && time.Since(lastOK) >= n.cfg.Lease {
			setHeld(false)
		}
		sent := time.Now()
		if n.heartbeat(ctx) {
			lastOK = sent
		}
		setHeld(!lastOK.IsZero() && time.Since(lastOK) < n.cfg.Lease)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (n *Node) heartbeat(ctx context.Context) bool {
	if n.IsLeader() {
		n.live.touch(n.cfg.NodeID)
		return true
	}
	cl, err := n.leaderClient()
	if err != nil {
		return false
	}
	cctx, cancel := context.WithTimeout(ctx, n.cfg.HeartbeatInterval*2)
	defer cancel()
	_, err = cl.Heartbeat(cctx, &clusterv1.HeartbeatRequest{NodeId: n.cfg.NodeID})
	return err == nil
}

// livenessLoop recomputes the live set every 100ms and calls OnLiveChange when it changes,
// so the scheduler moves a dead node's tasks without waiting for its next tick.
func (n *Node) livenessLoop(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next := n.Live()
		n.live.mu.Lock()
		changed := !maps.Equal(next, n.live.live)
		n.live.live = next
		n.live.mu.Unlock()
		if changed && n.cfg.OnLiveChange != nil {
			n.cfg.OnLiveChange()
		}
	}
}

// LastContact returns how long ago the leader last heard from a node.
func (n *Node) LastContact(id string) (time.Duration, bool) {
	n.live.mu.Lock()
	defer n.live.mu.Unlock()
	t, ok := n.live.contact[id]
	if !ok {
		return 0, false
	}
	return time.Since(t), true
}
