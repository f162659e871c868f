package state_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// base is the setup most cases start from: two nodes, connector a with two tasks and b with
// one, all placed by the command at index baseEpoch.
func base(extra ...*clusterv1.Command) []*clusterv1.Command {
	cmds := []*clusterv1.Command{
		register("n1", "file-source"),
		register("n2", "file-source"),
		put("a", 2),
		put("b", 1),
		assign(placement{key("a", 0), "n1"}, placement{key("a", 1), "n2"}, placement{key("b", 0), "n1"}),
	}
	return append(cmds, extra...)
}

// baseEpoch is the epoch of every assignment base makes.
const baseEpoch = 5

type applyCase struct {
	name  string
	setup []*clusterv1.Command
	cmd   *clusterv1.Command
	code  state.Code // "" when the command must be accepted
	msgs  []string   // substrings the refusal must contain
	// partial marks a refusal that still applies part of the command (CommitOffsets);
	// every other refusal must leave the state as it was.
	partial bool
	check   func(t *testing.T, before, after *state.State, index uint64)
}

func runApplyCases(t *testing.T, cases []applyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := build(t, tc.setup...)
			before := state.Restore(s.Snapshot())
			index := s.Index() + 1
			err := s.Apply(index, tc.cmd)
			checkCode(t, err, tc.code, tc.msgs...)
			if got := s.Index(); got != index {
				t.Errorf("Index() = %d after applying at %d, want %d", got, index, index)
			}
			if tc.code != "" && !tc.partial {
				if d := diffSnapshots(withoutIndex(s.Snapshot()), withoutIndex(before.Snapshot())); d != "" {
					t.Errorf("refused command changed the state:\n%s", d)
				}
			}
			if tc.check != nil {
				tc.check(t, before, s, index)
			}
		})
	}
}

// unchanged is a check for accepted commands that must change nothing but the index.
func unchanged(t *testing.T, before, after *state.State, _ uint64) {
	t.Helper()
	if d := diffSnapshots(withoutIndex(after.Snapshot()), withoutIndex(before.Snapshot())); d != "" {
		t.Errorf("command changed the state, want no change:\n%s", d)
	}
}

func wantAssignment(t *testing.T, s *state.State, k state.TaskKey, node string, epoch, generation, restarts uint64) {
	t.Helper()
	a := s.Assignment(k)
	if a == nil {
		t.Fatalf("task %s is unassigned, want it on %s at epoch %d", k, node, epoch)
	}
	want := &clusterv1.Assignment{Task: k.ID(), Node: node, Epoch: epoch, Generation: generation, Restarts: restarts}
	if !proto.Equal(a, want) {
		t.Errorf("assignment of %s = %v, want %v", k, a, want)
	}
}

func wantUnassigned(t *testing.T, s *state.State, ks ...state.TaskKey) {
	t.Helper()
	for _, k := range ks {
		if a := s.Assignment(k); a != nil {
			t.Errorf("task %s is assigned (%v), want unassigned", k, a)
		}
	}
}

func wantStatus(t *testing.T, s *state.State, k state.TaskKey, st clusterv1.TaskState, worker string, epoch uint64) {
	t.Helper()
	got := s.TaskStatus(k)
	want := &clusterv1.TaskStatus{Task: k.ID(), State: st, WorkerId: worker, Epoch: epoch}
	if !proto.Equal(got, want) {
		t.Errorf("status of %s = %v, want %v", k, got, want)
	}
}

func wantNoStatus(t *testing.T, s *state.State, ks ...state.TaskKey) {
	t.Helper()
	for _, k := range ks {
		if st := s.TaskStatus(k); st != nil {
			t.Errorf("task %s has status %v, want none", k, st)
		}
	}
}

func wantTasks(t *testing.T, s *state.State, want ...state.TaskKey) {
	t.Helper()
	if got := s.Tasks(); !slices.Equal(got, want) {
		t.Errorf("Tasks() = %v, want %v", got, want)
	}
}

func TestApplyPutConnector(t *testing.T) {
	runApplyCases(t, []applyCase{
		{
			name:  "create",
			setup: []*clusterv1.Command{register("n1", "file-source")},
			cmd:   put("c", 2),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				want := connector("c", "file-source", 2)
				want.Generation, want.CreatedIndex, want.TargetState = 1, index, running
				if got := s.Connector("c"); !proto.Equal(got, want) {
					t.Errorf("Connector(c) = %v, want %v", got, want)
				}
				wantTasks(t, s, key("c", 0), key("c", 1))
				wantUnassigned(t, s, key("c", 0), key("c", 1))
				wantNoStatus(t, s, key("c", 0), key("c", 1))
			},
		},
		{
			name: "create ignores generation, created index and restart count from the caller",
			cmd: func() *clusterv1.Command {
				c := connector("c", "file-source", 1)
				c.Generation, c.CreatedIndex, c.RestartCount = 41, 999, 7
				return putC(c)
			}(),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				c := s.Connector("c")
				if c.Generation != 1 || c.CreatedIndex != index || c.RestartCount != 0 {
					t.Errorf("generation, created_index, restart_count = %d, %d, %d; want 1, %d, 0",
						c.Generation, c.CreatedIndex, c.RestartCount, index)
				}
			},
		},
		{
			name: "create honours an initial STOPPED state",
			cmd: func() *clusterv1.Command {
				c := connector("c", "file-source", 2)
				c.TargetState = stopped
				return putC(c)
			}(),
			check: func(t *testing.T, _, s *state.State, _ uint64) {
				if got := s.Connector("c").TargetState; got != stopped {
					t.Errorf("target state = %v, want STOPPED", got)
				}
				wantTasks(t, s)
			},
		},
		{
			name: "create honours an initial PAUSED state",
			cmd: func() *clusterv1.Command {
				c := connector("c", "file-source", 1)
				c.TargetState = paused
				return putC(c)
			}(),
			check: func(t *testing.T, _, s *state.State, _ uint64) {
				if got := s.Connector("c").TargetState; got != paused {
					t.Errorf("target state = %v, want PAUSED", got)
				}
				wantTasks(t, s, key("c", 0))
			},
		},
		{
			name:  "create_only of a new name",
			setup: base(),
			cmd:   createC(connector("c", "file-source", 1)),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				if c := s.Connector("c"); c == nil || c.CreatedIndex != index {
					t.Errorf("Connector(c) = %v, want one created at %d", c, index)
				}
			},
		},
		{
			name:  "create_only of an existing name",
			setup: base(),
			cmd:   createC(connector("a", "file-source", 5)),
			code:  state.CodeExists,
			msgs:  []string{"a", "exists"},
		},
		{
			name:  "update bumps the generation and re-epochs existing assignments",
			setup: base(report(key("a", 0), baseEpoch, taskRunning, "n1", "")),
			cmd: func() *clusterv1.Command {
				c := connector("a", "file-source", 2)
				c.Config["topic"] = "new"
				return putC(c)
			}(),
			check: func(t *testing.T, before, s *state.State, index uint64) {
				c := s.Connector("a")
				if c.Generation != 2 || c.CreatedIndex != 3 || c.Config["topic"] != "new" {
					t.Errorf("Connector(a) = %v, want generation 2, created_index 3, topic=new", c)
				}
				wantAssignment(t, s, key("a", 0), "n1", index, 2, 0)
				wantAssignment(t, s, key("a", 1), "n2", index, 2, 0)
				wantStatus(t, s, key("a", 0), taskRestarting, "n1", index)
				wantStatus(t, s, key("a", 1), taskRestarting, "n2", index)
				// Another connector's tasks are not touched.
				if !proto.Equal(s.Assignment(key("b", 0)), before.Assignment(key("b", 0))) {
					t.Errorf("assignment of b-0 changed to %v", s.Assignment(key("b", 0)))
				}
			},
		},
		{
			name: "update keeps target state and restart count",
			setup: base(
				target("a", paused),
				restart("a"),
			),
			cmd: func() *clusterv1.Command {
				c := connector("a", "file-source", 2)
				c.TargetState, c.RestartCount, c.CreatedIndex = running, 0, 1
				return putC(c)
			}(),
			check: func(t *testing.T, _, s *state.State, _ uint64) {
				c := s.Connector("a")
				if c.TargetState != paused || c.RestartCount != 1 || c.CreatedIndex != 3 || c.Generation != 2 {
					t.Errorf("Connector(a) = %v, want PAUSED, restart_count 1, created_index 3, generation 2", c)
				}
			},
		},
		{
			name: "shrinking the task count drops the assignments and statuses of the tasks that go",
			setup: base(
				report(key("a", 1), baseEpoch, taskFailed, "n2", "boom"),
			),
			cmd: put("a", 1),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				wantTasks(t, s, key("a", 0), key("b", 0))
				wantAssignment(t, s, key("a", 0), "n1", index, 2, 0)
				wantUnassigned(t, s, key("a", 1))
				wantNoStatus(t, s, key("a", 1))
			},
		},
		{
			name: "shrinking drops the status of a task that was not assigned",
			setup: base(
				unassign(key("a", 1)),
			),
			cmd: put("a", 1),
			check: func(t *testing.T, _, s *state.State, _ uint64) {
				wantNoStatus(t, s, key("a", 1))
			},
		},
		{
			name:  "shrinking to zero tasks",
			setup: base(),
			cmd:   put("a", 0),
			check: func(t *testing.T, _, s *state.State, _ uint64) {
				wantTasks(t, s, key("b", 0))
				wantUnassigned(t, s, key("a", 0), key("a", 1))
				wantNoStatus(t, s, key("a", 0), key("a", 1))
			},
		},
		{
			name:  "growing adds unassigned tasks",
			setup: base(),
			cmd:   put("a", 4),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				wantTasks(t, s, key("a", 0), key("a", 1), key("a", 2), key("a", 3), key("b", 0))
				wantAssignment(t, s, key("a", 1), "n2", index, 2, 0)
				wantUnassigned(t, s, key("a", 2), key("a", 3))
				wantNoStatus(t, s, key("a", 2), key("a", 3))
			},
		},
		{
			name: "a new incarnation after delete does not inherit offsets",
			setup: base(
				commit(srcOffsets(key("a", 0), baseEpoch, "p1", "o1"), sinkOffsets(key("a", 1), baseEpoch, "t", 10)),
				restart("a"),
				del("a"),
			),
			cmd: put("a", 2),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				c := s.Connector("a")
				if c.CreatedIndex != index || c.Generation != 1 || c.RestartCount != 0 {
					t.Errorf("Connector(a) = %v, want a new incarnation (created_index %d, generation 1, restart_count 0)", c, index)
				}
				if got := s.SourceOffsets("a"); len(got) != 0 {
					t.Errorf("SourceOffsets(a) = %v, want none", got)
				}
				if got := s.SinkOffsets("a"); len(got) != 0 {
					t.Errorf("SinkOffsets(a) = %v, want none", got)
				}
				wantUnassigned(t, s, key("a", 0), key("a", 1))
				wantNoStatus(t, s, key("a", 0), key("a", 1))
				// The old incarnation's task cannot write: it has no assignment.
				if err := s.Apply(index+1, commit(srcOffsets(key("a", 0), baseEpoch, "p1", "zombie"))); state.CodeOf(err) != state.CodeStaleEpoch {
					t.Errorf("old incarnation's commit: err = %v, want stale_epoch", err)
				}
			},
		},
		{name: "nil connector", setup: base(), cmd: putC(nil), code: state.CodeInvalid, msgs: []string{"name"}},
		{name: "empty name", setup: base(), cmd: putC(connector("", "file-source", 1)), code: state.CodeInvalid, msgs: []string{"name"}},
		{name: "empty plugin", setup: base(), cmd: putC(connector("c", "", 1)), code: state.CodeInvalid, msgs: []string{"plugin"}},
		{
			name:  "empty plugin on update changes nothing",
			setup: base(),
			cmd:   putC(connector("a", "", 3)),
			code:  state.CodeInvalid,
			msgs:  []string{"plugin"},
		},
		{
			name:  "unspecified type",
			setup: base(),
			cmd: func() *clusterv1.Command {
				c := connector("a", "file-source", 1)
				c.Type = clusterv1.ConnectorType_CONNECTOR_TYPE_UNSPECIFIED
				return putC(c)
			}(),
			code: state.CodeInvalid,
			msgs: []string{"type"},
		},
		{
			name:  "nil put",
			setup: base(),
			cmd:   &clusterv1.Command{Cmd: &clusterv1.Command_PutConnector{}},
			code:  state.CodeInvalid,
		},
	})
}

func TestApplyDeleteConnector(t *testing.T) {
	runApplyCases(t, []applyCase{
		{
			name: "delete",
			setup: base(
				report(key("a", 0), baseEpoch, taskRunning, "n1", ""),
				commit(srcOffsets(key("a", 0), baseEpoch, "p", "1"), srcOffsets(key("b", 0), baseEpoch, "q", "2")),
			),
			cmd: del("a"),
			check: func(t *testing.T, before, s *state.State, _ uint64) {
				if c := s.Connector("a"); c != nil {
					t.Errorf("Connector(a) = %v after delete, want nil", c)
				}
				wantTasks(t, s, key("b", 0))
				wantUnassigned(t, s, key("a", 0), key("a", 1))
				wantNoStatus(t, s, key("a", 0), key("a", 1))
				if got := s.SourceOffsets("a"); got != nil {
					t.Errorf("SourceOffsets(a) = %v, want nil", got)
				}
				// b is untouched.
				if !proto.Equal(s.Assignment(key("b", 0)), before.Assignment(key("b", 0))) ||
					!proto.Equal(s.Connector("b"), before.Connector("b")) {
					t.Errorf("delete of a changed b")
				}
				if got := sourceMap(s, "b"); got["q"] != "2" {
					t.Errorf("offsets of b = %v, want q=2", got)
				}
			},
		},
		{name: "not found", setup: base(), cmd: del("zzz"), code: state.CodeNotFound, msgs: []string{"zzz"}},
		{name: "empty name", setup: base(), cmd: del(""), code: state.CodeNotFound},
	})
}

func TestApplySetTargetState(t *testing.T) {
	runApplyCases(t, []applyCase{
		{
			name:  "PAUSED keeps assignments",
			setup: base(report(key("a", 0), baseEpoch, taskRunning, "n1", "")),
			cmd:   target("a", paused),
			check: func(t *testing.T, before, s *state.State, _ uint64) {
				if got := s.Connector("a").TargetState; got != paused {
					t.Errorf("target state = %v, want PAUSED", got)
				}
				if got := s.Connector("a").Generation; got != 1 {
					t.Errorf("generation = %d, want 1 (a state change is not a config change)", got)
				}
				wantTasks(t, s, key("a", 0), key("a", 1), key("b", 0))
				if !proto.Equal(s.Assignment(key("a", 0)), before.Assignment(key("a", 0))) {
					t.Errorf("assignment of a-0 changed")
				}
				wantStatus(t, s, key("a", 0), taskRunning, "n1", baseEpoch)
			},
		},
		{
			name: "STOPPED drops assignments and statuses but keeps offsets",
			setup: base(
				report(key("a", 0), baseEpoch, taskRunning, "n1", ""),
				commit(srcOffsets(key("a", 0), baseEpoch, "p", "7")),
			),
			cmd: target("a", stopped),
			check: func(t *testing.T, before, s *state.State, _ uint64) {
				if got := s.Connector("a").TargetState; got != stopped {
					t.Errorf("target state = %v, want STOPPED", got)
				}
				wantTasks(t, s, key("b", 0))
				wantUnassigned(t, s, key("a", 0), key("a", 1))
				wantNoStatus(t, s, key("a", 0), key("a", 1))
				if got := sourceMap(s, "a"); got["p"] != "7" {
					t.Errorf("offsets of a = %v, want p=7 kept", got)
				}
				if !proto.Equal(s.Assignment(key("b", 0)), before.Assignment(key("b", 0))) {
					t.Errorf("assignment of b-0 changed")
				}
			},
		},
		{
			name:  "STOPPED to RUNNING makes the tasks runnable again, unassigned",
			setup: base(target("a", stopped)),
			cmd:   target("a", running),
			check: func(t *testing.T, _, s *state.State, _ uint64) {
				wantTasks(t, s, key("a", 0), key("a", 1), key("b", 0))
				wantUnassigned(t, s, key("a", 0), key("a", 1))
			},
		},
		{name: "not found", setup: base(), cmd: target("zzz", paused), code: state.CodeNotFound, msgs: []string{"zzz"}},
		{
			name:  "unspecified",
			setup: base(),
			cmd:   target("a", clusterv1.TargetState_TARGET_STATE_UNSPECIFIED),
			code:  state.CodeInvalid,
		},
	})
}

func TestApplyRegisterNode(t *testing.T) {
	runApplyCases(t, []applyCase{
		{
			name:  "new node",
			setup: base(),
			cmd:   register("n3", "http-sink", "org.example.HttpSink"),
			check: func(t *testing.T, _, s *state.State, _ uint64) {
				n := s.Node("n3")
				if n == nil || !slices.Equal(n.Plugins, []string{"http-sink", "org.example.HttpSink"}) {
					t.Errorf("Node(n3) = %v, want it with its plugins", n)
				}
				var ids []string
				for _, n := range s.Nodes() {
					ids = append(ids, n.Id)
				}
				if !slices.Equal(ids, []string{"n1", "n2", "n3"}) {
					t.Errorf("Nodes() = %v, want n1 n2 n3", ids)
				}
			},
		},
		{
			name:  "re-registering replaces the record and keeps assignments",
			setup: base(),
			cmd:   register("n1", "other"),
			check: func(t *testing.T, before, s *state.State, _ uint64) {
				if got := s.Node("n1").Plugins; !slices.Equal(got, []string{"other"}) {
					t.Errorf("plugins of n1 = %v, want [other]", got)
				}
				if !slices.EqualFunc(s.AssignmentsOf("n1"), before.AssignmentsOf("n1"), func(a, b *clusterv1.Assignment) bool { return proto.Equal(a, b) }) {
					t.Errorf("assignments of n1 changed")
				}
			},
		},
		{name: "empty id", setup: base(), cmd: register(""), code: state.CodeInvalid},
		{
			name:  "nil node",
			setup: base(),
			cmd:   &clusterv1.Command{Cmd: &clusterv1.Command_RegisterNode{RegisterNode: &clusterv1.RegisterNode{}}},
			code:  state.CodeInvalid,
		},
	})
}

func TestApplyRemoveNode(t *testing.T) {
	runApplyCases(t, []applyCase{
		{
			name:  "removing a node unassigns its tasks",
			setup: base(report(key("a", 0), baseEpoch, taskRunning, "n1", "")),
			cmd:   removeNode("n1"),
			check: func(t *testing.T, before, s *state.State, index uint64) {
				if s.Node("n1") != nil {
					t.Errorf("Node(n1) still there")
				}
				wantUnassigned(t, s, key("a", 0), key("b", 0))
				wantStatus(t, s, key("a", 0), taskUnassigned, "", index)
				wantStatus(t, s, key("b", 0), taskUnassigned, "", index)
				if got := s.AssignmentsOf("n1"); len(got) != 0 {
					t.Errorf("AssignmentsOf(n1) = %v, want none", got)
				}
				if !proto.Equal(s.Assignment(key("a", 1)), before.Assignment(key("a", 1))) {
					t.Errorf("assignment of a-1 on n2 changed")
				}
				// The fenced task on the removed node can no longer write.
				if err := s.Apply(index+1, report(key("a", 0), baseEpoch, taskRunning, "n1", "")); state.CodeOf(err) != state.CodeStaleEpoch {
					t.Errorf("report from the removed node: err = %v, want stale_epoch", err)
				}
			},
		},
		{
			name:  "removing an idle node",
			setup: base(register("n3")),
			cmd:   removeNode("n3"),
			check: func(t *testing.T, before, s *state.State, _ uint64) {
				if s.Node("n3") != nil {
					t.Errorf("Node(n3) still there")
				}
				if got, want := len(s.Assignments()), len(before.Assignments()); got != want {
					t.Errorf("%d assignments, want %d", got, want)
				}
			},
		},
		{name: "not found", setup: base(), cmd: removeNode("n9"), code: state.CodeNotFound, msgs: []string{"n9"}},
	})
}

func TestApplySetAssignments(t *testing.T) {
	fresh := []*clusterv1.Command{register("n1", "file-source"), register("n2", "file-source"), put("a", 2)}
	runApplyCases(t, []applyCase{
		{
			name:  "assign: epoch is the index",
			setup: fresh,
			cmd:   assign(placement{key("a", 0), "n1"}, placement{key("a", 1), "n2"}),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				wantAssignment(t, s, key("a", 0), "n1", index, 1, 0)
				wantAssignment(t, s, key("a", 1), "n2", index, 1, 0)
				wantStatus(t, s, key("a", 0), taskUnassigned, "n1", index)
				wantStatus(t, s, key("a", 1), taskUnassigned, "n2", index)
				if got := s.AssignmentsOf("n2"); len(got) != 1 || got[0].Node != "n2" {
					t.Errorf("AssignmentsOf(n2) = %v, want a-1 alone", got)
				}
			},
		},
		{
			name:  "sticky: already on that node is a no-op",
			setup: base(report(key("a", 0), baseEpoch, taskRunning, "n1", "")),
			cmd:   assign(placement{key("a", 0), "n1"}),
			check: unchanged,
		},
		{
			name:  "move to another node",
			setup: base(report(key("a", 0), baseEpoch, taskRunning, "n1", "")),
			cmd:   assign(placement{key("a", 0), "n2"}),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				wantAssignment(t, s, key("a", 0), "n2", index, 1, 0)
				wantStatus(t, s, key("a", 0), taskUnassigned, "n2", index)
			},
		},
		{name: "missing connector is skipped", setup: fresh, cmd: assign(placement{key("zzz", 0), "n1"}), check: unchanged},
		{name: "task beyond the count is skipped", setup: fresh, cmd: assign(placement{key("a", 2), "n1"}), check: unchanged},
		{name: "negative task is skipped", setup: fresh, cmd: assign(placement{key("a", -1), "n1"}), check: unchanged},
		{name: "missing node is skipped", setup: fresh, cmd: assign(placement{key("a", 0), "n9"}), check: unchanged},
		{
			name:  "nil task is skipped",
			setup: fresh,
			cmd: &clusterv1.Command{Cmd: &clusterv1.Command_SetAssignments{SetAssignments: &clusterv1.SetAssignments{
				Assign: []*clusterv1.Assignment{{Node: "n1"}}, Unassign: []*clusterv1.TaskID{nil},
			}}},
			check: unchanged,
		},
		{
			name:  "stopped connector is skipped",
			setup: append(slices.Clone(fresh), target("a", stopped)),
			cmd:   assign(placement{key("a", 0), "n1"}),
			check: unchanged,
		},
		{
			name:  "paused connector is assigned",
			setup: append(slices.Clone(fresh), target("a", paused)),
			cmd:   assign(placement{key("a", 0), "n1"}),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				wantAssignment(t, s, key("a", 0), "n1", index, 1, 0)
			},
		},
		{
			name:  "skipped entries do not stop the rest",
			setup: fresh,
			cmd:   assign(placement{key("zzz", 0), "n1"}, placement{key("a", 1), "n1"}, placement{key("a", 0), "n9"}),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				wantAssignment(t, s, key("a", 1), "n1", index, 1, 0)
				wantUnassigned(t, s, key("a", 0))
			},
		},
		{
			name:  "assignment carries the current generation",
			setup: append(slices.Clone(fresh), put("a", 2)),
			cmd:   assign(placement{key("a", 0), "n1"}),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				wantAssignment(t, s, key("a", 0), "n1", index, 2, 0)
			},
		},
		{
			name:  "unassign",
			setup: base(report(key("a", 0), baseEpoch, taskRunning, "n1", "")),
			cmd:   unassign(key("a", 0)),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				wantUnassigned(t, s, key("a", 0))
				wantStatus(t, s, key("a", 0), taskUnassigned, "", index)
			},
		},
		{name: "unassign of an unassigned task is a no-op", setup: fresh, cmd: unassign(key("a", 0), key("zzz", 3)), check: unchanged},
		{
			name:  "unassign then assign in one command gives a new epoch",
			setup: base(),
			cmd: func() *clusterv1.Command {
				c := assign(placement{key("a", 0), "n1"})
				c.GetSetAssignments().Unassign = []*clusterv1.TaskID{key("a", 0).ID()}
				return c
			}(),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				wantAssignment(t, s, key("a", 0), "n1", index, 1, 0)
			},
		},
		{
			name:  "a move resets restarts",
			setup: base(restart("", key("a", 0))),
			cmd:   assign(placement{key("a", 0), "n2"}),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				wantAssignment(t, s, key("a", 0), "n2", index, 1, 0)
			},
		},
	})
}

func TestApplyReportTaskStatus(t *testing.T) {
	runApplyCases(t, []applyCase{
		{
			name:  "current epoch is accepted",
			setup: base(),
			cmd:   report(key("a", 0), baseEpoch, taskFailed, "n1", "java.lang.Boom"),
			check: func(t *testing.T, _, s *state.State, _ uint64) {
				want := &clusterv1.TaskStatus{Task: key("a", 0).ID(), State: taskFailed, WorkerId: "n1", Trace: "java.lang.Boom", Epoch: baseEpoch}
				if got := s.TaskStatus(key("a", 0)); !proto.Equal(got, want) {
					t.Errorf("TaskStatus(a-0) = %v, want %v", got, want)
				}
			},
		},
		{
			name:  "stale epoch is refused",
			setup: base(restart("", key("a", 0))),
			cmd:   report(key("a", 0), baseEpoch, taskRunning, "n1", ""),
			code:  state.CodeStaleEpoch,
			msgs:  []string{"a-0", "stale", "current is 6"},
		},
		{
			name:  "future epoch is refused",
			setup: base(),
			cmd:   report(key("a", 0), baseEpoch+1, taskRunning, "n1", ""),
			code:  state.CodeStaleEpoch,
		},
		{
			name:  "unassigned task is refused",
			setup: base(unassign(key("a", 0))),
			cmd:   report(key("a", 0), baseEpoch, taskRunning, "n1", ""),
			code:  state.CodeStaleEpoch,
			msgs:  []string{"a-0", "not assigned"},
		},
		{
			name:  "unknown task is refused",
			setup: base(),
			cmd:   report(key("zzz", 0), 0, taskRunning, "n1", ""),
			code:  state.CodeStaleEpoch,
		},
		{
			name:  "nil status is refused",
			setup: base(),
			cmd:   &clusterv1.Command{Cmd: &clusterv1.Command_ReportTaskStatus{ReportTaskStatus: &clusterv1.ReportTaskStatus{}}},
			code:  state.CodeStaleEpoch,
		},
	})
}

func TestApplyCommitOffsets(t *testing.T) {
	runApplyCases(t, []applyCase{
		{
			name:  "current epochs are applied",
			setup: base(commit(srcOffsets(key("a", 0), baseEpoch, `{"file":"x"}`, "10", `{"file":"y"}`, "1"))),
			cmd: commit(
				srcOffsets(key("a", 0), baseEpoch, `{"file":"x"}`, "20"),
				srcOffsets(key("a", 1), baseEpoch, `{"file":"z"}`, "5"),
				sinkOffsets(key("b", 0), baseEpoch, "orders", 100, 200),
			),
			check: func(t *testing.T, _, s *state.State, _ uint64) {
				wantSrc := map[string]string{`{"file":"x"}`: "20", `{"file":"y"}`: "1", `{"file":"z"}`: "5"}
				if got := sourceMap(s, "a"); !mapsEqual(got, wantSrc) {
					t.Errorf("source offsets of a = %v, want %v", got, wantSrc)
				}
				wantSink := map[state.TopicPartition]int64{{Topic: "orders", Partition: 0}: 100, {Topic: "orders", Partition: 1}: 200}
				if got := sinkMap(s, "b"); !mapsEqual(got, wantSink) {
					t.Errorf("sink offsets of b = %v, want %v", got, wantSink)
				}
			},
		},
		{
			name:  "partial: current tasks applied, stale ones refused and listed",
			setup: base(restart("", key("a", 1)), unassign(key("b", 0))),
			cmd: commit(
				srcOffsets(key("a", 0), baseEpoch, "p0", "ok"),
				srcOffsets(key("a", 1), baseEpoch, "p1", "zombie"),
				sinkOffsets(key("b", 0), baseEpoch, "t", 99),
			),
			code:    state.CodeStaleEpoch,
			msgs:    []string{"a-1", "b-0", "offsets refused"},
			partial: true,
			check: func(t *testing.T, before, s *state.State, _ uint64) {
				if got := sourceMap(s, "a"); !mapsEqual(got, map[string]string{"p0": "ok"}) {
					t.Errorf("source offsets of a = %v, want only p0=ok", got)
				}
				if got := s.SinkOffsets("b"); len(got) != 0 {
					t.Errorf("sink offsets of b = %v, want none", got)
				}
				// Nothing but a's offsets changed.
				want := withoutIndex(before.Snapshot())
				got := withoutIndex(s.Snapshot())
				got.Offsets, want.Offsets = nil, nil
				if d := diffSnapshots(got, want); d != "" {
					t.Errorf("partial commit changed more than offsets:\n%s", d)
				}
			},
		},
		{
			name:  "all stale changes nothing",
			setup: base(commit(srcOffsets(key("a", 0), baseEpoch, "p", "1")), restart("", key("a", 0))),
			cmd:   commit(srcOffsets(key("a", 0), baseEpoch, "p", "2"), sinkOffsets(key("zzz", 0), 3, "t", 1)),
			code:  state.CodeStaleEpoch,
			msgs:  []string{"a-0", "zzz-0"},
		},
		{
			name:  "stopped connector's task is refused",
			setup: base(target("a", stopped)),
			cmd:   commit(srcOffsets(key("a", 0), baseEpoch, "p", "1")),
			code:  state.CodeStaleEpoch,
		},
		{name: "empty commit", setup: base(), cmd: commit(), check: unchanged},
	})
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestApplyRestartTasks(t *testing.T) {
	runApplyCases(t, []applyCase{
		{
			name:  "restart one task in place",
			setup: base(report(key("a", 0), baseEpoch, taskRunning, "n1", "")),
			cmd:   restart("", key("a", 0)),
			check: func(t *testing.T, before, s *state.State, index uint64) {
				wantAssignment(t, s, key("a", 0), "n1", index, 1, 1)
				wantStatus(t, s, key("a", 0), taskRestarting, "n1", index)
				if got := s.Connector("a").RestartCount; got != 0 {
					t.Errorf("restart_count = %d, want 0 (no connector named)", got)
				}
				if !proto.Equal(s.Assignment(key("a", 1)), before.Assignment(key("a", 1))) {
					t.Errorf("assignment of a-1 changed")
				}
			},
		},
		{
			name:  "restarts accumulate",
			setup: base(restart("", key("a", 0)), restart("", key("a", 0))),
			cmd:   restart("", key("a", 0)),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				wantAssignment(t, s, key("a", 0), "n1", index, 1, 3)
			},
		},
		{
			name:  "connector and its tasks",
			setup: base(),
			cmd:   restart("a", key("a", 0), key("a", 1)),
			check: func(t *testing.T, _, s *state.State, index uint64) {
				if got := s.Connector("a").RestartCount; got != 1 {
					t.Errorf("restart_count = %d, want 1", got)
				}
				wantAssignment(t, s, key("a", 0), "n1", index, 1, 1)
				wantAssignment(t, s, key("a", 1), "n2", index, 1, 1)
			},
		},
		{
			name:  "connector alone",
			setup: base(),
			cmd:   restart("a"),
			check: func(t *testing.T, before, s *state.State, _ uint64) {
				if got := s.Connector("a").RestartCount; got != 1 {
					t.Errorf("restart_count = %d, want 1", got)
				}
				if got := s.Connector("a").Generation; got != 1 {
					t.Errorf("generation = %d, want 1", got)
				}
				if !proto.Equal(s.Assignment(key("a", 0)), before.Assignment(key("a", 0))) {
					t.Errorf("assignment of a-0 changed")
				}
			},
		},
		{
			name:  "unassigned and unknown tasks are skipped",
			setup: base(unassign(key("a", 1))),
			cmd:   restart("", key("a", 1), key("zzz", 0)),
			check: unchanged,
		},
		{
			name:  "connector not found",
			setup: base(),
			cmd:   restart("zzz", key("a", 0)),
			code:  state.CodeNotFound,
			msgs:  []string{"zzz"},
		},
	})
}

func TestApplyAlterOffsets(t *testing.T) {
	withOffsets := func(extra ...*clusterv1.Command) []*clusterv1.Command {
		return base(append([]*clusterv1.Command{
			commit(srcOffsets(key("a", 0), baseEpoch, "p1", "1", "p2", "2"), sinkOffsets(key("a", 1), baseEpoch, "t", 10, 20)),
		}, extra...)...)
	}
	runApplyCases(t, []applyCase{
		{
			name:  "running connector is refused",
			setup: withOffsets(),
			cmd:   alter("a", true, nil, nil),
			code:  state.CodeNotStopped,
			msgs:  []string{"a", "STOPPED", "RUNNING", "stop it"},
		},
		{
			name:  "paused connector is refused",
			setup: withOffsets(target("a", paused)),
			cmd:   alter("a", false, []*clusterv1.SourceOffset{so("p1", "9")}, nil),
			code:  state.CodeNotStopped,
			msgs:  []string{"PAUSED", "stop it"},
		},
		{name: "not found", setup: base(), cmd: alter("zzz", true, nil, nil), code: state.CodeNotFound, msgs: []string{"zzz"}},
		{
			name:  "reset clears every offset",
			setup: withOffsets(target("a", stopped)),
			cmd:   alter("a", true, nil, nil),
			check: func(t *testing.T, _, s *state.State, _ uint64) {
				if got := s.SourceOffsets("a"); got != nil {
					t.Errorf("SourceOffsets(a) = %v, want nil", got)
				}
				if got := s.SinkOffsets("a"); got != nil {
					t.Errorf("SinkOffsets(a) = %v, want nil", got)
				}
			},
		},
		{
			name:  "alter sets the named partitions and keeps the others",
			setup: withOffsets(target("a", stopped)),
			cmd:   alter("a", false, []*clusterv1.SourceOffset{so("p1", "100"), so("p3", "3")}, []*clusterv1.SinkOffset{sk("t", 0, 5), sk("u", 0, 1)}),
			check: func(t *testing.T, _, s *state.State, _ uint64) {
				if got, want := sourceMap(s, "a"), map[string]string{"p1": "100", "p2": "2", "p3": "3"}; !mapsEqual(got, want) {
					t.Errorf("source offsets = %v, want %v", got, want)
				}
				want := map[state.TopicPartition]int64{{Topic: "t", Partition: 0}: 5, {Topic: "t", Partition: 1}: 20, {Topic: "u", Partition: 0}: 1}
				if got := sinkMap(s, "a"); !mapsEqual(got, want) {
					t.Errorf("sink offsets = %v, want %v", got, want)
				}
			},
		},
		{
			name:  "a null offset deletes the partition",
			setup: withOffsets(target("a", stopped)),
			cmd:   alter("a", false, []*clusterv1.SourceOffset{so("p1", "null"), so("p2", "")}, []*clusterv1.SinkOffset{sk("t", 1, -1)}),
			check: func(t *testing.T, _, s *state.State, _ uint64) {
				if got := sourceMap(s, "a"); len(got) != 0 {
					t.Errorf("source offsets = %v, want none", got)
				}
				want := map[state.TopicPartition]int64{{Topic: "t", Partition: 0}: 10}
				if got := sinkMap(s, "a"); !mapsEqual(got, want) {
					t.Errorf("sink offsets = %v, want %v", got, want)
				}
			},
		},
		{
			name:  "alter a connector with no offsets yet",
			setup: base(target("b", stopped)),
			cmd:   alter("b", false, []*clusterv1.SourceOffset{so("p", "1")}, nil),
			check: func(t *testing.T, _, s *state.State, _ uint64) {
				if got := sourceMap(s, "b"); !mapsEqual(got, map[string]string{"p": "1"}) {
					t.Errorf("source offsets of b = %v, want p=1", got)
				}
			},
		},
	})
}

func TestApplyUnknownCommand(t *testing.T) {
	runApplyCases(t, []applyCase{
		{name: "empty command", setup: base(), cmd: &clusterv1.Command{}, code: state.CodeInvalid, msgs: []string{"unknown command"}},
		{name: "nil command", setup: base(), cmd: nil, code: state.CodeInvalid, msgs: []string{"unknown command"}},
	})
}

func TestApplyAlreadyAppliedIndex(t *testing.T) {
	for _, index := range []uint64{0, 1, baseEpoch} {
		s := build(t, base()...)
		before := s.Snapshot()
		for _, cmd := range []*clusterv1.Command{put("c", 1), del("a"), removeNode("n1"), &clusterv1.Command{}} {
			if err := s.Apply(index, cmd); err != nil {
				t.Errorf("Apply(%d, %v) on a state at %d = %v, want nil (a no-op)", index, cmd, baseEpoch, err)
			}
		}
		if d := diffSnapshots(s.Snapshot(), before); d != "" {
			t.Errorf("re-applying index %d changed the state:\n%s", index, d)
		}
	}
}

// TestApplyIndexGaps checks that indexes need not be contiguous (Raft skips entries that
// are not commands) and that epochs follow the index given.
func TestApplyIndexGaps(t *testing.T) {
	s := state.New()
	for _, step := range []struct {
		index uint64
		cmd   *clusterv1.Command
	}{
		{10, register("n1", "file-source")},
		{20, put("a", 1)},
		{35, assign(placement{key("a", 0), "n1"})},
	} {
		if err := s.Apply(step.index, step.cmd); err != nil {
			t.Fatalf("Apply(%d) = %v", step.index, err)
		}
	}
	wantAssignment(t, s, key("a", 0), "n1", 35, 1, 0)
	if c := s.Connector("a"); c.CreatedIndex != 20 {
		t.Errorf("created_index = %d, want 20", c.CreatedIndex)
	}
	if s.Index() != 35 {
		t.Errorf("Index() = %d, want 35", s.Index())
	}
}

func TestErrorMatching(t *testing.T) {
	err := error(&state.Error{Code: state.CodeStaleEpoch, Message: "x"})
	for _, tc := range []struct {
		sentinel error
		want     bool
	}{
		{state.ErrStaleEpoch, true},
		{state.ErrNotFound, false},
		{state.ErrInvalid, false},
		{state.ErrExists, false},
		{state.ErrNotStopped, false},
	} {
		if got := errors.Is(err, tc.sentinel); got != tc.want {
			t.Errorf("errors.Is(stale, %v) = %v, want %v", tc.sentinel.(*state.Error).Code, got, tc.want)
		}
	}
	wrapped := fmt.Errorf("apply: %w", err)
	if got := state.CodeOf(wrapped); got != state.CodeStaleEpoch {
		t.Errorf("CodeOf(wrapped) = %q, want stale_epoch", got)
	}
	if got := state.CodeOf(errors.New("other")); got != "" {
		t.Errorf("CodeOf(other) = %q, want empty", got)
	}
	if got := state.CodeOf(nil); got != "" {
		t.Errorf("CodeOf(nil) = %q, want empty", got)
	}
}
