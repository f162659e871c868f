package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/kernel/state"
	"github.com/tributary-dev/tributary/plugins/kc"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// Config configures one node. Zero durations take the defaults noted.
type Config struct {
	NodeID  string
	DataDir string
	// RaftBind is the host:port the Raft transport listens on; RaftAdvertise is what peers
	// dial (default RaftBind).
	RaftBind, RaftAdvertise string
	// RPCBind is the host:port of the cluster gRPC service; RPCAdvertise what peers dial.
	RPCBind, RPCAdvertise string
	// Bootstrap starts a new cluster with this node as its only voter when there is no
	// Raft state on disk yet.
	Bootstrap bool
	// Join lists cluster RPC addresses of existing members to join through (retried until
	// one answers) when there is no Raft state on disk yet.
	Join []string
	// RefuseJoins makes the node refuse every join request (a one-node dev cluster).
	RefuseJoins bool
	// ServerTLS and ClientTLS, when set, put the cluster gRPC service and the Raft
	// transport on mutual TLS: ServerTLS must require and verify client certificates,
	// ClientTLS present this node's certificate and check the peer's (see secure.go).
	ServerTLS, ClientTLS *tls.Config
	// JoinKey, when set, is the shared secret a node must present to join; it is sent on
	// this node's own joins.
	JoinKey string
	// Voters caps the number of Raft voters; nodes joining beyond it are non-voters that
	// still run tasks. Default 5.
	Voters int
	// Self is the record this node registers in the state (plugins, admin address); its
	// id and cluster addresses are filled in from this config.
	Self *clusterv1.Node
	// HeartbeatInterval is how often a node heartbeats to the leader (default 300ms).
	HeartbeatInterval time.Duration
	// Lease is how long a node keeps running tasks after its last successful heartbeat
	// (on the leader: its last committed lease barrier; see lease.go) (default 1.5s). DeadAfter is how long the leader waits before it reassigns a silent
	// node's tasks (default 2.5s); it must exceed Lease so a node stops its tasks before
	// anyone else may start them.
	Lease, DeadAfter time.Duration
	// RaftTimeout sets Raft's heartbeat and election timeouts (default 500ms).
	RaftTimeout time.Duration
	// SnapshotThreshold is how many log entries trigger a snapshot (default 4096), checked
	// every SnapshotInterval (default 10s). A quarter of the threshold (at most 1024) of
	// log stays behind a snapshot; a peer further behind catches up from the snapshot.
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	// OnLease is called when this node gains (true) or loses (false) its lease.
	OnLease func(held bool)
	// OnLiveChange is called on the leader when the set of live nodes changes.
	OnLiveChange func()
	Logger       *slog.Logger
}

func (c *Config) setDefaults() error {
	if c.NodeID == "" {
		return errors.New("cluster: node id is empty; set node_id")
	}
	if c.DataDir == "" {
		return errors.New("cluster: data dir is empty; set data_dir")
	}
	if c.RaftBind == "" || c.RPCBind == "" {
		return errors.New("cluster: raft and rpc bind addresses are required")
	}
	if c.RaftAdvertise == "" {
		c.RaftAdvertise = c.RaftBind
	}
	if c.RPCAdvertise == "" {
		c.RPCAdvertise = c.RPCBind
	}
	if c.Voters <= 0 {
		c.Voters = 5
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.HeartbeatInterval, 300*time.Millisecond)
	def(&c.Lease, 1500*time.Millisecond)
	def(&c.DeadAfter, 2500*time.Millisecond)
	def(&c.RaftTimeout, 500*time.Millisecond)
	def(&c.SnapshotInterval, 10*time.Second)
	if c.DeadAfter <= c.Lease {
		return fmt.Errorf("cluster: dead_after (%s) must be longer than lease (%s) so a node fences itself first", c.DeadAfter, c.Lease)
	}
	if c.SnapshotThreshold == 0 {
		c.SnapshotThreshold = 4096
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Self == nil {
		c.Self = &clusterv1.Node{}
	}
	c.Self = proto.CloneOf(c.Self)
	c.Self.Id, c.Self.RaftAddr, c.Self.RpcAddr = c.NodeID, c.RaftAdvertise, c.RPCAdvertise
	return nil
}

// Node is one kernel node's Raft membership. It implements state.Store.
type Node struct {
	cfg  Config
	log  *slog.Logger
	fsm  *fsm
	raft *raft.Raft

	store     *raftboltdb.BoltStore
	transport *raft.NetworkTransport
	rpc       *grpc.Server
	rpcLis    net.Listener

	selfMu sync.Mutex // guards cfg.Self, which SetPlugins replaces

	connMu sync.Mutex
	conns  map[string]*grpc.ClientConn

	clusterID *clusterID

	live liveness
	// est is the last term in which this node, as leader, committed a lease barrier;
	// renewNow asks heartbeatLoop for an attempt at once.
	est      established
	lease    leaseClock
	heard    heardLive
	renewNow chan struct{}
	// raftStarted is when this process started raft: log entries it holds from before were
	// accepted before then.
	raftStarted time.Time
	// wrapTransport, when set (tests), wraps the transport raft uses.
	wrapTransport func(raft.Transport) raft.Transport
	// rpcApplyHook, when set (tests), runs first in the cluster service's Apply, as if the
	// process stalled there.
	rpcApplyHook atomic.Pointer[func()]
	// registered is closed once this run's RegisterNode has been applied locally; every
	// entry before it (the whole log replayed after a restart) has been applied too.
	registered chan struct{}

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ state.Store = (*Node)(nil)

// New validates the config; Start brings the node up.
func New(cfg Config) (*Node, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	return &Node{
		cfg:        cfg,
		log:        cfg.Logger.With("component", "cluster"),
		fsm:        newFSM(),
		conns:      map[string]*grpc.ClientConn{},
		registered: make(chan struct{}),
		renewNow:   make(chan struct{}, 1),
	}, nil
}

// ID is this node's id.
func (n *Node) ID() string { return n.cfg.NodeID }

// Start opens the Raft stores, starts Raft and the cluster RPC service, bootstraps or joins
// as configured, and starts registration and liveness. It returns once the node is serving;
// joining and electing a leader go on in the background.
func (n *Node) Start(ctx context.Context) error {
	dir := filepath.Join(n.cfg.DataDir, "raft")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cluster: data dir: %w", err)
	}
	store, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db")})
	if err != nil {
		return fmt.Errorf("cluster: open log store: %w", err)
	}
	n.store = store
	hlog := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Warn, Output: os.Stderr})
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, hlog)
	if err != nil {
		return fmt.Errorf("cluster: open snapshot store: %w", err)
	}
	adv, err := net.ResolveTCPAddr("tcp", n.cfg.RaftAdvertise)
	if err != nil {
		return fmt.Errorf("cluster: raft advertise address %q: %w", n.cfg.RaftAdvertise, err)
	}
	if n.clusterID, err = newClusterID(n.cfg.DataDir); err != nil {
		return err
	}
	if n.cfg.ServerTLS != nil {
		var layer *tlsStreamLayer
		if layer, err = newTLSStreamLayer(n.cfg.RaftBind, adv, n.cfg.ServerTLS, n.cfg.ClientTLS); err == nil {
			n.transport = raft.NewNetworkTransportWithLogger(layer, 3, 5*time.Second, hlog)
		}
	} else {
		n.transport, err = raft.NewTCPTransportWithLogger(n.cfg.RaftBind, adv, 3, 5*time.Second, hlog)
	}
	if err != nil {
		return fmt.Errorf("cluster: raft transport on %s: %w", n.cfg.RaftBind, err)
	}
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(n.cfg.NodeID)
	rc.HeartbeatTimeout = n.cfg.RaftTimeout
	rc.ElectionTimeout = n.cfg.RaftTimeout
	rc.LeaderLeaseTimeout = n.cfg.RaftTimeout / 2
	rc.CommitTimeout = 20 * time.Millisecond
	rc.SnapshotThreshold = n.cfg.SnapshotThreshold
	rc.SnapshotInterval = n.cfg.SnapshotInterval
	rc.TrailingLogs = min(1024, max(n.cfg.SnapshotThreshold/4, 1))
	rc.Logger = hlog
	existing, err := raft.HasExistingState(store, store, snaps)
	if err != nil {
		return fmt.Errorf("cluster: read raft state: %w", err)
	}
	var trans raft.Transport = n.transport
	if n.wrapTransport != nil {
		trans = n.wrapTransport(trans)
	}
	n.raftStarted = time.Now()
	n.raft, err = raft.NewRaft(rc, n.fsm, store, store, snaps, trans)
	if err != nil {
		return fmt.Errorf("cluster: start raft: %w", err)
	}
	obs, obsCh := n.leaderObserver()
	if !existing && n.cfg.Bootstrap {
		cfg := raft.Configuration{Servers: []raft.Server{{
			Suffrage: raft.Voter, ID: rc.LocalID, Address: n.transport.LocalAddr(),
		}}}
		if err := n.raft.BootstrapCluster(cfg).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
			return fmt.Errorf("cluster: bootstrap: %w", err)
		}
		if err := n.clusterID.set(newID()); err != nil {
			return err
		}
	}
	n.rpcLis, err = net.Listen("tcp", n.cfg.RPCBind)
	if err != nil {
		return fmt.Errorf("cluster: rpc listen on %s: %w", n.cfg.RPCBind, err)
	}
	opts := []grpc.ServerOption{grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes), grpc.ChainUnaryInterceptor(n.serverInterceptor)}
	if n.cfg.ServerTLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(n.cfg.ServerTLS)))
	}
	n.rpc = grpc.NewServer(opts...)
	clusterv1.RegisterClusterServer(n.rpc, &rpcServer{n: n})
	go n.rpc.Serve(n.rpcLis)

	ctx, n.cancel = context.WithCancel(ctx)
	n.goRun(func() { n.watchLeader(ctx, obs, obsCh) })
	if !existing && !n.cfg.Bootstrap && len(n.cfg.Join) > 0 {
		n.goRun(func() { n.joinLoop(ctx) })
	}
	n.goRun(func() { n.registerLoop(ctx) })
	n.goRun(func() { n.heartbeatLoop(ctx) })
	n.goRun(func() { n.livenessLoop(ctx) })
	n.log.Info("cluster node started", "node", n.cfg.NodeID, "raft", n.cfg.RaftAdvertise, "rpc", n.cfg.RPCAdvertise, "existing_state", existing)
	return nil
}

func (n *Node) goRun(fn func()) {
	n.wg.Add(1)
	go func() { defer n.wg.Done(); fn() }()
}

// Read implements state.Store.
func (n *Node) Read(fn func(*state.State)) { n.fsm.read(fn) }

// Changed implements state.Store.
func (n *Node) Changed() <-chan struct{} { return n.fsm.watch() }

// IsLeader reports whether this node is the Raft leader.
func (n *Node) IsLeader() bool { return n.raft != nil && n.raft.State() == raft.Leader }

// LeaderID returns the current leader's id, or "" when none is known.
func (n *Node) LeaderID() string {
	_, id := n.raft.LeaderWithID()
	return string(id)
}

// WaitLeader blocks until a leader is known and this node has registered itself in this
// run, so the local state holds everything committed before the node started.
func (n *Node) WaitLeader(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return fmt.Errorf("cluster: waiting for a leader: %w", ctx.Err())
	case <-n.registered:
		return nil
	}
}

// Apply implements state.Store: the command goes to the leader (forwarded over the cluster
// RPC service when this node follows), retried while there is no leader, and Apply waits
// until this node's replica has applied it, so a read after Apply sees the write.
func (n *Node) Apply(ctx context.Context, cmd *clusterv1.Command) (uint64, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
	}
	data, err := proto.Marshal(cmd)
	if err != nil {
		return 0, err
	}
	retry := kc.Backoff{Initial: 20 * time.Millisecond, Max: 500 * time.Millisecond}
	for attempt := 0; ; attempt++ {
		idx, err := n.applyOnce(ctx, cmd, data)
		if err == nil || state.CodeOf(err) != "" {
			if werr := n.waitApplied(ctx, idx); werr != nil {
				return idx, werr
			}
			return idx, err
		}
		n.log.Debug("apply: retrying", "err", err)
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("cluster: apply: no leader reachable: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(retry.Next(attempt)):
		}
	}
}

func (n *Node) applyOnce(ctx context.Context, cmd *clusterv1.Command, data []byte) (uint64, error) {
	if n.IsLeader() {
		return n.applyLocal(data)
	}
	cl, err := n.leaderClient()
	if err != nil {
		return 0, err
	}
	// Each forwarded try has its own deadline: a leader that stalls (SIGSTOP, a long
	// pause) must not hold the write until the caller's deadline while the others elect a
	// new one. Apply retries, re-resolving the leader, within the caller's deadline. A try
	// that timed out may still have been applied; every command is safe to apply twice.
	tctx, cancel := context.WithTimeout(ctx, n.forwardTimeout())
	defer cancel()
	resp, err := cl.Apply(tctx, &clusterv1.ApplyRequest{Command: cmd})
	if err != nil {
		return 0, err
	}
	if resp.Error != "" {
		return resp.Index, &state.Error{Code: state.Code(resp.ErrorCode), Message: resp.Error}
	}
	return resp.Index, nil
}

// forwardTimeout bounds one forwarded try: long enough for a loaded leader to commit,
// short enough that a write waiting on a stalled one goes to its successor about when
// the successor is elected (a heartbeat timeout and an election, each RaftTimeout).
func (n *Node) forwardTimeout() time.Duration {
	return max(time.Second, 2*n.cfg.RaftTimeout)
}

func (n *Node) applyLocal(data []byte) (uint64, error) {
	f := n.raft.Apply(data, 5*time.Second)
	if err := f.Error(); err != nil {
		return 0, err
	}
	if err, ok := f.Response().(error); ok && err != nil {
		return f.Index(), err
	}
	return f.Index(), nil
}

func (n *Node) waitApplied(ctx context.Context, idx uint64) error {
	for {
		ch := n.fsm.watch()
		if n.fsm.index() >= idx {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: waiting for index %d to apply locally: %w", idx, ctx.Err())
		case <-ch:
		}
	}
}

var errNoLeader = errors.New("no known leader")

// MaxMessageBytes bounds every message of the cluster service, set explicitly on its
// server and clients: a forwarded command carries a connector's config (at most
// config.MaxConfigBytes) and its task configs, and a write larger than this is refused
// where it enters, not half-way through a forward.
const MaxMessageBytes = 64 << 20

// leaderClient returns a cluster RPC client for the current leader.
func (n *Node) leaderClient() (clusterv1.ClusterClient, error) {
	id := n.LeaderID()
	if id == "" {
		return nil, errNoLeader
	}
	var addr string
	n.Read(func(s *state.State) {
		if nd := s.Node(id); nd != nil {
			addr = nd.RpcAddr
		}
	})
	if addr == "" {
		return nil, fmt.Errorf("leader %s has not registered its rpc address yet", id)
	}
	return n.client(addr)
}

func (n *Node) client(addr string) (clusterv1.ClusterClient, error) {
	n.connMu.Lock()
	defer n.connMu.Unlock()
	if c := n.conns[addr]; c != nil {
		return clusterv1.NewClusterClient(c), nil
	}
	creds := insecure.NewCredentials()
	if n.cfg.ClientTLS != nil {
		creds = credentials.NewTLS(n.cfg.ClientTLS)
	}
	c, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds), grpc.WithChainUnaryInterceptor(n.clientInterceptor),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes)))
	if err != nil {
		return nil, err
	}
	n.conns[addr] = c
	return clusterv1.NewClusterClient(c), nil
}

// joinLoop asks the configured members to add this node until one succeeds.
func (n *Node) joinLoop(ctx context.Context) {
	retry := kc.Backoff{Initial: 100 * time.Millisecond, Max: 2 * time.Second}
	for attempt := 0; ; attempt++ {
		for _, addr := range n.cfg.Join {
			if addr == n.cfg.RPCAdvertise {
				continue
			}
			cl, err := n.client(addr)
			if err == nil {
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				var resp *clusterv1.JoinResponse
				resp, err = cl.Join(cctx, &clusterv1.JoinRequest{Node: n.self()})
				cancel()
				if err == nil {
					n.log.Info("joined cluster", "via", addr, "leader", resp.LeaderId, "voter", resp.Voter)
					return
				}
			}
			n.log.Warn("join failed; retrying", "via", addr, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry.Next(attempt)):
		}
	}
}

// self is the record this node registers.
func (n *Node) self() *clusterv1.Node {
	n.selfMu.Lock()
	defer n.selfMu.Unlock()
	return n.cfg.Self
}

// SetPlugins registers this node again with the connector classes it now has (its plugin
// host picked up or lost binaries), so the scheduler places their tasks here. It fails
// while no leader takes the write; the caller retries.
func (n *Node) SetPlugins(ctx context.Context, plugins []string) error {
	n.selfMu.Lock()
	self := proto.CloneOf(n.cfg.Self)
	self.Plugins = slices.Clone(plugins)
	n.cfg.Self = self
	n.selfMu.Unlock()
	_, err := n.Apply(ctx, &clusterv1.Command{Cmd: &clusterv1.Command_RegisterNode{
		RegisterNode: &clusterv1.RegisterNode{Node: self}}})
	return err
}

// registerLoop writes this node's record into the state once a leader can take it.
func (n *Node) registerLoop(ctx context.Context) {
	for ctx.Err() == nil {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := n.Apply(cctx, &clusterv1.Command{Cmd: &clusterv1.Command_RegisterNode{
			RegisterNode: &clusterv1.RegisterNode{Node: n.self()}}})
		cancel()
		if err == nil {
			n.log.Info("registered in cluster state", "node", n.cfg.NodeID)
			close(n.registered)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// addPeer adds a node to the Raft configuration (leader only): a voter while there are
// fewer than Voters voters, a non-voter after that.
func (n *Node) addPeer(node *clusterv1.Node) (voter bool, err error) {
	cf := n.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		return false, err
	}
	voters := 0
	for _, s := range cf.Configuration().Servers {
		if s.ID == raft.ServerID(node.Id) {
			if s.Address == raft.ServerAddress(node.RaftAddr) {
				return s.Suffrage == raft.Voter, nil
			}
			// Same id at a new address: replace it.
			if err := n.raft.RemoveServer(s.ID, 0, 10*time.Second).Error(); err != nil {
				return false, err
			}
			continue
		}
		if s.Suffrage == raft.Voter {
			voters++
		}
	}
	if voters < n.cfg.Voters {
		return true, n.raft.AddVoter(raft.ServerID(node.Id), raft.ServerAddress(node.RaftAddr), 0, 10*time.Second).Error()
	}
	return false, n.raft.AddNonvoter(raft.ServerID(node.Id), raft.ServerAddress(node.RaftAddr), 0, 10*time.Second).Error()
}

// Servers returns the Raft configuration.
func (n *Node) Servers() ([]raft.Server, error) {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, err
	}
	return f.Configuration().Servers, nil
}

// RemovePeer removes a server from the Raft configuration and its node from the state.
// It must run on the leader.
func (n *Node) RemovePeer(ctx context.Context, id string) error {
	if !n.IsLeader() {
		cl, err := n.leaderClient()
		if err != nil {
			return err
		}
		_, err = cl.Leave(ctx, &clusterv1.LeaveRequest{NodeId: id})
		return err
	}
	if err := n.checkKnown(id); err != nil {
		return err
	}
	if _, err := n.Apply(ctx, &clusterv1.Command{Cmd: &clusterv1.Command_RemoveNode{
		RemoveNode: &clusterv1.RemoveNode{Id: id}}}); err != nil && state.CodeOf(err) != state.CodeNotFound {
		return err
	}
	return n.raft.RemoveServer(raft.ServerID(id), 0, 10*time.Second).Error()
}

// checkKnown fails, naming the ids the cluster knows, unless id is a Raft server or a
// node registered in the state.
func (n *Node) checkKnown(id string) error {
	known := map[string]bool{}
	if servers, err := n.Servers(); err == nil {
		for _, s := range servers {
			known[string(s.ID)] = true
		}
	}
	n.Read(func(s *state.State) {
		for _, nd := range s.Nodes() {
			known[nd.Id] = true
		}
	})
	if known[id] {
		return nil
	}
	ids := slices.Sorted(maps.Keys(known))
	return &state.Error{Code: state.CodeNotFound,
		Message: fmt.Sprintf("no node %q in the cluster; its nodes are %s", id, strings.Join(ids, ", "))}
}

// TransferLeadership hands leadership to the given server, or to any if id is "".
func (n *Node) TransferLeadership(id string) error {
	if id == "" {
		return n.raft.LeadershipTransfer().Error()
	}
	servers, err := n.Servers()
	if err != nil {
		return err
	}
	for _, s := range servers {
		if s.ID == raft.ServerID(id) {
			return n.raft.LeadershipTransferToServer(s.ID, s.Address).Error()
		}
	}
	return fmt.Errorf("no raft server with id %q", id)
}

// Leave removes this node from the cluster gracefully: leadership first moves away, then
// the leader removes the node from Raft and from the state (its tasks move).
func (n *Node) Leave(ctx context.Context) error {
	if n.IsLeader() {
		servers, _ := n.Servers()
		if len(servers) > 1 {
			if err := n.raft.LeadershipTransfer().Error(); err != nil {
				n.log.Warn("leave: leadership transfer failed", "err", err)
			}
		}
	}
	retry := kc.Backoff{Initial: 100 * time.Millisecond, Max: time.Second}
	for attempt := 0; ; attempt++ {
		err := n.RemovePeer(ctx, n.cfg.NodeID)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: leave: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(retry.Next(attempt)):
		}
	}
}

// Shutdown stops the node's goroutines, RPC service and Raft, and closes its stores.
func (n *Node) Shutdown() error {
	if n.cancel != nil {
		n.cancel()
	}
	if n.rpc != nil {
		n.rpc.Stop()
	}
	n.wg.Wait()
	var errs []error
	if n.raft != nil {
		errs = append(errs, n.raft.Shutdown().Error())
	}
	if n.transport != nil {
		errs = append(errs, n.transport.Close())
	}
	if n.store != nil {
		errs = append(errs, n.store.Close())
	}
	n.connMu.Lock()
	for _, c := range n.conns {
		c.Close()
	}
	n.conns = map[string]*grpc.ClientConn{}
	n.connMu.Unlock()
	return errors.Join(errs...)
}
