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
	live    map[string]bool
}

func (l *liveness) touch(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.contact == nil {
		l.contact = map[string]time.Time{}
	}
	l.contact[id] = time.Now()
}

// Live returns the ids of the nodes the leader holds alive: heard from within DeadAfter.
// Only meaningful on the leader; elsewhere it is empty.
func (n *Node) Live() map[string]bool {
	n.live.mu.Lock()
	defer n.live.mu.Unlock()
	return maps.Clone(n.live.live)
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

// heartbeatLoop keeps this node's lease: every HeartbeatInterval it tells the leader it is
// alive. The lease is held while the last successful heartbeat was sent less than Lease
// ago; losing it calls OnLease(false) so the runtime stops every task before the leader
// (which waits DeadAfter > Lease) can give them to anyone else.
func (n *Node) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(n.cfg.HeartbeatInterval)
	defer t.Stop()
	var lastOK time.Time
	held := false
	for {
		sent := time.Now()
		if n.heartbeat(ctx) {
			lastOK = sent
		}
		now := time.Now()
		if h := !lastOK.IsZero() && now.Sub(lastOK) < n.cfg.Lease; h != held {
			held = h
			n.log.Info("lease changed", "held", held)
			if n.cfg.OnLease != nil {
				n.cfg.OnLease(held)
			}
		}
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

// livenessLoop runs on every node and acts while it leads: it recomputes the live set and
// calls OnLiveChange when it changes. A new leader first gives every known node a fresh
// DeadAfter of grace, since it has not been listening to their heartbeats.
func (n *Node) livenessLoop(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	wasLeader := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		leader := n.IsLeader()
		if leader && !wasLeader {
			var ids []string
			n.Read(func(s *state.State) {
				for _, nd := range s.Nodes() {
					ids = append(ids, nd.Id)
				}
			})
			for _, id := range ids {
				n.live.touch(id)
			}
		}
		wasLeader = leader
		next := map[string]bool{}
		if leader {
			now := time.Now()
			n.live.mu.Lock()
			for id, at := range n.live.contact {
				if now.Sub(at) < n.cfg.DeadAfter {
					next[id] = true
				}
			}
			n.live.mu.Unlock()
		}
		n.live.mu.Lock()
		changed := !maps.Equal(next, n.live.live)
		n.live.live = next
		n.live.mu.Unlock()
		if changed && n.cfg.OnLiveChange != nil {
			n.cfg.OnLiveChange()
		}
	}
}
