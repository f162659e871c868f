package cluster

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// Node-to-node security. With Config.TLS the cluster gRPC service and the Raft transport
// speak mutual TLS: a peer must present a certificate the node's CA signed. Every cluster
// RPC carries the caller's cluster id (created at bootstrap, kept in <data_dir>/cluster-id,
// learnt by a joining node from the member it joins through) and the join key: a member
// refuses a caller from another cluster, and a Join whose key differs from its own, and
// the caller's error says why.

// Metadata keys of cluster RPCs.
const (
	mdClusterID = "tributary-cluster-id"
	mdJoinKey   = "tributary-join-key"
)

// clusterID is this node's cluster id, persisted in the data dir.
type clusterID struct {
	mu   sync.Mutex
	path string
	id   string
}

func newClusterID(dataDir string) (*clusterID, error) {
	c := &clusterID{path: filepath.Join(dataDir, "cluster-id")}
	data, err := os.ReadFile(c.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("cluster: read cluster id: %w", err)
	}
	c.id = strings.TrimSpace(string(data))
	return c, nil
}

func (c *clusterID) get() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id
}

// set records id when none is known yet (at bootstrap, or on joining).
func (c *clusterID) set(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.id != "" || id == "" {
		return nil
	}
	if err := os.WriteFile(c.path, []byte(id+"\n"), 0o644); err != nil {
		return fmt.Errorf("cluster: write cluster id: %w", err)
	}
	c.id = id
	return nil
}

func newID() string {
	b := make([]byte, 16)
	_, _ = io.ReadFull(rand.Reader, b)
	return hex.EncodeToString(b)
}

// serverInterceptor refuses callers from another cluster and joins with the wrong key,
// and tells every caller this node's cluster id.
func (n *Node) serverInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	mine := n.clusterID.get()
	if mine != "" {
		_ = grpc.SetHeader(ctx, metadata.Pairs(mdClusterID, mine))
	}
	if theirs := first(md, mdClusterID); theirs != "" && mine != "" && theirs != mine {
		n.log.Warn("refused a cluster RPC from a node of another cluster", "method", info.FullMethod, "their_cluster", theirs, "cluster", mine, "peer", peerAddr(ctx))
		return nil, status.Errorf(codes.FailedPrecondition, "foreign cluster: the caller belongs to cluster %s, node %s to cluster %s", theirs, n.cfg.NodeID, mine)
	}
	if strings.HasSuffix(info.FullMethod, "/Join") && n.cfg.JoinKey != "" {
		if subtle.ConstantTimeCompare([]byte(first(md, mdJoinKey)), []byte(n.cfg.JoinKey)) != 1 {
			n.log.Warn("refused a join: wrong join key", "peer", peerAddr(ctx))
			return nil, status.Errorf(codes.PermissionDenied, "join refused by node %s: wrong join key (join_key must match the cluster's)", n.cfg.NodeID)
		}
	}
	return handler(ctx, req)
}

// clientInterceptor sends this node's cluster id and join key, learns the cluster id from
// the first member that answers, and refuses an answer from another cluster.
func (n *Node) clientInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	// A forwarded call passes on the original caller's metadata.
	out, _ := metadata.FromOutgoingContext(ctx)
	out = out.Copy()
	if id := n.clusterID.get(); id != "" {
		out.Set(mdClusterID, id)
	}
	if n.cfg.JoinKey != "" {
		out.Set(mdJoinKey, n.cfg.JoinKey)
	}
	if in, ok := metadata.FromIncomingContext(ctx); ok && strings.HasSuffix(method, "/Join") {
		if k := first(in, mdJoinKey); k != "" {
			out.Set(mdJoinKey, k) // forwarding a joiner's request: its key, not ours
		}
	}
	var header metadata.MD
	err := invoker(metadata.NewOutgoingContext(ctx, out), method, req, reply, cc, append(opts, grpc.Header(&header))...)
	if theirs := first(header, mdClusterID); theirs != "" {
		if mine := n.clusterID.get(); mine != "" && mine != theirs {
			return fmt.Errorf("foreign cluster: %s answered for cluster %s, this node belongs to cluster %s", cc.Target(), theirs, mine)
		}
		if err == nil {
			if serr := n.clusterID.set(theirs); serr != nil {
				return serr
			}
		}
	}
	return err
}

func peerAddr(ctx context.Context) string {
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		return p.Addr.String()
	}
	return ""
}

func first(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// tlsStreamLayer is a raft.StreamLayer over mutual TLS.
type tlsStreamLayer struct {
	net.Listener
	advertise net.Addr
	client    *tls.Config
}

func newTLSStreamLayer(bind string, advertise net.Addr, server, client *tls.Config) (*tlsStreamLayer, error) {
	l, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	if advertise == nil {
		advertise = l.Addr()
	}
	return &tlsStreamLayer{Listener: tls.NewListener(l, server), advertise: advertise, client: client}, nil
}

func (s *tlsStreamLayer) Addr() net.Addr { return s.advertise }

func (s *tlsStreamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout}
	return tls.DialWithDialer(d, "tcp", string(addr), s.client)
}
