package state_test

import (
	"slices"
	"testing"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

func recordTopics(connector string, createdIndex uint64, topics ...string) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_RecordActiveTopics{RecordActiveTopics: &clusterv1.RecordActiveTopics{
		Connector: connector, CreatedIndex: createdIndex, Topics: topics}}}
}

func resetTopics(connector string) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_ResetActiveTopics{ResetActiveTopics: &clusterv1.ResetActiveTopics{Connector: connector}}}
}

func wantTopics(t *testing.T, s *state.State, connector string, want ...string) {
	t.Helper()
	if got := s.Connector(connector).GetActiveTopics(); !slices.Equal(got, want) {
		t.Errorf("active topics of %s = %v, want %v", connector, got, want)
	}
}

// createdIndexOfA is the index base's put("a", 2) applies at.
const createdIndexOfA = 3

func TestApplyActiveTopics(t *testing.T) {
	runApplyCases(t, []applyCase{
		{
			name: "recorded sorted, once each", setup: base(recordTopics("a", 0, "orders")),
			cmd: recordTopics("a", 0, "users", "orders", "audit", "users", ""),
			check: func(t *testing.T, _, s *state.State, _ uint64) {
				wantTopics(t, s, "a", "audit", "orders", "users")
				wantTopics(t, s, "b")
			},
		},
		{
			name: "of this incarnation", setup: base(),
			cmd:   recordTopics("a", createdIndexOfA, "orders"),
			check: func(t *testing.T, _, s *state.State, _ uint64) { wantTopics(t, s, "a", "orders") },
		},
		{name: "a deleted namesake's task records nothing", setup: base(), cmd: recordTopics("a", createdIndexOfA+100, "x"), code: state.CodeNotFound},
		{name: "unknown connector", setup: base(), cmd: recordTopics("zzz", 0, "x"), code: state.CodeNotFound, msgs: []string{"zzz"}},
		{name: "nothing new changes nothing", setup: base(recordTopics("a", 0, "orders")), cmd: recordTopics("a", 0, "orders"), check: unchanged},
		{
			name: "a config change keeps them", setup: base(recordTopics("a", 0, "orders")), cmd: put("a", 1),
			check: func(t *testing.T, _, s *state.State, _ uint64) { wantTopics(t, s, "a", "orders") },
		},
		{
			name: "a put cannot set them", setup: base(),
			cmd: putC(&clusterv1.Connector{Name: "c", Plugin: "file-source", Type: clusterv1.ConnectorType_CONNECTOR_TYPE_SOURCE,
				ActiveTopics: []string{"forged"}}),
			check: func(t *testing.T, _, s *state.State, _ uint64) { wantTopics(t, s, "c") },
		},
		{
			name: "reset", setup: base(recordTopics("a", 0, "orders", "users")), cmd: resetTopics("a"),
			check: func(t *testing.T, _, s *state.State, _ uint64) { wantTopics(t, s, "a") },
		},
		{name: "reset of an unknown connector", setup: base(), cmd: resetTopics("zzz"), code: state.CodeNotFound},
		{
			name: "deleted with the connector", setup: base(recordTopics("a", 0, "orders"), del("a")), cmd: put("a", 1),
			check: func(t *testing.T, _, s *state.State, _ uint64) { wantTopics(t, s, "a") },
		},
	})
}

// A paused connector's task that is restarted or reconfigured shows PAUSED until its new
// instance reports, never a transient RESTARTING: it comes back paused.
func TestPausedTaskNeverShowsRestarting(t *testing.T) {
	paused := func(extra ...*clusterv1.Command) []*clusterv1.Command {
		return base(append([]*clusterv1.Command{
			target("a", clusterv1.TargetState_TARGET_STATE_PAUSED),
			report(key("a", 0), baseEpoch, clusterv1.TaskState_TASK_STATE_PAUSED, "n1", ""),
		}, extra...)...)
	}
	runApplyCases(t, []applyCase{
		{
			name: "restarted", setup: paused(), cmd: restart("a", key("a", 0)),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				wantStatus(t, s, key("a", 0), clusterv1.TaskState_TASK_STATE_PAUSED, "n1", index)
			},
		},
		{
			name: "reconfigured", setup: paused(), cmd: put("a", 2),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				wantStatus(t, s, key("a", 0), clusterv1.TaskState_TASK_STATE_PAUSED, "n1", index)
				wantStatus(t, s, key("a", 1), clusterv1.TaskState_TASK_STATE_PAUSED, "n2", index)
			},
		},
		{
			name: "a running connector's task still restarts", setup: base(), cmd: restart("a", key("b", 0)),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				wantStatus(t, s, key("b", 0), clusterv1.TaskState_TASK_STATE_RESTARTING, "n1", index)
			},
		},
	})
}
