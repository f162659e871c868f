package admin

import (
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// The admin service, health and reflection answer over a real loopback listener.
func TestGRPCServer(t *testing.T) {
	f := newFixture(t)
	cc := f.conn(t)

	hc := healthpb.NewHealthClient(cc)
	for _, svc := range []string{"", "tributary.admin.v1.Admin"} {
		resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || resp.Status != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health of %q: %v, %v; want SERVING", svc, resp, err)
		}
	}

	rc, err := reflectionpb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{ListServices: "*"}}); err != nil {
		t.Fatal(err)
	}
	resp, err := rc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var services []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		services = append(services, s.GetName())
	}
	for _, want := range []string{"tributary.admin.v1.Admin", "grpc.health.v1.Health"} {
		if !slices.Contains(services, want) {
			t.Errorf("reflection lists %v, missing %s", services, want)
		}
	}
	if err := rc.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: "tributary.admin.v1.Admin"}}); err != nil {
		t.Fatal(err)
	}
	if resp, err := rc.Recv(); err != nil || len(resp.GetFileDescriptorResponse().GetFileDescriptorProto()) == 0 {
		t.Errorf("reflection has no descriptor for the admin service: %v, %v", resp, err)
	}
	rc.CloseSend()

	ac := adminv1.NewAdminClient(cc)
	if _, err := ac.CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: "src", Config: sourceConfig()}); err != nil {
		t.Fatal(err)
	}
	st, err := ac.GetConnectorStatus(ctx, &adminv1.ConnectorRequest{Name: "src"})
	if err != nil || st.Connector.State != "RUNNING" || len(st.Tasks) != 2 {
		t.Errorf("GetConnectorStatus over gRPC: %v, %v", st, err)
	}
	_, err = ac.GetConnector(ctx, &adminv1.ConnectorRequest{Name: "ghost"})
	if s := status.Convert(err); s.Code() != codes.NotFound || s.Message() != "Connector ghost not found" {
		t.Errorf("GetConnector(ghost) over gRPC: %v", err)
	}

	// The offsets calls over the wire: refused with FailedPrecondition until STOPPED.
	alter := &adminv1.AlterOffsetsRequest{Name: "src", Offsets: []*adminv1.Offset{{Partition: `{"filename":"/tmp/in.txt"}`, Offset: `{"position":5}`}}}
	if _, err := ac.AlterOffsets(ctx, alter); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("AlterOffsets of a RUNNING connector over gRPC: %v, want FailedPrecondition", err)
	}
	if _, err := ac.ResetOffsets(ctx, &adminv1.ConnectorRequest{Name: "src"}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("ResetOffsets of a RUNNING connector over gRPC: %v, want FailedPrecondition", err)
	}
	if _, err := ac.StopConnector(ctx, &adminv1.ConnectorRequest{Name: "src"}); err != nil {
		t.Fatal(err)
	}
	if msg, err := ac.AlterOffsets(ctx, alter); err != nil || msg.Message != "The offsets for this connector have been altered successfully" {
		t.Errorf("AlterOffsets over gRPC: %v, %v", msg, err)
	}
	if offs, err := ac.GetOffsets(ctx, &adminv1.ConnectorRequest{Name: "src"}); err != nil || len(offs.Offsets) != 1 || offs.Offsets[0].Offset != `{"position":5}` {
		t.Errorf("GetOffsets over gRPC after AlterOffsets: %v, %v", offs, err)
	}
	if msg, err := ac.ResetOffsets(ctx, &adminv1.ConnectorRequest{Name: "src"}); err != nil || msg.Message != "The offsets for this connector have been reset successfully" {
		t.Errorf("ResetOffsets over gRPC: %v, %v", msg, err)
	}

	f.svc.Shutdown()
	if resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || resp.Status != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("health after Shutdown: %v, %v; want NOT_SERVING", resp, err)
	}
}
