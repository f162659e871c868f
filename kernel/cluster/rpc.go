package cluster

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// rpcServer serves the cluster RPCs peers call. Writes are only taken by the leader; a
// follower answers Unavailable so the caller retries against the leader it learns of.
type rpcServer struct {
	clusterv1.UnimplementedClusterServer
	n *Node
}

func (r *rpcServer) notLeader() error {
	return status.Errorf(codes.Unavailable, "node %s is not the leader (leader: %q)", r.n.cfg.NodeID, r.n.LeaderID())
}

func (r *rpcServer) Apply(_ context.Context, req *clusterv1.ApplyRequest) (*clusterv1.ApplyResponse, error) {
	if hook := r.n.rpcApplyHook.Load(); hook != nil {
		(*hook)()
	}
	if !r.n.IsLeader() {
		return nil, r.notLeader()
	}
	data, err := proto.Marshal(req.Command)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	idx, err := r.n.applyLocal(data)
	if err != nil {
		if c := state.CodeOf(err); c != "" {
			return &clusterv1.ApplyResponse{Index: idx, Error: err.Error(), ErrorCode: string(c)}, nil
		}
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	return &clusterv1.ApplyResponse{Index: idx}, nil
}

func (r *rpcServer) Join(ctx context.Context, req *clusterv1.JoinRequest) (*clusterv1.JoinResponse, error) {
	if req.GetNode().GetId() == "" || req.Node.RaftAddr == "" || req.Node.RpcAddr == "" {
		return nil, status.Error(codes.InvalidArgument, "join: node id, raft_addr and rpc_addr are required")
	}
	if r.n.cfg.RefuseJoins {
		return nil, status.Errorf(codes.FailedPrecondition,
			"join: node %s is a standalone cluster (tributary dev) and accepts no other nodes; "+
				"start the agents of a cluster with join addresses of their own", r.n.cfg.NodeID)
	}
	if !r.n.IsLeader() {
		// Forward one hop so any member's address works as a join address.
		cl, err := r.n.leaderClient()
		if err != nil {
			return nil, status.Errorf(codes.Unavailable, "join: %v", err)
		}
		return cl.Join(ctx, req)
	}
	voter, err := r.n.addPeer(req.Node)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "join: add raft peer: %v", err)
	}
	node := proto.CloneOf(req.Node)
	node.Voter = voter
	if _, err := r.n.Apply(ctx, &clusterv1.Command{Cmd: &clusterv1.Command_RegisterNode{
		RegisterNode: &clusterv1.RegisterNode{Node: node}}}); err != nil {
		return nil, status.Errorf(codes.Unavailable, "join: register node: %v", err)
	}
	r.n.live.touch(node.Id)
	return &clusterv1.JoinResponse{LeaderId: r.n.cfg.NodeID, Voter: voter}, nil
}

func (r *rpcServer) Leave(ctx context.Context, req *clusterv1.LeaveRequest) (*clusterv1.LeaveResponse, error) {
	if !r.n.IsLeader() {
		return nil, r.notLeader()
	}
	if err := r.n.RemovePeer(ctx, req.NodeId); err != nil {
		if state.CodeOf(err) == state.CodeNotFound {
			return nil, status.Error(codes.NotFound, err.Error())
		}
		return nil, status.Errorf(codes.Unavailable, "leave: %v", err)
	}
	return &clusterv1.LeaveResponse{}, nil
}

// Heartbeat renews the caller's lease. A new leader answers only once it has committed an
// entry in its term (the fencing notes in lease.go say why), waiting briefly for that.
func (r *rpcServer) Heartbeat(ctx context.Context, req *clusterv1.HeartbeatRequest) (*clusterv1.HeartbeatResponse, error) {
	if !r.n.IsLeader() {
		return nil, r.notLeader()
	}
	if !r.n.waitEstablished(ctx, r.n.cfg.HeartbeatInterval) {
		return nil, status.Errorf(codes.Unavailable, "node %s leads but has not committed in its term yet", r.n.cfg.NodeID)
	}
	r.n.live.touch(req.NodeId)
	resp := &clusterv1.HeartbeatResponse{LeaderId: r.n.cfg.NodeID, LeaseMs: r.n.cfg.Lease.Milliseconds()}
	for id := range r.n.Live() {
		resp.Live = append(resp.Live, id)
	}
	return resp, nil
}
