package cluster

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/tributary-dev/tributary/kernel/state"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// partitionTransport wraps a node's raft transport so a test can cut it off from chosen
// peers in both directions while the process stays up.
type partitionTransport struct {
	raft.Transport
	mu  sync.Mutex
	cut map[raft.ServerID]bool
	// noVotes are peers this node cannot send vote or pre-vote requests to.
	noVotes map[raft.ServerID]bool
	in      chan raft.RPC
	stop    chan struct{}
	once    sync.Once
}

var errPartitioned = errors.New("partitioned by the test")

func newPartitionTransport(inner raft.Transport) *partitionTransport {
	p := &partitionTransport{Transport: inner, cut: map[raft.ServerID]bool{}, noVotes: map[raft.ServerID]bool{},
		in: make(chan raft.RPC), stop: make(chan struct{})}
	go func() {
		for {
			select {
			case <-p.stop:
				return
			case rpc := <-inner.Consumer():
				if p.blockedRPC(rpc) {
					rpc.Respond(nil, errPartitioned)
					continue
				}
				select {
				case p.in <- rpc:
				case <-p.stop:
					return
				}
			}
		}
	}()
	return p
}

func (p *partitionTransport) setCut(id string, cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut[raft.ServerID(id)] = cut
}

func (p *partitionTransport) setNoVotes(id string, no bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.noVotes[raft.ServerID(id)] = no
}

func (p *partitionTransport) votesBlocked(id raft.ServerID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cut[id] || p.noVotes[id]
}

func (p *partitionTransport) blocked(id raft.ServerID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cut[id]
}

func (p *partitionTransport) blockedRPC(rpc raft.RPC) bool {
	h, ok := rpc.Command.(raft.WithRPCHeader)
	return ok && p.blocked(raft.ServerID(h.GetRPCHeader().ID))
}

func (p *partitionTransport) Consumer() <-chan raft.RPC { return p.in }

func (p *partitionTransport) SetHeartbeatHandler(cb func(raft.RPC)) {
	p.Transport.SetHeartbeatHandler(func(rpc raft.RPC) {
		if p.blockedRPC(rpc) {
			rpc.Respond(nil, errPartitioned)
			return
		}
		cb(rpc)
	})
}

// AppendEntriesPipeline is refused so every AppendEntries goes through the cut check.
func (p *partitionTransport) AppendEntriesPipeline(raft.ServerID, raft.ServerAddress) (raft.AppendPipeline, error) {
	return nil, raft.ErrPipelineReplicationNotSupported
}

func (p *partitionTransport) AppendEntries(id raft.ServerID, target raft.ServerAddress, args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) error {
	if p.blocked(id) {
		return errPartitioned
	}
	return p.Transport.AppendEntries(id, target, args, resp)
}

func (p *partitionTransport) RequestVote(id raft.ServerID, target raft.ServerAddress, args *raft.RequestVoteRequest, resp *raft.RequestVoteResponse) error {
	if p.votesBlocked(id) {
		return errPartitioned
	}
	return p.Transport.RequestVote(id, target, args, resp)
}

func (p *partitionTransport) RequestPreVote(id raft.ServerID, target raft.ServerAddress, args *raft.RequestPreVoteRequest, resp *raft.RequestPreVoteResponse) error {
	if p.votesBlocked(id) {
		return errPartitioned
	}
	return p.Transport.(raft.WithPreVote).RequestPreVote(id, target, args, resp)
}

func (p *partitionTransport) InstallSnapshot(id raft.ServerID, target raft.ServerAddress, args *raft.InstallSnapshotRequest, resp *raft.InstallSnapshotResponse, data io.Reader) error {
	if p.blocked(id) {
		return errPartitioned
	}
	return p.Transport.InstallSnapshot(id, target, args, resp, data)
}

func (p *partitionTransport) TimeoutNow(id raft.ServerID, target raft.ServerAddress, args *raft.TimeoutNowRequest, resp *raft.TimeoutNowResponse) error {
	if p.blocked(id) {
		return errPartitioned
	}
	return p.Transport.TimeoutNow(id, target, args, resp)
}

func (p *partitionTransport) Close() error {
	p.once.Do(func() { close(p.stop) })
	if c, ok := p.Transport.(raft.WithClose); ok {
		return c.Close()
	}
	return nil
}

// leaseLog records a node's OnLease calls.
type leaseLog struct {
	mu     sync.Mutex
	events []leaseEvent
}

type leaseEvent struct {
	at   time.Time
	held bool
}

func (l *leaseLog) record(held bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, leaseEvent{time.Now(), held})
}

func (l *leaseLog) snapshot() []leaseEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]leaseEvent(nil), l.events...)
}

func (l *leaseLog) held() bool {
	ev := l.snapshot()
	return len(ev) > 0 && ev[len(ev)-1].held
}

// fencingCluster is three nodes with the default heartbeat interval and lease, a DeadAfter
// of 3s and the given RaftTimeout, each with a partitionTransport.
type fencingCluster struct {
	nodes  []*Node
	trans  map[string]*partitionTransport
	leases map[string]*leaseLog
}

func startFencingCluster(t *testing.T, ctx context.Context, raftTimeout time.Duration) *fencingCluster {
	t.Helper()
	c := &fencingCluster{trans: map[string]*partitionTransport{}, leases: map[string]*leaseLog{}}
	rpc1 := freeAddr(t)
	for i, id := range []string{"n1", "n2", "n3"} {
		rpcAddr := freeAddr(t)
		var join []string
		if i == 0 {
			rpcAddr = rpc1
		} else {
			join = []string{rpc1}
		}
		ll := &leaseLog{}
		c.leases[id] = ll
		n, err := New(Config{
			NodeID: id, DataDir: t.TempDir(), RaftBind: freeAddr(t), RPCBind: rpcAddr,
			Bootstrap: i == 0, Join: join, Voters: 3,
			HeartbeatInterval: 300 * time.Millisecond, Lease: 1500 * time.Millisecond,
			DeadAfter: 3 * time.Second, RaftTimeout: raftTimeout,
			OnLease: ll.record,
		})
		if err != nil {
			t.Fatal(err)
		}
		n.wrapTransport = func(inner raft.Transport) raft.Transport {
			p := newPartitionTransport(inner)
			c.trans[id] = p
			return p
		}
		if err := n.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, n)
		if i == 0 {
			if err := n.WaitLeader(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			n.Shutdown()
		}
	})
	for _, n := range c.nodes {
		if err := n.WaitLeader(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Steady state: one leader that sees all three alive, and every node holds its lease.
	waitFor(t, ctx, "a leader seeing three live nodes and all leases held", func() bool {
		l := c.leader(nil)
		if l == nil || len(l.Live()) != 3 {
			return false
		}
		for _, ll := range c.leases {
			if !ll.held() {
				return false
			}
		}
		return true
	})
	return c
}

// leader returns the node that leads, other than skip, or nil.
func (c *fencingCluster) leader(skip *Node) *Node {
	for _, n := range c.nodes {
		if n != skip && n.IsLeader() {
			return n
		}
	}
	return nil
}

func registered(n *Node) int {
	var k int
	n.Read(func(s *state.State) { k = len(s.Nodes()) })
	return k
}

// TestNewLeaderCountsDeadLeaderFromLastContact kills the leader and checks that the new
// leader declares it dead DeadAfter after it last heard the old leader's AppendEntries,
// which is before its own leadership grace (DeadAfter after the election) could allow,
// while the surviving follower stays live.
func TestNewLeaderCountsDeadLeaderFromLastContact(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three raft nodes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// A slow election (RaftTimeout 1s) makes the gap between the old leader's last
	// AppendEntries and the new leadership large next to the test's polling.
	c := startFencingCluster(t, ctx, time.Second)
	old := c.leader(nil)
	if registered(old) != 3 {
		t.Fatalf("leader has %d nodes registered, want 3", registered(old))
	}
	if err := old.Shutdown(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()

	var nl *Node
	waitFor(t, ctx, "a new leader", func() bool { nl = c.leader(old); return nl != nil })
	var other *Node
	for _, n := range c.nodes {
		if n != old && n != nl {
			other = n
		}
	}
	var live map[string]bool
	waitFor(t, ctx, "the new leader to declare the old one dead", func() bool {
		live = nl.Live()
		return !live[old.ID()]
	})
	dead := time.Now()
	if !live[other.ID()] || !live[nl.ID()] {
		t.Fatalf("live set when the old leader left it: %v; want %s and %s in it", live, nl.ID(), other.ID())
	}
	nl.live.mu.Lock()
	since, seed, seeded := nl.live.since, nl.live.seed[old.ID()], nl.live.seedTerm == nl.raft.CurrentTerm()
	nl.live.mu.Unlock()
	if !seeded || seed.IsZero() {
		t.Fatalf("new leader has no last contact recorded for the old leader (seed %v)", nl.live.seed)
	}
	// The rule, judged on the times the leader recorded rather than on how soon this test
	// saw the result: the old leader counts as last heard from at its seed, which is
	// before the new leadership began (the election came at least RaftTimeout after it),
	// so it is declared dead DeadAfter after that contact, earlier than the leadership
	// grace (DeadAfter after since) would allow.
	if !seed.Before(since) {
		t.Fatalf("old leader's last contact %v is not before the new leadership began (%v): the grace decides, not its last contact", seed, since)
	}
	// Judged at chosen instants: just before DeadAfter from its last contact the old
	// leader is live, just after it is dead, though the grace runs much longer.
	dl := nl.cfg.DeadAfter
	if !nl.liveAt(seed.Add(dl - time.Millisecond))[old.ID()] {
		t.Errorf("old leader dead %v after its last contact, before DeadAfter %v", dl-time.Millisecond, dl)
	}
	if at := seed.Add(dl + time.Millisecond); !at.Before(since.Add(dl)) {
		t.Fatalf("precondition: the seed rule's deadline %v is not before the grace's %v", at, since.Add(dl))
	} else if l := nl.liveAt(at); l[old.ID()] || !l[other.ID()] || !l[nl.ID()] {
		t.Errorf("live set DeadAfter+1ms after the old leader's last contact, inside the grace: %v; want %s and %s, not %s",
			l, nl.ID(), other.ID(), old.ID())
	}
	// The seed is a contact the old leader made before it was shut down (an order of
	// events, which load cannot invert). That it is not declared dead before DeadAfter has
	// passed since is the liveAt check above, judged at chosen instants, not on the clock.
	if seed.After(killed) {
		t.Errorf("old leader counted as heard from %s after it was shut down", seed.Sub(killed))
	}
	t.Logf("old leader last heard %s before the kill; declared dead %s after the kill, %s into the new leadership",
		killed.Sub(seed), dead.Sub(killed), dead.Sub(since))
}

// TestCutOffLeaderLetsGoBeforeItIsDeclaredDead keeps the old leader running but cuts its
// raft traffic, first to follower a and 2.5s later to follower b, and checks that it gives
// up its lease before the new leader declares it dead. For a while b cannot ask a for its
// vote, so a, which stopped hearing the old leader long before b did, gets every chance to
// win the election: whoever wins must not count the old leader as last heard from earlier
// than its lease allows (a may only win if the old leader committed nothing after a lost
// it, and then the old leader's lease ran out that much earlier too).
func TestCutOffLeaderLetsGoBeforeItIsDeclaredDead(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three raft nodes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := startFencingCluster(t, ctx, 500*time.Millisecond) // the default
	old := c.leader(nil)
	var a, b *Node
	for _, n := range c.nodes {
		if n == old {
			continue
		}
		if a == nil {
			a = n
		} else {
			b = n
		}
	}
	cut := func(x, y *Node) {
		c.trans[x.ID()].setCut(y.ID(), true)
		c.trans[y.ID()].setCut(x.ID(), true)
	}
	term := old.raft.CurrentTerm()
	cut(old, a)
	// a stops hearing old and stands for election (its term moves past old's), while b
	// still follows old and refuses it its vote.
	waitFor(t, ctx, a.ID()+" to stand for election", func() bool {
		return a.raft.State() == raft.Candidate || a.raft.CurrentTerm() > term
	})
	if !old.IsLeader() || c.leader(old) != nil {
		t.Fatalf("precondition: old leader %s lost leadership while still connected to %s (a new leader: %v); the scenario needs it to lead until the second cut",
			old.ID(), b.ID(), c.leader(old) != nil)
	}
	c.trans[b.ID()].setNoVotes(a.ID(), true)
	cut(old, b)
	cutAt := time.Now()
	var nl *Node
	// For up to 4s b refuses a its vote, so a cannot win on b's vote alone.
	testsvc.WaitFor(4*time.Second, func() bool { nl = c.leader(old); return nl != nil })
	c.trans[b.ID()].setNoVotes(a.ID(), false)
	waitFor(t, ctx, "a new leader", func() bool { nl = c.leader(old); return nl != nil })
	waitFor(t, ctx, "the new leader to declare the old one dead", func() bool { return !nl.Live()[old.ID()] })
	dead := time.Now()

	// The old leader's lease when it was declared dead, and when it last let it go.
	heldAtDead, fenced := true, time.Time{}
	for _, e := range c.leases[old.ID()].snapshot() {
		if e.at.After(dead) {
			if e.held {
				t.Errorf("old leader took its lease back %s after it was declared dead, while cut off", e.at.Sub(dead))
			}
			continue
		}
		heldAtDead = e.held
		if !e.held {
			fenced = e.at
		}
	}
	if heldAtDead {
		t.Fatalf("old leader still held its lease when %s declared it dead, %s after the second cut", nl.ID(), dead.Sub(cutAt))
	}
	t.Logf("new leader %s (a=%s, b=%s); old leader let go %s after the second cut and was declared dead %s after it: margin %s",
		nl.ID(), a.ID(), b.ID(), fenced.Sub(cutAt), dead.Sub(cutAt), dead.Sub(fenced))
}
