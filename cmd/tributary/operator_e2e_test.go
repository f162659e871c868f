package main

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/testsvc"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

func TestOperatorRaftCommandsAndGracefulLeave(t *testing.T) {
	e2e(t)
	c := startCluster(t, 3)
	via := c.nodes[0]

	out, err := via.cli(t, "operator", "raft", "list-peers")
	if err != nil || strings.Count(out, "voter") != 3 {
		t.Fatalf("operator raft list-peers: %v\n%s", err, out)
	}

	// Transfer leadership to a named follower, through a node that is not the leader.
	leader := c.waitMembers(via, 3, 10*time.Second).LeaderId
	ids, _ := others(c.nodes, leader)
	target := ids[0]
	var asker *agent
	for _, a := range c.nodes {
		if a.id != leader && a.id != target {
			asker = a
		}
	}
	if out, err := asker.cli(t, "operator", "raft", "transfer-leader", target); err != nil {
		t.Fatalf("transfer-leader %s via %s: %v\n%s", target, asker.id, err, out)
	}
	testsvc.Eventually(t, 10*time.Second, "leadership moves to "+target+" after transfer-leader",
		func() bool { return c.waitMembers(via, 3, 10*time.Second).LeaderId == target })

	// A fourth node joins as a non-voter, then is removed with remove-peer.
	c.addNode("n4")
	c.waitMembers(via, 4, 30*time.Second)
	if out, err := via.cli(t, "operator", "raft", "list-peers"); err != nil || !strings.Contains(out, "nonvoter") {
		t.Fatalf("list-peers after n4 joined: %v\n%s", err, out)
	}
	if out, err := via.cli(t, "operator", "raft", "remove-peer", "n4"); err != nil {
		t.Fatalf("remove-peer n4: %v\n%s", err, out)
	}
	peers, err := via.client(t).RaftListPeers(context.Background(), &adminv1.RaftListPeersRequest{})
	if err != nil || len(peers.Peers) != 3 {
		t.Fatalf("after remove-peer: %v, %v; want 3 peers", peers, err)
	}
	c.node("n4").kill9()

	// A node started with --leave-on-shutdown leaves the Raft configuration on SIGTERM.
	n5 := startAgent(t, agentOpts{id: "n5", broker: c.broker, dataDir: t.TempDir(),
		join: []string{c.nodes[0].cluster}, extra: append(clusterFlags, "--leave-on-shutdown")})
	c.waitMembers(via, 4, 30*time.Second)
	n5.signal(syscall.SIGTERM)
	<-n5.done
	peers, err = via.client(t).RaftListPeers(context.Background(), &adminv1.RaftListPeersRequest{})
	if err != nil || len(peers.Peers) != 3 {
		t.Fatalf("after n5 left gracefully: %v, %v; want 3 peers", peers, err)
	}
	ms, err := c.members(via)
	if err != nil || len(ms.Members) != 3 {
		t.Fatalf("after n5 left gracefully members = %v, %v; want 3", ms, err)
	}
}
