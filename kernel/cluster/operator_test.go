package cluster

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// TestRemovePeerOfAnUnknownIDFails: removing an id the cluster does not know is an error
// naming the ids it does know, not a silent success.
func TestRemovePeerOfAnUnknownIDFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := startNode(t, "n1", t.TempDir(), true, nil, freeAddr(t), freeAddr(t))
	t.Cleanup(func() { n.Shutdown() })
	if err := n.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	err := n.RemovePeer(ctx, "n9")
	if state.CodeOf(err) != state.CodeNotFound || !strings.Contains(err.Error(), `"n9"`) || !strings.Contains(err.Error(), "n1") {
		t.Fatalf("RemovePeer(n9) = %v; want not found, naming n9 and the known node n1", err)
	}
	if servers, _ := n.Servers(); len(servers) != 1 {
		t.Errorf("raft servers after the refused removal: %v; want n1 alone", servers)
	}
}

// TestStandaloneNodeRefusesJoins: a standalone node (tributary dev) refuses a join with
// an error that says why, and stays the one voter of its cluster.
func TestStandaloneNodeRefusesJoins(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rpcAddr := freeAddr(t)
	n, err := New(Config{NodeID: "dev", DataDir: t.TempDir(), RaftBind: freeAddr(t), RPCBind: rpcAddr,
		Bootstrap: true, RefuseJoins: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Shutdown() })
	if err := n.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	cl, err := n.client(rpcAddr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.Join(ctx, &clusterv1.JoinRequest{Node: &clusterv1.Node{Id: "intruder", RaftAddr: freeAddr(t), RpcAddr: freeAddr(t)}})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "standalone") {
		t.Fatalf("Join to a standalone node = %v; want FailedPrecondition saying it is standalone", err)
	}
	if servers, _ := n.Servers(); len(servers) != 1 {
		t.Errorf("raft servers after the refused join: %v; want dev alone", servers)
	}
}
