package security

import (
	"context"
	"testing"

	"google.golang.org/grpc/metadata"
)

// ForwardAuth carries a REST caller's or a gRPC caller's authorization to the node a
// request is forwarded to; a REST caller's is kept off the context's own outgoing calls.
func TestForwardAuth(t *testing.T) {
	rest := withAuthorization(context.Background(), "Basic dTpw")
	if md, ok := metadata.FromOutgoingContext(rest); ok && len(md.Get("authorization")) > 0 {
		t.Errorf("a REST request's context sends its authorization on every call: %v", md)
	}
	for name, ctx := range map[string]context.Context{
		"REST": rest,
		"gRPC": metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Basic dTpw")),
	} {
		md, _ := metadata.FromOutgoingContext(ForwardAuth(ctx))
		if got := md.Get("authorization"); len(got) != 1 || got[0] != "Basic dTpw" {
			t.Errorf("%s caller: forwarded authorization %v; want [Basic dTpw]", name, got)
		}
	}
	if md, ok := metadata.FromOutgoingContext(ForwardAuth(context.Background())); ok && len(md) > 0 {
		t.Errorf("no caller: forwarded %v", md)
	}
}
