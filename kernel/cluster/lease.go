package cluster

import (
	"context"
	"sync"
	"time"

	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// Fencing: why a node stops its tasks before any other node may start them.
//
// Below, a time on one node is a reading of that node's monotonic clock, and the only
// cross-node facts used are causal (a message is received after it was sent, an entry is
// stored after it was created). No two nodes' clocks are compared; their rates are assumed
// to agree to well within the margin (1 s in 2.5 s with the defaults).
//
// A node's lease. heartbeatLoop records lastOK, the time it started an attempt that then
// succeeded, holds the lease until lastOK+Lease and releases it at that moment on a timer
// (OnLease(false)), whatever an attempt in flight is doing. An attempt succeeds
//   - on a follower, when the leader answers Heartbeat; the leader touched the node's
//     contact time on receipt, after lastOK;
//   - on the leader, when a raft Barrier it appended after lastOK commits in the term it
//     read before appending (renewAsLeader): a quorum stored an entry created after lastOK.
//     Being the Raft leader is not enough: a leader cut off from the others keeps
//     raft.State()==Leader for up to about 2×LeaderLeaseTimeout after it last heard a
//     quorum, and a frozen one (SIGSTOP, GC pause) still believes it leads when it wakes.
//
// Follower: the leader holding the node's contact reassigns its tasks DeadAfter after
// that contact at the earliest, so after lastOK+DeadAfter, while the node let go at
// lastOK+Lease. Margin: DeadAfter-Lease (1 s with the defaults).
//
// Old leader P, killed, frozen or cut off, and the new leader F. P's last renewal as leader
// was committed barrier B, created after P's lastOK. F can only win an election with a log
// holding every committed entry (raft's leader completeness), so F stored B, in an
// AppendEntries or snapshot it accepted after B was created, and hashicorp/raft stamps
// raft.LastContact() on every one it accepts. So F's LastContact() when it becomes leader
// is later than P's lastOK; F counts it as its last contact with P (watchLeader), and
// reassigns at LastContact+DeadAfter > lastOK+DeadAfter at the earliest, while P let go at
// lastOK+Lease. The margin is again DeadAfter-Lease (1 s), and the same whether P is dead
// or alive and partitioned: a cut-off P commits nothing, so its lease simply runs out.
// (Entries F stored before this process started raft count as accepted at raftStarted.)
// For a SIGKILL this makes the takeover DeadAfter after the old leader's last
// AppendEntries instead of DeadAfter after the election, which comes at least RaftTimeout
// (usually up to twice that) later.
//
// The one ordering this does not cover, as before: if F's term is not the newest (a newer
// leader exists that F has not heard of), a node may renew through that newer leader
// after F committed a reassignment; the epoch check in apply still rejects its commits.
//
// P may also have renewed as a follower, through some leader Q that F never heard. F
// therefore seeds only P = the leader of the newest term in F's log (watchLeader checks
// that raft's last reported leader and that term agree), and:
//   - P's follower renewals before its term T_P started before P read Q as its leader,
//     before P cleared Q to stand for election, before P created T_P's entries, before
//     F accepted one of them: before F's LastContact().
//   - After T_P, a leader Q answers Heartbeat only once it has committed a barrier in its
//     term (waitEstablished). F, elected in a later term still, holds that entry, so the
//     newest term in F's log would be T_Q, not T_P, and F would not seed P.
//
// Every other node gets the grace of Live: F counts its leadership start as a contact,
// because their renewals went to the old leader, which F cannot see.

// heartbeatLoop keeps this node's lease (see the fencing notes above): every
// HeartbeatInterval it tries to renew it, and a timer releases the lease the moment Lease
// has passed since the start of the last attempt that succeeded. Each success stands on
// its own, so attempts may overlap.
func (n *Node) heartbeatLoop(ctx context.Context) {
	tick := time.NewTicker(n.cfg.HeartbeatInterval)
	defer tick.Stop()
	expiry := time.NewTimer(n.cfg.Lease)
	defer expiry.Stop()
	// An attempt reports its start time when it succeeded, the zero time when it failed.
	// Ticks start one when none is in flight; a kick (this node just won an election)
	// starts one even if a heartbeat to the old leader is still waiting for its timeout.
	const maxInFlight = 2
	done := make(chan time.Time, maxInFlight)
	inFlight := 0
	try := func(kick bool) {
		if inFlight >= maxInFlight || (inFlight > 0 && !kick) {
			return
		}
		inFlight++
		sent := time.Now()
		n.goRun(func() {
			ok := n.heartbeat(ctx)
			if !ok {
				sent = time.Time{}
			}
			done <- sent
		})
	}
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
	// A node holds no lease before it has caught up: until this run's RegisterNode has
	// applied locally, its replica may be an old snapshot (a restart from an old data
	// dir) that assigns it tasks which have moved or whose connectors were deleted.
	// RegisterNode goes through the leader, so once it has applied here every entry the
	// leader had committed when this node rejoined has applied too.
	registered := n.registered
	caughtUp := false
	try(false)
	for {
		select {
		case <-ctx.Done():
			return
		case <-registered:
			caughtUp, registered = true, nil
		case <-tick.C:
			try(false)
		case <-n.renewNow:
			try(true)
		case sent := <-done:
			inFlight--
			if sent.After(lastOK) {
				lastOK = sent
			}
		case <-expiry.C:
		}
		// Decide after every event, from the clock: a node that was frozen (SIGSTOP, a long
		// GC pause, a suspended VM) gives up its tasks here even if an attempt made before
		// the freeze reports success now.
		left := n.cfg.Lease - time.Since(lastOK)
		if lastOK.IsZero() || left <= 0 {
			n.lease.set(time.Time{})
			setHeld(false)
			continue
		}
		if !caughtUp {
			continue
		}
		n.lease.set(lastOK.Add(n.cfg.Lease))
		setHeld(true)
		expiry.Reset(left)
	}
}

// heartbeat makes one attempt to renew this node's lease.
func (n *Node) heartbeat(ctx context.Context) bool {
	if n.IsLeader() {
		return n.renewAsLeader(ctx)
	}
	cl, err := n.leaderClient()
	if err != nil {
		return false
	}
	cctx, cancel := context.WithTimeout(ctx, n.cfg.HeartbeatInterval*2)
	defer cancel()
	resp, err := cl.Heartbeat(cctx, &clusterv1.HeartbeatRequest{NodeId: n.cfg.NodeID})
	if err != nil {
		return false
	}
	n.heard.set(resp.LeaderId, resp.Live)
	return true
}

// renewAsLeader commits a raft barrier in the current term. Success proves that a quorum
// stored an entry created after the caller's start time, which is what the leader's lease
// and the new leader's view of it rest on (see the fencing notes above). It also marks
// the term established, so the leader vouches for other nodes' leases from then on.
func (n *Node) renewAsLeader(ctx context.Context) bool {
	term := n.raft.CurrentTerm()
	if !n.IsLeader() {
		return false
	}
	f := n.raft.Barrier(n.cfg.HeartbeatInterval)
	errc := make(chan error, 1)
	go func() { errc <- f.Error() }()
	wait := time.NewTimer(n.cfg.HeartbeatInterval * 2)
	defer wait.Stop()
	select {
	case err := <-errc:
		if err != nil {
			return false
		}
	case <-wait.C:
		return false
	case <-ctx.Done():
		return false
	}
	// The barrier committed in the term it was appended in; that is term if the term has
	// not moved since (terms only grow), so this node led term and committed in it.
	if n.raft.CurrentTerm() != term || !n.IsLeader() {
		return false
	}
	n.est.set(term)
	n.live.touch(n.cfg.NodeID)
	return true
}

// established records the last term in which this node, as leader, committed a barrier.
type established struct {
	mu      sync.Mutex
	term    uint64
	changed chan struct{} // closed and replaced when term changes
}

func (e *established) set(term uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.changed == nil {
		e.changed = make(chan struct{})
	}
	if term == e.term {
		return
	}
	e.term = term
	close(e.changed)
	e.changed = make(chan struct{})
}

func (e *established) get() (uint64, <-chan struct{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.changed == nil {
		e.changed = make(chan struct{})
	}
	return e.term, e.changed
}

// waitEstablished reports whether this node leads a term in which it has committed a
// barrier, waiting up to max for a new leader's first one. Only then may the leader renew
// other nodes' leases: its term's entries are committed, so any later leader holds them
// (see the fencing notes above).
func (n *Node) waitEstablished(ctx context.Context, max time.Duration) bool {
	timeout := time.NewTimer(max)
	defer timeout.Stop()
	for {
		term, changed := n.est.get()
		if !n.IsLeader() {
			return false
		}
		if term == n.raft.CurrentTerm() {
			return true
		}
		select {
		case <-changed:
		case <-timeout.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// kickRenew asks heartbeatLoop for an attempt now, e.g. right after winning an election so
// the new term is established before followers' leases need it.
func (n *Node) kickRenew() {
	select {
	case n.renewNow <- struct{}{}:
	default:
	}
}

// leaseClock is this node's lease as the heartbeat loop last decided it: valid until
// until (a monotonic reading), zero when not held. LeaseHeld reads it from any goroutine.
type leaseClock struct {
	mu    sync.Mutex
	until time.Time
}

func (l *leaseClock) set(until time.Time) {
	l.mu.Lock()
	l.until = until
	l.mu.Unlock()
}

// LeaseUntil returns when this node's lease runs out, the zero time when it holds none.
func (n *Node) LeaseUntil() time.Time {
	n.lease.mu.Lock()
	defer n.lease.mu.Unlock()
	return n.lease.until
}

// LeaseHeld reports whether this node holds its lease now, judged from the clock at the
// call: a process frozen past its lease (SIGSTOP, a long GC pause) sees false the moment it
// runs again, before its heartbeat loop has noticed. Tasks ask it before each batch they
// write out, so a node that lost its lease stops within one batch.
func (n *Node) LeaseHeld() bool {
	n.lease.mu.Lock()
	defer n.lease.mu.Unlock()
	return !n.lease.until.IsZero() && time.Now().Before(n.lease.until)
}

// CaughtUp reports whether this node's replica holds everything the leader had committed
// when this run joined (its RegisterNode has applied locally). Before that its reads may
// come from an old snapshot.
func (n *Node) CaughtUp() bool {
	select {
	case <-n.registered:
		return true
	default:
		return false
	}
}
