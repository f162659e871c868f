package security

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// GRPCAuth authenticates admin gRPC calls from their "authorization" metadata ("Bearer
// TOKEN" or "Basic base64(user:password)", users and tokens from a credentials file) and
// holds read-only callers to the read methods. Health checks and server reflection need no
// credentials, so grpcurl can list the services before it is given a token.
type GRPCAuth struct {
	Credentials *Credentials
}

// UnaryInterceptor returns the interceptor for unary methods.
func (a *GRPCAuth) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := a.check(ctx, info.FullMethod); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamInterceptor returns the interceptor for streaming methods.
func (a *GRPCAuth) StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := a.check(ss.Context(), info.FullMethod); err != nil {
			return err
		}
		return handler(srv, ss)
	}
}

func (a *GRPCAuth) check(ctx context.Context, method string) error {
	if OpenMethod(method) {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) == 0 {
		return status.Error(codes.Unauthenticated, "authentication required: send authorization: Bearer TOKEN (tributary --token, TRIBUTARY_TOKEN)")
	}
	role, ok := authenticateHeader(a.Credentials, vals[0])
	if !ok {
		return status.Error(codes.Unauthenticated, "authentication failed: the token or user and password are not in the credentials file")
	}
	if role != RoleAdmin && !ReadOnlyMethod(method) {
		return status.Errorf(codes.PermissionDenied, "the caller's role read-only may not call %s", method)
	}
	return nil
}

// OpenMethod reports whether a gRPC method needs no credentials: health checks and server
// reflection.
func OpenMethod(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/grpc.health.v1.Health/") ||
		strings.HasPrefix(fullMethod, "/grpc.reflection.v1.ServerReflection/") ||
		strings.HasPrefix(fullMethod, "/grpc.reflection.v1alpha.ServerReflection/")
}

// ReadOnlyMethod reports whether a gRPC method only reads: its name starts with Get, List,
// Describe or Watch, or it is one of the admin service's other reads (ServerInfo,
// ValidateConfig, RaftListPeers).
func ReadOnlyMethod(fullMethod string) bool {
	name := fullMethod[strings.LastIndex(fullMethod, "/")+1:]
	for _, p := range []string{"Get", "List", "Describe", "Watch"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	switch name {
	case "ServerInfo", "ValidateConfig", "RaftListPeers":
		return true
	}
	return false
}

// authorizationKey is the context key of a REST caller's Authorization header.
type authorizationKey struct{}

// withAuthorization keeps a REST caller's Authorization header in ctx, for ForwardAuth
// only: it is not put on every gRPC call made with ctx (a Raft write forwarded to the
// leader must not carry the caller's password).
func withAuthorization(ctx context.Context, header string) context.Context {
	return context.WithValue(ctx, authorizationKey{}, header)
}

// ForwardAuth passes the caller's authorization on to the node a request is forwarded to,
// so that node checks the same caller: a REST caller's Authorization header (BasicAuth's
// handler keeps it in the request's context), or a gRPC caller's "authorization" metadata.
func ForwardAuth(ctx context.Context) context.Context {
	if h, _ := ctx.Value(authorizationKey{}).(string); h != "" {
		return metadata.AppendToOutgoingContext(ctx, "authorization", h)
	}
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("authorization"); len(v) > 0 {
		return metadata.AppendToOutgoingContext(ctx, "authorization", v[0])
	}
	return ctx
}
