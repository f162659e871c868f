package cluster

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/tributary-dev/tributary/kernel/state"
)

// liveness is the leader's record of when it last heard from each node.
type liveness struct {
	mu      sync.Mutex
	contact map[string]time.Time
	// since is when this node's leadership of term sinceTerm began, as far as liveness
	// knows; zero while it does not lead. Every node counts as heard from at since: a new
	// leader has not been listening to heartbeats and must not declare everyone dead at once.
	since     time.Time
	sinceTerm uint64
	// seed holds, for leadership of term seedTerm, nodes that count as last heard from at
	// the given time instead of at since: the previous leader, at raft's LastContact() when
	// this node took over (watchLeader; the fencing notes in lease.go say why that is safe).
	seed     map[string]time.Time
	seedTerm uint64
	live     map[string]bool // last set reported through OnLiveChange
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
// DeadAfter, counting the start of its leadership as a heartbeat from everyone except the
// leader it took over from, which counts as last heard from when this node last heard
// that leader's AppendEntries. Computed on every call, so a scheduler asking right after
// an election gets a full set. Empty on a node that does not lead.
func (n *Node) Live() map[string]bool { return n.liveAt(time.Now()) }

// liveAt is Live as of now; tests pass the instant they want the rule judged at.
func (n *Node) liveAt(now time.Time) map[string]bool {
	if n.raft == nil {
		return map[string]bool{}
	}
	leader := n.IsLeader()
	term := n.raft.CurrentTerm()
	var ids []string
	n.Read(func(s *state.State) {
		for _, nd := range s.Nodes() {
			ids = append(ids, nd.Id)
		}
	})
	n.live.mu.Lock()
	defer n.live.mu.Unlock()
	if !leader {
		n.live.since = time.Time{}
		return map[string]bool{}
	}
	// A new term is a new leadership even if no call saw this node follow in between.
	if n.live.since.IsZero() || n.live.sinceTerm != term {
		n.live.since, n.live.sinceTerm = now, term
	}
	var seed map[string]time.Time
	if n.live.seedTerm == term {
		seed = n.live.seed
	}
	out := map[string]bool{}
	for _, id := range ids {
		last := n.live.contact[id]
		if s, ok := seed[id]; ok {
			if s.After(last) {
				last = s
			}
		} else if last.Before(n.live.since) {
			last = n.live.since
		}
		if now.Sub(last) < n.cfg.DeadAfter {
			out[id] = true
		}
	}
	return out
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

// leaderObserver registers a raft observer of leader changes. It never blocks raft; a
// dropped observation is noticed (GetNumDropped) and only makes watchLeader forget whom it
// followed, which costs speed, not safety.
func (n *Node) leaderObserver() (*raft.Observer, chan raft.Observation) {
	ch := make(chan raft.Observation, 64)
	obs := raft.NewObserver(ch, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	})
	n.raft.RegisterObserver(obs)
	return obs, ch
}

// watchLeader follows raft's leader changes in order. When this node wins an election it
// seeds the liveness record of the leader it followed last with raft.LastContact(), so
// a leader that died is declared dead DeadAfter after it last sent us AppendEntries
// rather than DeadAfter after the election. It also starts the new term's first lease
// barrier at once, so followers' heartbeats are answered without waiting for a tick.
func (n *Node) watchLeader(ctx context.Context, obs *raft.Observer, ch <-chan raft.Observation) {
	defer n.raft.DeregisterObserver(obs)
	var (
		followed     string // the last leader other than this node raft reported
		followedTerm uint64 // the current term read after that report: at least its term
		dropped      uint64
	)
	for {
		var o raft.Observation
		select {
		case <-ctx.Done():
			return
		case o = <-ch:
		}
		lo, ok := o.Data.(raft.LeaderObservation)
		if !ok {
			continue
		}
		if d := obs.GetNumDropped(); d != dropped {
			dropped, followed = d, ""
		}
		switch id := string(lo.LeaderID); {
		case id == n.cfg.NodeID:
			n.kickRenew()
			n.seedPrevious(followed, followedTerm)
		case id != "":
			followed, followedTerm = id, n.raft.CurrentTerm()
		case lo.LeaderAddr != "":
			followed = "" // a leader without an id: we cannot tell who it was
		}
	}
}

// seedPrevious records prev as last heard from at raft.LastContact(), for this node's
// current leadership, if prev led the newest term in this node's log from before its own
// term. prevTerm was read after raft reported prev as leader, so it is at least prev's
// term, and the newest term in the log is at most prev's term (every entry came from prev
// or an earlier leader): they are equal only if prev led that term. The fencing notes in
// lease.go explain why LastContact() then bounds all of prev's lease renewals.
func (n *Node) seedPrevious(prev string, prevTerm uint64) {
	if prev == "" || prev == n.cfg.NodeID {
		return
	}
	term := n.raft.CurrentTerm()
	if !n.IsLeader() {
		return
	}
	// Entries accepted before this process started raft are not in LastContact().
	last := n.raft.LastContact()
	if last.Before(n.raftStarted) {
		last = n.raftStarted
	}
	newest, ok := n.newestTermBefore(term)
	if !ok || newest != prevTerm {
		n.log.Debug("liveness: previous leader not seeded", "prev", prev, "prev_term", prevTerm, "newest_log_term", newest)
		return
	}
	if n.raft.CurrentTerm() != term || !n.IsLeader() {
		return
	}
	n.live.mu.Lock()
	n.live.seed, n.live.seedTerm = map[string]time.Time{prev: last}, term
	n.live.mu.Unlock()
	n.log.Debug("liveness: previous leader last heard from", "prev", prev, "ago", time.Since(last), "term", term)
}

// newestTermBefore returns the term of the newest log entry older than term, looking back
// over at most a few thousand entries of term itself.
func (n *Node) newestTermBefore(term uint64) (uint64, bool) {
	if n.store == nil {
		return 0, false
	}
	idx, err := n.store.LastIndex()
	if err != nil {
		return 0, false
	}
	for i := 0; i < 4096 && idx > 0; i, idx = i+1, idx-1 {
		var l raft.Log
		if err := n.store.GetLog(idx, &l); err != nil {
			return 0, false // compacted into a snapshot: unknown
		}
		if l.Term < term {
			return l.Term, true
		}
	}
	return 0, false
}

// heardLive is what a follower last heard from the leader in a heartbeat answer: who led
// and whom it held alive.
type heardLive struct {
	mu     sync.Mutex
	leader string
	live   map[string]bool
	at     time.Time
}

func (h *heardLive) set(leader string, live []string) {
	m := make(map[string]bool, len(live))
	for _, id := range live {
		m[id] = true
	}
	h.mu.Lock()
	h.leader, h.live, h.at = leader, m, time.Now()
	h.mu.Unlock()
}

// View is what this node can say about the cluster's health for a status answer.
type View struct {
	// Leader is the leader's id, "" when this node knows of none.
	Leader string
	// Known is false when this node cannot vouch for liveness: it has no leader, or has
	// not heard from one within its lease (so its own tasks have stopped too).
	Known bool
	// Live holds the nodes the leader holds alive; meaningful when Known.
	Live map[string]bool
}

// View returns the leader's liveness record: the leader's own, or on a follower the one
// its last heartbeat brought back, if that came within the lease.
func (n *Node) View() View {
	leader := n.LeaderID()
	if leader == "" {
		return View{}
	}
	if n.IsLeader() {
		return View{Leader: leader, Known: true, Live: n.Live()}
	}
	n.heard.mu.Lock()
	defer n.heard.mu.Unlock()
	if n.heard.at.IsZero() || time.Since(n.heard.at) > n.cfg.Lease || n.heard.leader != leader {
		return View{Leader: leader}
	}
	return View{Leader: leader, Known: true, Live: maps.Clone(n.heard.live)}
}
