package cluster

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startNode(t *testing.T, id, dir string, bootstrap bool, join []string, raftAddr, rpcAddr string) *Node {
	t.Helper()
	n, err := New(Config{
		NodeID: id, DataDir: dir, RaftBind: raftAddr, RPCBind: rpcAddr,
		Bootstrap: bootstrap, Join: join, Voters: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return n
}

func putConnector(name string) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_PutConnector{PutConnector: &clusterv1.PutConnector{
		Connector: &clusterv1.Connector{Name: name, Plugin: "file-source",
			Type:  clusterv1.ConnectorType_CONNECTOR_TYPE_SOURCE,
			Tasks: []*clusterv1.TaskConfig{{Config: map[string]string{"file": "x"}}}},
	}}}
}

func connectorNames(st state.Store) []string {
	var out []string
	st.Read(func(s *state.State) {
		for _, c := range s.Connectors() {
			out = append(out, c.Name)
		}
	})
	return out
}

func TestSingleNodeBootstrapAndRestart(t *testing.T) {
	dir := t.TempDir()
	raftAddr, rpcAddr := freeAddr(t), freeAddr(t)
	n := startNode(t, "n1", dir, true, nil, raftAddr, rpcAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Apply(ctx, putConnector("a")); err != nil {
		t.Fatal(err)
	}
	_, err := n.Apply(ctx, &clusterv1.Command{Cmd: &clusterv1.Command_PutConnector{PutConnector: &clusterv1.PutConnector{
		Connector: &clusterv1.Connector{Name: "a", Plugin: "p", Type: clusterv1.ConnectorType_CONNECTOR_TYPE_SINK}, CreateOnly: true}}})
	if state.CodeOf(err) != state.CodeExists {
		t.Fatalf("duplicate create: got %v, want a %q refusal", err, state.CodeExists)
	}
	if err := n.Shutdown(); err != nil {
		t.Fatal(err)
	}
	n = startNode(t, "n1", dir, true, nil, raftAddr, rpcAddr)
	defer n.Shutdown()
	if err := n.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	if got := connectorNames(n); fmt.Sprint(got) != "[a]" {
		t.Fatalf("after restart connectors = %v, want [a]", got)
	}
}

func TestThreeNodesJoinForwardAndSurviveLeaderLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three raft nodes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rpc1 := freeAddr(t)
	nodes := []*Node{startNode(t, "n1", t.TempDir(), true, nil, freeAddr(t), rpc1)}
	if err := nodes[0].WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"n2", "n3"} {
		nodes = append(nodes, startNode(t, id, t.TempDir(), false, []string{rpc1}, freeAddr(t), freeAddr(t)))
	}
	defer func() {
		for _, n := range nodes {
			n.Shutdown()
		}
	}()
	for _, n := range nodes {
		if err := n.WaitLeader(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// A write on a follower is forwarded and visible locally when Apply returns.
	if _, err := nodes[2].Apply(ctx, putConnector("via-follower")); err != nil {
		t.Fatal(err)
	}
	if got := connectorNames(nodes[2]); fmt.Sprint(got) != "[via-follower]" {
		t.Fatalf("follower sees %v", got)
	}
	servers, err := nodes[0].Servers()
	if err != nil || len(servers) != 3 {
		t.Fatalf("raft servers = %v, %v; want 3", servers, err)
	}
	// Kill the leader: the other two elect a new one and keep taking writes.
	nodes[0].Shutdown()
	if _, err := nodes[1].Apply(ctx, putConnector("after-leader-loss")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "node 3 to replicate the write made after leader loss", func() bool {
		return fmt.Sprint(connectorNames(nodes[2])) == "[after-leader-loss via-follower]"
	})
}

func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
