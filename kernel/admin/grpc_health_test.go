package admin

import (
	"testing"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

// gRPC health says what GET /health says: NOT_SERVING while the node catches up or has
// no leader, with the reason in a response header.
func TestGRPCHealthFollowsTheCluster(t *testing.T) {
	f := newFixture(t)
	h := Health{Leader: "node-1", Known: true, CaughtUp: true}
	f.svc.cfg.Health = func() Health { return h }
	cc := f.conn(t)
	hc := healthpb.NewHealthClient(cc)
	for _, c := range []struct {
		what   string
		h      Health
		want   healthpb.HealthCheckResponse_ServingStatus
		reason string
	}{
		{"a leader and caught up", Health{Leader: "node-1", Known: true, CaughtUp: true}, healthpb.HealthCheckResponse_SERVING, ""},
		{"no leader", Health{CaughtUp: true}, healthpb.HealthCheckResponse_NOT_SERVING, "the cluster has no leader (as seen by node node-1)"},
		{"catching up", Health{Leader: "node-1"}, healthpb.HealthCheckResponse_NOT_SERVING, "node node-1 is catching up with the cluster's state"},
	} {
		h = c.h
		var md metadata.MD
		resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: "tributary.admin.v1.Admin"}, grpc.Header(&md))
		if err != nil || resp.Status != c.want {
			t.Errorf("%s: %v, %v; want %v", c.what, resp, err, c.want)
		}
		if got := md.Get("tributary-health-reason"); (c.reason == "" && len(got) != 0) || (c.reason != "" && (len(got) != 1 || got[0] != c.reason)) {
			t.Errorf("%s: reason %v, want %q", c.what, got, c.reason)
		}
	}
}
