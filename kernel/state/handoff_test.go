package state_test

import (
	"testing"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

func handoff(ps ...placement) *clusterv1.Command {
	sa := &clusterv1.SetAssignments{}
	for _, p := range ps {
		sa.Handoff = append(sa.Handoff, &clusterv1.Assignment{Task: p.task.ID(), Node: p.node})
	}
	return &clusterv1.Command{Cmd: &clusterv1.Command_SetAssignments{SetAssignments: sa}}
}

func release(k state.TaskKey, epoch uint64) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_ReleaseTask{ReleaseTask: &clusterv1.ReleaseTask{Task: k.ID(), Epoch: epoch}}}
}

func wantHandoff(t *testing.T, s *state.State, k state.TaskKey, node string, epoch uint64, to string) {
	t.Helper()
	a := s.Assignment(k)
	if a == nil || a.Node != node || a.Epoch != epoch || a.HandoffTo != to {
		t.Errorf("assignment of %s = %v; want node %s epoch %d handoff_to %q", k, a, node, epoch, to)
	}
}

// TestApplyHandoff: a planned move keeps the task on its node under its epoch (so the node
// can drain and commit under it) until the node releases it; only then does it move, under
// a new epoch that fences the old one.
func TestApplyHandoff(t *testing.T) {
	a0 := key("a", 0)
	runApplyCases(t, []applyCase{
		{
			name:  "handoff keeps node and epoch, marks the target",
			setup: base(), cmd: handoff(placement{a0, "n2"}),
			check: func(t *testing.T, _, s *state.State, _ uint64) { wantHandoff(t, s, a0, "n1", baseEpoch, "n2") },
		},
		{
			name:  "the old owner's final commit under its epoch is accepted during a handoff",
			setup: base(handoff(placement{a0, "n2"})), cmd: commit(srcOffsets(a0, baseEpoch, `{"file":"x"}`, "42")),
			check: func(t *testing.T, _, s *state.State, _ uint64) {
				if got := sourceMap(s, "a")[`{"file":"x"}`]; got != "42" {
					t.Errorf("offset after the final commit = %q; want 42", got)
				}
			},
		},
		{
			name:  "release moves the task to the target under a new epoch",
			setup: base(handoff(placement{a0, "n2"})), cmd: release(a0, baseEpoch),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				wantHandoff(t, s, a0, "n2", index, "")
				wantStatus(t, s, a0, clusterv1.TaskState_TASK_STATE_UNASSIGNED, "n2", index)
			},
		},
		{
			name:  "after the release the old epoch is refused",
			setup: base(handoff(placement{a0, "n2"}), release(a0, baseEpoch)), cmd: commit(srcOffsets(a0, baseEpoch, `{"file":"x"}`, "43")),
			code: state.CodeStaleEpoch, partial: true,
		},
		{
			name:  "a release under another epoch is refused",
			setup: base(handoff(placement{a0, "n2"})), cmd: release(a0, baseEpoch-1),
			code: state.CodeStaleEpoch,
		},
		{
			name:  "a release with no handoff in progress is refused",
			setup: base(), cmd: release(a0, baseEpoch),
			code: state.CodeStaleEpoch, msgs: []string{"no handoff"},
		},
		{
			name:  "an assign to the current node calls the handoff off, epoch kept",
			setup: base(handoff(placement{a0, "n2"})), cmd: assign(placement{a0, "n1"}),
			check: func(t *testing.T, _, s *state.State, _ uint64) { wantHandoff(t, s, a0, "n1", baseEpoch, "") },
		},
		{
			name:  "an assign elsewhere moves at once, fencing the owner (an overdue handoff)",
			setup: base(handoff(placement{a0, "n2"})), cmd: assign(placement{a0, "n2"}),
			check: func(t *testing.T, _, s *state.State, index uint64) { wantHandoff(t, s, a0, "n2", index, "") },
		},
		{
			name:  "a release after the target left unassigns the task",
			setup: base(handoff(placement{a0, "n2"}), removeNode("n2")), cmd: release(a0, baseEpoch),
			check: func(t *testing.T, _, s *state.State, _ uint64) { wantUnassigned(t, s, a0) },
		},
		{
			name:  "a handoff to the node the task is on, or of an unassigned task, changes nothing",
			setup: base(unassign(key("b", 0))), cmd: handoff(placement{a0, "n1"}, placement{key("b", 0), "n2"}),
			check: unchanged,
		},
	})
}
