package admin

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// peersOperator is an Operator with a fixed Raft configuration that records transfers.
type peersOperator struct {
	peers       []*adminv1.RaftPeer
	transferred []string
}

func (o *peersOperator) Members(context.Context) (*adminv1.ListMembersResponse, error) {
	return &adminv1.ListMembersResponse{}, nil
}
func (o *peersOperator) RaftPeers(context.Context) ([]*adminv1.RaftPeer, error) { return o.peers, nil }
func (o *peersOperator) RemovePeer(context.Context, string) error               { return nil }
func (o *peersOperator) TransferLeader(_ context.Context, id string) error {
	o.transferred = append(o.transferred, id)
	return nil
}

// Handing leadership away on a single-voter cluster, or to a node that is no voter, is
// refused with words that say why, before Raft is asked.
func TestTransferLeaderSaysWhy(t *testing.T) {
	f := newFixture(t)
	op := &peersOperator{peers: []*adminv1.RaftPeer{{Id: "node-1", Suffrage: "voter", Leader: true}}}
	f.svc.cfg.Operator = op
	_, err := f.svc.RaftTransferLeader(ctx, &adminv1.RaftPeerRequest{})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "the cluster has one voter (node-1)") {
		t.Errorf("transfer on one voter: %v", err)
	}
	op.peers = append(op.peers, &adminv1.RaftPeer{Id: "node-2", Suffrage: "voter"}, &adminv1.RaftPeer{Id: "node-3", Suffrage: "nonvoter"})
	if _, err := f.svc.RaftTransferLeader(ctx, &adminv1.RaftPeerRequest{Id: "node-3"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("transfer to a non-voter: %v, want InvalidArgument", err)
	}
	if _, err := f.svc.RaftTransferLeader(ctx, &adminv1.RaftPeerRequest{Id: "node-2"}); err != nil || len(op.transferred) != 1 || op.transferred[0] != "node-2" {
		t.Errorf("transfer to node-2: %v, transfers %v", err, op.transferred)
	}
}
