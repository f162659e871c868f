package scheduler_test

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/kernel/scheduler"
	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

const (
	paused  = clusterv1.TargetState_TARGET_STATE_PAUSED
	stopped = clusterv1.TargetState_TARGET_STATE_STOPPED
)

// roundRobin6 is connector a with six tasks spread over n1, n2, n3.
func roundRobin6() []*clusterv1.Command {
	return []*clusterv1.Command{
		register("n1", "p1"), register("n2", "p1"), register("n3", "p1"),
		put("a", 6),
		assign("a-0=n1", "a-1=n2", "a-2=n3", "a-3=n1", "a-4=n2", "a-5=n3"),
	}
}

func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup []*clusterv1.Command
		live  []string
		want  []string // describe(plan); nil when the plan must be nil
	}{
		{name: "empty state", live: []string{"n1"}},
		{
			name:  "no live node",
			setup: []*clusterv1.Command{register("n1", "p1"), put("a", 2)},
		},
		{
			name:  "live ids that are not registered",
			setup: []*clusterv1.Command{put("a", 2)},
			live:  []string{"n1"},
		},
		{
			name:  "live but unregistered node is ignored",
			setup: []*clusterv1.Command{register("n1", "p1"), put("a", 2)},
			live:  []string{"n1", "n9"},
			want:  []string{"a-0=n1", "a-1=n1"},
		},
		{
			name:  "fresh placement is balanced",
			setup: []*clusterv1.Command{register("n1", "p1"), register("n2", "p1"), register("n3", "p1"), put("a", 6), put("b", 3)},
			live:  []string{"n1", "n2", "n3"},
			want:  []string{"a-0=n1", "a-1=n2", "a-2=n3", "a-3=n1", "a-4=n2", "a-5=n3", "b-0=n1", "b-1=n2", "b-2=n3"},
		},
		{
			name:  "fresh placement of an uneven count",
			setup: []*clusterv1.Command{register("n1", "p1"), register("n2", "p1"), put("a", 3)},
			live:  []string{"n1", "n2"},
			want:  []string{"a-0=n1", "a-1=n2", "a-2=n1"},
		},
		{
			name:  "nothing to do",
			setup: roundRobin6(),
			live:  []string{"n1", "n2", "n3"},
		},
		{
			name:  "balanced in any order is left alone",
			setup: []*clusterv1.Command{register("n1", "p1"), register("n2", "p1"), put("a", 3), assign("a-0=n2", "a-1=n2", "a-2=n1")},
			live:  []string{"n1", "n2"},
		},
		{
			name: "adding a connector moves no existing task",
			setup: []*clusterv1.Command{
				register("n1", "p1"), register("n2", "p1"), put("a", 3), assign("a-0=n1", "a-1=n2", "a-2=n1"),
				put("b", 3),
			},
			live: []string{"n1", "n2"},
			want: []string{"b-0=n2", "b-1=n1", "b-2=n2"},
		},
		{
			name: "growing a connector places only the new tasks",
			setup: append(roundRobin6(),
				put("a", 8)),
			live: []string{"n1", "n2", "n3"},
			want: []string{"a-6=n1", "a-7=n2"},
		},
		{
			name: "deleting a connector moves nothing while balanced",
			setup: []*clusterv1.Command{
				register("n1", "p1"), register("n2", "p1"), put("a", 2), put("b", 2),
				assign("a-0=n1", "a-1=n2", "b-0=n1", "b-1=n2"),
				del("b"),
			},
			live: []string{"n1", "n2"},
		},
		{
			name: "deleting a connector rebalances when the imbalance reaches two",
			setup: []*clusterv1.Command{
				register("n1", "p1"), register("n2", "p1"), put("a", 2), put("b", 2),
				assign("a-0=n1", "a-1=n1", "b-0=n2", "b-1=n2"),
				del("b"),
			},
			live: []string{"n1", "n2"},
			want: []string{"a-1~n2"},
		},
		{
			name: "stopping a connector rebalances like a delete",
			setup: []*clusterv1.Command{
				register("n1", "p1"), register("n2", "p1"), put("a", 3), put("b", 3),
				assign("a-0=n1", "a-1=n1", "a-2=n1", "b-0=n2", "b-1=n2", "b-2=n2"),
				target("b", stopped),
			},
			live: []string{"n1", "n2"},
			want: []string{"a-2~n2"},
		},
		{
			name:  "node death moves exactly that node's tasks",
			setup: roundRobin6(),
			live:  []string{"n1", "n3"},
			want:  []string{"a-1=n1", "a-4=n3"},
		},
		{
			name: "node death with no other eligible node unassigns its tasks",
			setup: []*clusterv1.Command{
				register("n1", "p1"), register("n2", "p2"),
				put("a", 2), putConnector("b", "p2", 1),
				assign("a-0=n1", "a-1=n1", "b-0=n2"),
			},
			live: []string{"n2"},
			want: []string{"-a-0", "-a-1"},
		},
		{
			name:  "every node dead unassigns everything",
			setup: roundRobin6(),
			want:  []string{"-a-0", "-a-1", "-a-2", "-a-3", "-a-4", "-a-5"},
		},
		{
			name:  "a removed node's tasks are placed again",
			setup: append(roundRobin6(), removeNode("n2")),
			live:  []string{"n1", "n2", "n3"},
			want:  []string{"a-1=n1", "a-4=n3"},
		},
		{
			name: "node join moves the minimum",
			setup: []*clusterv1.Command{
				register("n1", "p1"), register("n2", "p1"), register("n3", "p1"), put("a", 9),
				assign("a-0=n1", "a-1=n2", "a-2=n3", "a-3=n1", "a-4=n2", "a-5=n3", "a-6=n1", "a-7=n2", "a-8=n3"),
				register("n4", "p1"),
			},
			live: []string{"n1", "n2", "n3", "n4"},
			want: []string{"a-6~n4", "a-7~n4"},
		},
		{
			name: "a third node joining two takes one task of four",
			setup: []*clusterv1.Command{
				register("n1", "p1"), register("n2", "p1"), put("a", 4),
				assign("a-0=n1", "a-1=n2", "a-2=n1", "a-3=n2"),
				register("n3", "p1"),
			},
			live: []string{"n1", "n2", "n3"},
			want: []string{"a-2~n3"},
		},
		{
			name:  "a registered node that is not live yet gets nothing",
			setup: append(roundRobin6(), register("n4", "p1")),
			live:  []string{"n1", "n2", "n3"},
		},
		{
			name: "a joining node without the plugin gets nothing",
			setup: append(roundRobin6(),
				register("n4", "p2")),
			live: []string{"n1", "n2", "n3", "n4"},
		},
		{
			name: "plugin awareness",
			setup: []*clusterv1.Command{
				register("n1", "p1"), register("n2", "p2"), register("n3", "p1", "p2"),
				put("a", 2), putConnector("b", "p2", 2),
			},
			live: []string{"n1", "n2", "n3"},
			want: []string{"a-0=n1", "a-1=n3", "b-0=n2", "b-1=n2"},
		},
		{
			name: "a node's plugin list holds names and aliases",
			setup: []*clusterv1.Command{
				register("n1", "org.apache.kafka.connect.file.FileStreamSourceConnector", "file-source"),
				register("n2", "http-sink"),
				putConnector("a", "file-source", 2),
			},
			live: []string{"n1", "n2"},
			want: []string{"a-0=n1", "a-1=n1"},
		},
		{
			name:  "no node has the plugin",
			setup: []*clusterv1.Command{register("n1", "p1"), putConnector("a", "p9", 2)},
			live:  []string{"n1"},
		},
		{
			name: "a node that loses the plugin gives up its tasks",
			setup: []*clusterv1.Command{
				register("n1", "p1"), register("n2", "p1"), put("a", 2), assign("a-0=n1", "a-1=n2"),
				register("n2", "p2"),
			},
			live: []string{"n1", "n2"},
			want: []string{"a-1=n1"},
		},
		{
			name: "a task on a node without its plugin moves even when nothing is dead",
			setup: []*clusterv1.Command{
				register("n1", "p1"), register("n2", "p2"), put("a", 1), assign("a-0=n2"),
			},
			live: []string{"n1", "n2"},
			want: []string{"a-0=n1"},
		},
		{
			name: "stopped connectors are not placed, paused ones are",
			setup: []*clusterv1.Command{
				register("n1", "p1"), put("a", 1), put("b", 1), target("a", stopped), target("b", paused),
			},
			live: []string{"n1"},
			want: []string{"b-0=n1"},
		},
		{
			name: "balance respects plugins",
			setup: []*clusterv1.Command{
				register("n1", "p1"), register("n2", "p1", "p2"),
				put("a", 2), putConnector("b", "p2", 4),
			},
			live: []string{"n1", "n2"},
			want: []string{"a-0=n1", "a-1=n1", "b-0=n2", "b-1=n2", "b-2=n2", "b-3=n2"},
		},
		{
			name: "load counts tasks of every connector",
			setup: []*clusterv1.Command{
				register("n1", "p1", "p2"), register("n2", "p1", "p2"),
				putConnector("a", "p2", 2), assign("a-0=n1", "a-1=n1"),
				put("b", 2),
			},
			live: []string{"n1", "n2"},
			want: []string{"b-0=n2", "b-1=n2"},
		},
		{
			name: "balancing moves a task it just placed before a running one",
			setup: []*clusterv1.Command{
				register("n1", "p1", "p2"), register("n2", "p1"),
				put("y", 2), put("z", 1), assign("y-0=n2", "y-1=n2", "z-0=n1"),
				put("a", 1), putConnector("b", "p2", 2),
			},
			live: []string{"n1", "n2"},
			want: []string{"a-0=n2", "b-0=n1", "b-1=n1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := build(t, tc.setup...)
			live := liveSet(tc.live...)
			plan := scheduler.Plan(s, live)
			got := describe(plan)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Plan = %v\nwant   %v", got, tc.want)
			}
			if tc.want == nil && plan != nil {
				t.Fatalf("Plan = %v (empty), want nil", plan)
			}
			if again := scheduler.Plan(s, live); !proto.Equal(again, plan) {
				t.Fatalf("Plan is not deterministic: %v, then %v", plan, again)
			}
			if plan != nil {
				mustApply(t, s, setAssignments(plan))
			}
			// A handoff under way is left alone: planning again changes nothing.
			if again := scheduler.Plan(s, live); again != nil {
				t.Errorf("after applying the plan, Plan = %v, want nil", describe(again))
			}
			if plan != nil {
				applyPlan(t, s, plan) // the handoffs released, as their nodes do
			}
			checkPlacement(t, s, live)
			if again := scheduler.Plan(s, live); again != nil {
				t.Errorf("after the handoffs were released, Plan = %v, want nil", describe(again))
			}
		})
	}
}

// TestPlanDropsAssignmentsOfGoneTasks restores a state holding assignments the state machine
// itself would have dropped and checks the plan unassigns them.
func TestPlanDropsAssignmentsOfGoneTasks(t *testing.T) {
	s := state.Restore(&clusterv1.Snapshot{
		Index: 10,
		Connectors: []*clusterv1.Connector{
			{Name: "a", Plugin: "p1", Type: clusterv1.ConnectorType_CONNECTOR_TYPE_SOURCE, Generation: 1, CreatedIndex: 1,
				TargetState: clusterv1.TargetState_TARGET_STATE_RUNNING, Tasks: []*clusterv1.TaskConfig{{}}},
			{Name: "s", Plugin: "p1", Type: clusterv1.ConnectorType_CONNECTOR_TYPE_SOURCE, Generation: 1, CreatedIndex: 2,
				TargetState: stopped, Tasks: []*clusterv1.TaskConfig{{}}},
		},
		Nodes: []*clusterv1.Node{{Id: "n1", Plugins: []string{"p1"}}},
		Assignments: []*clusterv1.Assignment{
			{Task: key("a", 0).ID(), Node: "n1", Epoch: 5, Generation: 1},
			{Task: key("a", 5).ID(), Node: "n1", Epoch: 5, Generation: 1},
			{Task: key("s", 0).ID(), Node: "n1", Epoch: 5, Generation: 1},
			{Task: key("zz", 0).ID(), Node: "n1", Epoch: 5, Generation: 1},
		},
	})
	live := liveSet("n1")
	got := describe(scheduler.Plan(s, live))
	if want := []string{"-a-5", "-s-0", "-zz-0"}; !slices.Equal(got, want) {
		t.Fatalf("Plan = %v, want %v", got, want)
	}
}

// TestPlanScenario walks one cluster (every node has every plugin) through a series of
// changes, checking after each that the plan moved as few running tasks as possible.
func TestPlanScenario(t *testing.T) {
	s := build(t, register("n1", "p1"), register("n2", "p1"), put("a", 4), put("b", 2))
	live := liveSet("n1", "n2")
	// step plans and applies; dead is how many running tasks sat on dead nodes.
	step := func(name string, dead int) {
		t.Helper()
		before := layout(s)
		want := dead
		if dead == 0 {
			want = minStickyMoves(s, live, eligibleHolders(s, live))
		}
		plan := scheduler.Plan(s, live)
		if plan != nil {
			applyPlan(t, s, plan)
		}
		checkPlacement(t, s, live)
		moved := 0
		for k, n := range before {
			if a := s.Assignment(k); a != nil && a.Node != n {
				moved++
			}
		}
		t.Logf("%s: plan %v, loads %s", name, describe(plan), formatLoads(loads(s)))
		if moved != want {
			t.Errorf("%s: %d running tasks moved, want %d (plan %v)", name, moved, want, describe(plan))
		}
		if again := scheduler.Plan(s, live); again != nil {
			t.Errorf("%s: plan not idempotent: %v", name, describe(again))
		}
	}
	step("initial", 0)
	mustApply(t, s, register("n3", "p1"))
	live["n3"] = true
	step("n3 joins", 0)
	mustApply(t, s, put("c", 3))
	step("c added", 0)
	delete(live, "n2")
	step("n2 dies", 3) // its three tasks, and nothing else
	live["n2"] = true
	step("n2 returns", 0)
	mustApply(t, s, del("c"))
	step("c deleted", 0)
	mustApply(t, s, put("a", 1))
	step("a shrinks", 0)
	mustApply(t, s, put("d", 7))
	step("d added", 0)
	mustApply(t, s, register("n4", "p1"))
	mustApply(t, s, register("n5", "p1"))
	live["n4"], live["n5"] = true, true
	step("n4 and n5 join", 0)
}
