package herder

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// A value a config provider resolved that the stored config shows anyway (here the user
// name "inventory", also part of the target) is not hidden: hiding it would only mangle
// the words it is part of. A resolved value nothing else shows still is.
func TestResolvedValueShownInTheStoredConfigIsNotHidden(t *testing.T) {
	h := newHarness(t, "n1")
	t.Setenv("TRIBUTARY_RUNTIME_TEST_USER", "inventory")
	t.Setenv("TRIBUTARY_RUNTIME_TEST_TOKEN", "tok-7f3a9c")
	h.createTopic("in", 1)
	h.produce("in", 1, 1)
	h.plugins.sink.setFailPut(status.Error(codes.Internal, "cannot write to inventory-events as inventory with tok-7f3a9c"))
	s := sinkConnector("sp", "in", 1)
	s.Tasks[0].Config["target"] = "inventory-events"
	s.Tasks[0].Config["user"] = "${env:TRIBUTARY_RUNTIME_TEST_USER}"
	s.Tasks[0].Config["auth"] = "${env:TRIBUTARY_RUNTIME_TEST_TOKEN}"
	h.putConnector(s)
	h.assign("sp", 0, "n1")
	h.start("n1")
	eventually(t, "the sink reports FAILED", stateIs(h, "sp", 0, clusterv1.TaskState_TASK_STATE_FAILED))
	const want = "cannot write to inventory-events as inventory with [hidden]"
	if tr := h.status("sp", 0).Trace; !strings.Contains(tr, want) {
		t.Errorf("trace %q; want it to contain %q", tr, want)
	}
}
