package herder

import (
	"context"
	"testing"

	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// An Open the kernel gave up on (the node was fenced while it was under way) that the
// plugin completed all the same leaves the handle open in the plugin; the next session
// of the same instance opens the same handle and must not fail the task for it.
func TestAbandonedOpenDoesNotFailTheNextSession(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("src", 1)
	entered := make(chan struct{}, 1)
	released := make(chan struct{})
	h.plugins.source.setOpenHook(func(ctx context.Context) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-ctx.Done() // the kernel gives up on the call …
		close(released)
	}) // … and the plugin opens the task all the same
	h.putConnector(genConnector("gen", map[string]string{"topic": "src", "name": "g0", "count": "20"}))
	h.assign("gen", 0, "n1")
	rt, _ := h.start("n1")
	<-entered
	rt.SetFenced(true)
	<-released
	h.plugins.source.setOpenHook(nil)
	eventually(t, "the abandoned open completes in the plugin", func() bool { return len(h.plugins.source.openRequests()) == 1 })

	rt.SetFenced(false)
	eventually(t, "the task commits all 20 records", func() bool { return h.sourceOffset("gen", `{"g":"g0"}`) == `{"n":19}` })
	if st := h.status("gen", 0); st.State != clusterv1.TaskState_TASK_STATE_RUNNING {
		t.Fatalf("task state %s (%s); want RUNNING", st.State, st.Trace)
	}
}
