package kernel

import (
	"context"
	"fmt"

	"github.com/hashicorp/raft"
	"google.golang.org/grpc"

	"github.com/tributary-dev/tributary/kernel/cluster"
	"github.com/tributary-dev/tributary/kernel/security"
	"github.com/tributary-dev/tributary/kernel/state"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// operator implements admin.Operator. Liveness and leadership transfer are the leader's
// to know and do, so a follower asks the leader's admin service; the Raft configuration
// is replicated, so any node answers list-peers itself.
type operator struct{ n *Node }

// leaderAdmin returns an admin client for the leader, or nil when this node leads.
func (o operator) leaderAdmin() (adminv1.AdminClient, func(), error) {
	c := o.n.Cluster
	if c.IsLeader() {
		return nil, func() {}, nil
	}
	id := c.LeaderID()
	var addr string
	c.Read(func(s *state.State) {
		if nd := s.Node(id); nd != nil {
			addr = nd.AdminAddr
		}
	})
	if addr == "" {
		return nil, nil, fmt.Errorf("no leader known (leader id %q): the cluster may be electing; retry", id)
	}
	creds, err := o.n.cfg.adminClientCreds()
	if err != nil {
		return nil, nil, err
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(cluster.MaxMessageBytes)))
	if err != nil {
		return nil, nil, err
	}
	return adminv1.NewAdminClient(conn), func() { conn.Close() }, nil
}

func (o operator) Members(ctx context.Context) (*adminv1.ListMembersResponse, error) {
	cl, done, err := o.leaderAdmin()
	if err == nil && cl != nil {
		defer done()
		if resp, err := cl.ListMembers(security.ForwardAuth(ctx), &adminv1.ListMembersRequest{}); err == nil {
			return resp, nil
		}
	}
	// This node leads, or the leader did not answer: this node's own view.
	return &adminv1.ListMembersResponse{Members: o.n.members(), LeaderId: o.n.Cluster.LeaderID()}, nil
}

func (o operator) RaftPeers(context.Context) ([]*adminv1.RaftPeer, error) {
	servers, err := o.n.Cluster.Servers()
	if err != nil {
		return nil, err
	}
	leader := o.n.Cluster.LeaderID()
	out := make([]*adminv1.RaftPeer, 0, len(servers))
	for _, s := range servers {
		suffrage := map[raft.ServerSuffrage]string{raft.Voter: "voter", raft.Nonvoter: "nonvoter", raft.Staging: "staging"}[s.Suffrage]
		out = append(out, &adminv1.RaftPeer{Id: string(s.ID), Address: string(s.Address), Suffrage: suffrage, Leader: string(s.ID) == leader})
	}
	return out, nil
}

func (o operator) RemovePeer(ctx context.Context, id string) error {
	return o.n.Cluster.RemovePeer(ctx, id)
}

func (o operator) TransferLeader(ctx context.Context, id string) error {
	cl, done, err := o.leaderAdmin()
	if err != nil {
		return err
	}
	defer done()
	if cl != nil {
		_, err := cl.RaftTransferLeader(security.ForwardAuth(ctx), &adminv1.RaftPeerRequest{Id: id})
		return err
	}
	return o.n.Cluster.TransferLeadership(id)
}
