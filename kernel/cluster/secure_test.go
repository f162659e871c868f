package cluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/kernel/security"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// nodeTLS is a node's mutual-TLS pair from ca, as `tributary tls cert create --server`.
func nodeTLS(t *testing.T, ca *security.CA, name string) (server, client *tls.Config) {
	t.Helper()
	certPEM, keyPEM, err := ca.Issue(security.CertOptions{CommonName: name, Server: true, Client: true})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	server = &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12}
	client = &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ServerName: security.ServerName, MinVersion: tls.VersionTLS12}
	return server, client
}

type secureNode struct {
	id, dir, joinKey string
	ca               *security.CA
	bootstrap        bool
	join             []string
	log              *lockedBuf
}

func (o secureNode) start(t *testing.T) *Node {
	t.Helper()
	srv, cl := nodeTLS(t, o.ca, o.id)
	n, err := New(Config{
		NodeID: o.id, DataDir: o.dir, RaftBind: freeAddr(t), RPCBind: freeAddr(t),
		Bootstrap: o.bootstrap, Join: o.join, Voters: 3, ServerTLS: srv, ClientTLS: cl, JoinKey: o.joinKey,
		Logger: slog.New(slog.NewTextHandler(o.log, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Shutdown() })
	return n
}

// TestMutualTLSClusterAndJoinChecks: nodes with the cluster's CA and join key form a
// cluster over mutual TLS (cluster gRPC and Raft) and share its id; a node with the wrong
// join key, one whose certificate another CA signed, and one that belongs to another
// cluster are refused, the refusal naming the reason on both sides.
func TestMutualTLSClusterAndJoinChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("starts raft nodes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ca, _, err := security.NewCA("cluster CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	leaderLog := &lockedBuf{}
	n1 := secureNode{id: "n1", dir: t.TempDir(), joinKey: "k-123", ca: ca, bootstrap: true, log: leaderLog}.start(t)
	if err := n1.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	rpc1 := n1.cfg.RPCAdvertise
	id1 := n1.clusterID.get()
	if len(id1) != 32 {
		t.Fatalf("bootstrap made cluster id %q", id1)
	}
	n2 := secureNode{id: "n2", dir: t.TempDir(), joinKey: "k-123", ca: ca, join: []string{rpc1}, log: &lockedBuf{}}.start(t)
	if err := n2.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	// Raft over TLS: a write on the follower is forwarded, committed and replicated.
	if _, err := n2.Apply(ctx, putConnector("over-mtls")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "n1 to see the write n2 made", func() bool { return fmt.Sprint(connectorNames(n1)) == "[over-mtls]" })
	if got := n2.clusterID.get(); got != id1 {
		t.Fatalf("n2 has cluster id %q, want the bootstrap's %q", got, id1)
	}
	if data, _ := os.ReadFile(filepath.Join(n2.cfg.DataDir, "cluster-id")); strings.TrimSpace(string(data)) != id1 {
		t.Fatalf("n2 did not keep the cluster id in its data dir: %q", data)
	}

	join := func(n *Node, via string) error {
		cl, err := n.client(via)
		if err != nil {
			return err
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, err = cl.Join(cctx, &clusterv1.JoinRequest{Node: n.self()})
		return err
	}

	// Wrong join key, through the leader and through a follower (which must not forward
	// it): refused as PermissionDenied, and the member logs why.
	bad := secureNode{id: "bad-key", dir: t.TempDir(), joinKey: "k-999", ca: ca, log: &lockedBuf{}}.start(t)
	for _, via := range []string{rpc1, n2.cfg.RPCAdvertise} {
		err := join(bad, via)
		if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "wrong join key") {
			t.Fatalf("join with the wrong key via %s: %v, want PermissionDenied naming the join key", via, err)
		}
	}
	waitFor(t, ctx, "n1 to log the refused join", func() bool { return strings.Contains(leaderLog.String(), "refused a join: wrong join key") })
	if bad.clusterID.get() != "" {
		t.Fatalf("a refused node learnt the cluster id %q", bad.clusterID.get())
	}

	// A certificate from another CA: the TLS handshake fails.
	other, _, err := security.NewCA("other CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	stranger := secureNode{id: "stranger", dir: t.TempDir(), joinKey: "k-123", ca: other, log: &lockedBuf{}}.start(t)
	if err := join(stranger, rpc1); status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("join with a foreign CA's certificate: %v, want a TLS certificate failure", err)
	}

	// A node of another cluster (it keeps that cluster's id) is refused by the members,
	// and refuses their answers itself.
	foreignDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(foreignDir, "cluster-id"), []byte("0123456789abcdef0123456789abcdef\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	foreign := secureNode{id: "foreign", dir: foreignDir, joinKey: "k-123", ca: ca, log: &lockedBuf{}}.start(t)
	err = join(foreign, rpc1)
	if !strings.Contains(err.Error(), "foreign cluster") || !strings.Contains(err.Error(), "0123456789abcdef0123456789abcdef") {
		t.Fatalf("join from another cluster: %v, want a foreign-cluster refusal naming the ids", err)
	}
	waitFor(t, ctx, "n1 to log the foreign node", func() bool {
		return strings.Contains(leaderLog.String(), "refused a cluster RPC from a node of another cluster")
	})
	if servers, _ := n1.Servers(); len(servers) != 2 {
		t.Fatalf("raft servers after the refusals: %v, want n1 and n2 only", servers)
	}
}

// TestJoinLearnsClusterIDWithoutTLS: the cluster id and join key work on a plaintext
// cluster too.
func TestJoinKeyWithoutTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts raft nodes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := func(id string, bootstrap bool, join []string, key string) *Node {
		n, err := New(Config{NodeID: id, DataDir: t.TempDir(), RaftBind: freeAddr(t), RPCBind: freeAddr(t),
			Bootstrap: bootstrap, Join: join, Voters: 3, JoinKey: key, Logger: slog.New(slog.NewTextHandler(&lockedBuf{}, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Shutdown() })
		return n
	}
	n1 := start("n1", true, nil, "secret")
	if err := n1.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	n2 := start("n2", false, []string{n1.cfg.RPCAdvertise}, "secret")
	waitFor(t, ctx, "n2 to join and learn the cluster id", func() bool { return n2.clusterID.get() == n1.clusterID.get() })
	n3 := start("n3", false, nil, "")
	cl, err := n3.client(n1.cfg.RPCAdvertise)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Join(ctx, &clusterv1.JoinRequest{Node: n3.self()}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("join without a key: %v", err)
	}
}
