package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/kernel/herder"
	"github.com/tributary-dev/tributary/kernel/logging"
	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/kernel/state"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// Plugins is what the admin service needs of the plugin host: the connectors this node can
// run, resolving a connector.class (name or alias) to one of them, and a client for its
// Connector service. *pluginhost.Host implements it.
type Plugins interface {
	Connectors() []pluginhost.Descriptor
	// Resolve finds the connector a connector.class names; for an unknown class the
	// error lists every available class.
	Resolve(class string) (pluginhost.Descriptor, error)
	Client(class string) (*pluginhost.Client, error)
	// Reload rescans the plugin directory (see pluginhost.Host.Reload).
	Reload(ctx context.Context) (pluginhost.ReloadResult, error)
	// Dir is the plugin directory.
	Dir() string
}

// Config is what a Service is built from.
type Config struct {
	// NodeID is the id of the node serving; it is the worker_id of connectors whose
	// tasks are not placed yet.
	NodeID string
	// Store is the replicated state: reads from the local replica, writes through the
	// leader.
	Store   state.Store
	Plugins Plugins
	// Version and Commit are reported by ServerInfo and GET /.
	Version, Commit string
	// KafkaClusterID returns the id of the Kafka cluster the node works with; nil or ""
	// when unknown.
	KafkaClusterID func() string
	// Members returns the cluster's members with their liveness; when nil they are
	// built from the nodes registered in the state, liveness unknown.
	Members func() []*adminv1.Member
	// Operator, when set, serves ListMembers and the Raft operator calls; the kernel
	// implements it and forwards to the leader where only the leader knows.
	Operator Operator
	// Health, when set, tells status answers what this node knows of the cluster's
	// leader and liveness: tasks on nodes that have missed their lease show UNASSIGNED,
	// and every status says when there is no leader. nil: statuses are the reports in the
	// state, as written.
	Health func() Health
	// AdminDialOptions are how this node dials another member's admin service (its TLS
	// credentials); empty means plaintext. The caller's authorization goes along.
	AdminDialOptions []grpc.DialOption
	// OverridePolicy is the worker's connector.client.config.override.policy, checked
	// against a connector's producer/consumer/admin.override.* keys before it is written.
	OverridePolicy string
	// PluginTimeout bounds each call to a connector plugin (Validate, TaskConfigs), so
	// a hung plugin cannot hang the API. Zero means 30 seconds.
	PluginTimeout time.Duration
	// Kafka, when set, returns a new client of the Kafka cluster the node works with, for
	// GetLag's end offsets; the caller closes it.
	Kafka func() (sarama.Client, error)
	// Worker is the node's worker settings, as GetWorker reports them.
	Worker Worker
	// Loggers, when set, are the node's named loggers that /admin/loggers lists and sets;
	// nil: the node has none to change (GET lists nothing, PUT is refused).
	Loggers *logging.Levels
	// Logger defaults to a logger that discards.
	Logger *slog.Logger
}

// Health is what the answering node knows of the cluster when it answers.
type Health struct {
	// Leader is the leader's id; "" when this node knows of no leader.
	Leader string
	// Known is true when Live is the leader's current liveness record (this node is the
	// leader, or heard from it within its lease).
	Known bool
	// Live holds the nodes the leader holds alive.
	Live map[string]bool
	// CaughtUp is true once this node's replica holds what the leader had committed when
	// the node (re)joined; before that reads are refused rather than answered from an old
	// snapshot.
	CaughtUp bool
}

// DefaultPluginTimeout is the PluginTimeout used when Config leaves it zero.
const DefaultPluginTimeout = 30 * time.Second

// Service implements the admin gRPC service (adminv1.AdminServer) and, through
// RESTHandler, the Kafka Connect REST API on top of it.
type Service struct {
	adminv1.UnimplementedAdminServer
	cfg     Config
	log     *slog.Logger
	health  *health.Server
	configs *herder.Configs // connector config writes
	seen    firstSeen       // when this node first read each connector, for ages
}

var _ adminv1.AdminServer = (*Service)(nil)

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.PluginTimeout <= 0 {
		cfg.PluginTimeout = DefaultPluginTimeout
	}
	h := health.NewServer()
	h.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	h.SetServingStatus(adminv1.Admin_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	log := cfg.Logger.With("component", "admin")
	configs := herder.NewConfigs(herder.ConfigsConfig{NodeID: cfg.NodeID, Store: cfg.Store, Plugins: cfg.Plugins,
		OverridePolicy: cfg.OverridePolicy, PluginTimeout: cfg.PluginTimeout, Logger: log})
	return &Service{cfg: cfg, log: log, health: h, configs: configs}
}

// Register registers the admin service on g, with the gRPC health service (reporting the
// server, "", and tributary.admin.v1.Admin as SERVING) and server reflection.
func (s *Service) Register(g *grpc.Server) {
	adminv1.RegisterAdminServer(g, s)
	healthpb.RegisterHealthServer(g, liveHealth{Server: s.health, s: s})
	reflection.Register(g)
}

// liveHealth answers Check as the health server does, but NOT_SERVING while the node
// is catching up after a (re)start or knows of no leader, as GET /health answers 503 and
// 500 then; the reason goes in the "tributary-health-reason" response header.
type liveHealth struct {
	*health.Server
	s *Service
}

// Check implements healthpb.HealthServer.
func (h liveHealth) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	resp, err := h.Server.Check(ctx, req)
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return resp, err
	}
	hh := h.s.clusterHealth()
	var reason string
	switch {
	case hh == nil:
	case !hh.CaughtUp:
		reason = fmt.Sprintf("node %s is catching up with the cluster's state", h.s.cfg.NodeID)
	case hh.Leader == "":
		reason = fmt.Sprintf("the cluster has no leader (as seen by node %s)", h.s.cfg.NodeID)
	}
	if reason == "" {
		return resp, nil
	}
	grpc.SetHeader(ctx, metadata.Pairs("tributary-health-reason", reason))
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_NOT_SERVING}, nil
}

// Shutdown marks the services NOT_SERVING in the health service, for a node that is
// going away but still answering.
func (s *Service) Shutdown() { s.health.Shutdown() }

// ServerInfo implements adminv1.AdminServer.
func (s *Service) ServerInfo(ctx context.Context, _ *adminv1.ServerInfoRequest) (*adminv1.ServerInfoResponse, error) {
	resp := &adminv1.ServerInfoResponse{Version: s.cfg.Version, Commit: s.cfg.Commit, NodeId: s.cfg.NodeID}
	if s.cfg.KafkaClusterID != nil {
		resp.KafkaClusterId = s.cfg.KafkaClusterID()
	}
	var ms []*adminv1.Member
	ms, resp.LeaderId = s.members()
	if resp.LeaderId == "" {
		resp.Voters, resp.VotersReachable = s.reachableVoters(ctx, ms)
	}
	return resp, nil
}

// reachableVoters counts the voters among ms and those this node can open a connection
// to (its Raft address, else its admin address), itself counted reachable: what a user
// needs to know of a cluster that has no leader.
func (s *Service) reachableVoters(ctx context.Context, ms []*adminv1.Member) (voters, reachable int32) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, m := range ms {
		if !m.Voter {
			continue
		}
		voters++
		if m.Id == s.cfg.NodeID {
			reachable++
			continue
		}
		addr := m.RaftAddr
		if addr == "" {
			addr = m.AdminAddr
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := net.Dialer{Timeout: 500 * time.Millisecond}
			if c, err := d.DialContext(ctx, "tcp", addr); err == nil {
				c.Close()
				mu.Lock()
				reachable++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return voters, reachable
}

// Operator is the cluster's operator surface, as the kernel provides it.
type Operator interface {
	// Members returns the members with the leader's view of their liveness.
	Members(ctx context.Context) (*adminv1.ListMembersResponse, error)
	RaftPeers(ctx context.Context) ([]*adminv1.RaftPeer, error)
	RemovePeer(ctx context.Context, id string) error
	// TransferLeader hands leadership to the voter id, or to any voter when id is "".
	TransferLeader(ctx context.Context, id string) error
}

// ListMembers implements adminv1.AdminServer.
func (s *Service) ListMembers(ctx context.Context, _ *adminv1.ListMembersRequest) (*adminv1.ListMembersResponse, error) {
	if s.cfg.Operator != nil {
		resp, err := s.cfg.Operator.Members(ctx)
		return resp, storeErr(err)
	}
	ms, leader := s.members()
	return &adminv1.ListMembersResponse{Members: ms, LeaderId: leader}, nil
}

func (s *Service) operator() (Operator, error) {
	if s.cfg.Operator == nil {
		return nil, status.Error(codes.Unimplemented, "this node has no Raft operator surface")
	}
	return s.cfg.Operator, nil
}

// RaftListPeers implements adminv1.AdminServer.
func (s *Service) RaftListPeers(ctx context.Context, _ *adminv1.RaftListPeersRequest) (*adminv1.RaftListPeersResponse, error) {
	op, err := s.operator()
	if err != nil {
		return nil, err
	}
	peers, err := op.RaftPeers(ctx)
	if err != nil {
		return nil, storeErr(err)
	}
	return &adminv1.RaftListPeersResponse{Peers: peers}, nil
}

// RaftRemovePeer implements adminv1.AdminServer.
func (s *Service) RaftRemovePeer(ctx context.Context, req *adminv1.RaftPeerRequest) (*adminv1.Empty, error) {
	op, err := s.operator()
	if err != nil {
		return nil, err
	}
	if req.Id == "" {
		return nil, status.Error(codes.InvalidArgument, "id is required: name the peer to remove (see tributary operator raft list-peers)")
	}
	return &adminv1.Empty{}, storeErr(op.RemovePeer(ctx, req.Id))
}

// RaftTransferLeader implements adminv1.AdminServer.
func (s *Service) RaftTransferLeader(ctx context.Context, req *adminv1.RaftPeerRequest) (*adminv1.Empty, error) {
	op, err := s.operator()
	if err != nil {
		return nil, err
	}
	if peers, perr := op.RaftPeers(ctx); perr == nil {
		var voters []string
		for _, p := range peers {
			if p.Suffrage == "voter" {
				voters = append(voters, p.Id)
			}
		}
		if len(voters) == 1 {
			return nil, status.Errorf(codes.FailedPrecondition, "the cluster has one voter (%s): there is no other node to "+
				"hand leadership to; add a node (tributary agent -join …) first", voters[0])
		}
		if req.Id != "" && !slices.Contains(voters, req.Id) {
			return nil, status.Errorf(codes.InvalidArgument, "%s is not a voter of the cluster; the voters are %s",
				req.Id, strings.Join(voters, ", "))
		}
	}
	return &adminv1.Empty{}, storeErr(op.TransferLeader(ctx, req.Id))
}

// members returns the members, sorted by id, and the leader's id ("" when unknown).
func (s *Service) members() ([]*adminv1.Member, string) {
	var ms []*adminv1.Member
	if s.cfg.Members != nil {
		ms = s.cfg.Members()
	} else {
		s.cfg.Store.Read(func(st *state.State) {
			for _, n := range st.Nodes() {
				m := &adminv1.Member{Id: n.Id, RaftAddr: n.RaftAddr, RpcAddr: n.RpcAddr, AdminAddr: n.AdminAddr,
					Voter: n.Voter, Plugins: n.Plugins, Tasks: int32(len(st.AssignmentsOf(n.Id))), LastContactMs: -1}
				if n.Id == s.cfg.NodeID {
					// The node answering is alive by definition; of the others, only
					// the leader's liveness record could tell.
					m.Alive, m.LastContactMs = true, 0
				}
				ms = append(ms, m)
			}
		})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Id < ms[j].Id })
	var leader string
	for _, m := range ms {
		if m.Leader {
			leader = m.Id
		}
	}
	return ms, leader
}

// storeErr turns an error from Store.Apply into a gRPC status: a state machine refusal by
// its code, a cancelled or expired context as such, anything else (no leader, leader
// unreachable) as Unavailable.
func storeErr(err error) error {
	if err == nil {
		return nil
	}
	var se *state.Error
	if errors.As(err, &se) {
		code := codes.Internal
		switch se.Code {
		case state.CodeNotFound:
			code = codes.NotFound
		case state.CodeExists:
			code = codes.AlreadyExists
		case state.CodeInvalid:
			code = codes.InvalidArgument
		case state.CodeNotStopped:
			code = codes.FailedPrecondition
		case state.CodeStaleEpoch:
			code = codes.Aborted
		}
		return status.Error(code, se.Message)
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return status.FromContextError(err).Err()
	}
	return status.Error(codes.Unavailable, err.Error())
}

// apply submits a command and maps its error.
func (s *Service) apply(ctx context.Context, cmd *clusterv1.Command) (uint64, error) {
	index, err := s.cfg.Store.Apply(ctx, cmd)
	return index, storeErr(err)
}

func notFound(name string) error {
	return status.Errorf(codes.NotFound, "Connector %s not found", name)
}

// connectorErr rewords the state machine's refusals about one connector as Kafka Connect
// words them.
func connectorErr(name string, err error) error {
	switch status.Code(err) {
	case codes.NotFound:
		return notFound(name)
	case codes.AlreadyExists:
		return status.Errorf(codes.AlreadyExists, "Connector %s already exists", name)
	}
	return err
}
