package scheduler_test

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

func key(connector string, task int32) state.TaskKey {
	return state.TaskKey{Connector: connector, Task: task}
}

func register(id string, plugins ...string) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_RegisterNode{RegisterNode: &clusterv1.RegisterNode{
		Node: &clusterv1.Node{Id: id, Plugins: plugins},
	}}}
}

func removeNode(id string) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_RemoveNode{RemoveNode: &clusterv1.RemoveNode{Id: id}}}
}

func putConnector(name, plugin string, tasks int) *clusterv1.Command {
	c := &clusterv1.Connector{Name: name, Plugin: plugin, Type: clusterv1.ConnectorType_CONNECTOR_TYPE_SOURCE}
	for range tasks {
		c.Tasks = append(c.Tasks, &clusterv1.TaskConfig{})
	}
	return &clusterv1.Command{Cmd: &clusterv1.Command_PutConnector{PutConnector: &clusterv1.PutConnector{Connector: c}}}
}

func put(name string, tasks int) *clusterv1.Command { return putConnector(name, "p1", tasks) }

func del(name string) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_DeleteConnector{DeleteConnector: &clusterv1.DeleteConnector{Name: name}}}
}

func target(name string, ts clusterv1.TargetState) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_SetTargetState{SetTargetState: &clusterv1.SetTargetState{Name: name, TargetState: ts}}}
}

// assign places tasks, written "a-0=n1".
func assign(places ...string) *clusterv1.Command {
	sa := &clusterv1.SetAssignments{}
	for _, p := range places {
		k, node := parsePlace(p)
		sa.Assign = append(sa.Assign, &clusterv1.Assignment{Task: k.ID(), Node: node})
	}
	return &clusterv1.Command{Cmd: &clusterv1.Command_SetAssignments{SetAssignments: sa}}
}

func parsePlace(p string) (state.TaskKey, string) {
	task, node, _ := strings.Cut(p, "=")
	i := strings.LastIndexByte(task, '-')
	n, err := strconv.Atoi(task[i+1:])
	if err != nil {
		panic(fmt.Sprintf("bad placement %q", p))
	}
	return key(task[:i], int32(n)), node
}

func setAssignments(sa *clusterv1.SetAssignments) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_SetAssignments{SetAssignments: sa}}
}

// build applies cmds to a new state; every one must be accepted.
func build(t *testing.T, cmds ...*clusterv1.Command) *state.State {
	t.Helper()
	s := state.New()
	for _, c := range cmds {
		mustApply(t, s, c)
	}
	return s
}

func mustApply(t *testing.T, s *state.State, cmd *clusterv1.Command) {
	t.Helper()
	if err := s.Apply(s.Index()+1, cmd); err != nil {
		t.Fatalf("Apply(%v) = %v", cmd, err)
	}
}

func liveSet(ids ...string) map[string]bool {
	m := map[string]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// describe writes a plan as sorted "a-0=n1" entries and "-a-0" for unassignments.
func describe(sa *clusterv1.SetAssignments) []string {
	var out []string
	for _, a := range sa.GetAssign() {
		out = append(out, fmt.Sprintf("%s=%s", state.KeyOf(a.Task), a.Node))
	}
	for _, a := range sa.GetHandoff() {
		out = append(out, fmt.Sprintf("%s~%s", state.KeyOf(a.Task), a.Node))
	}
	for _, id := range sa.GetUnassign() {
		out = append(out, "-"+state.KeyOf(id).String())
	}
	return out
}

// applyPlan applies plan and then releases its handoffs, as the nodes draining those
// tasks do once they have committed: the placement the plan leads to.
func applyPlan(t *testing.T, s *state.State, plan *clusterv1.SetAssignments) {
	t.Helper()
	mustApply(t, s, setAssignments(plan))
	for _, a := range s.Assignments() {
		if a.HandoffTo != "" {
			mustApply(t, s, &clusterv1.Command{Cmd: &clusterv1.Command_ReleaseTask{ReleaseTask: &clusterv1.ReleaseTask{Task: a.Task, Epoch: a.Epoch}}})
		}
	}
}

// layout returns where every assigned task is.
func layout(s *state.State) map[state.TaskKey]string {
	out := map[state.TaskKey]string{}
	for _, a := range s.Assignments() {
		out[state.KeyOf(a.Task)] = a.Node
	}
	return out
}

// loads counts the assigned tasks per node.
func loads(s *state.State) map[string]int {
	out := map[string]int{}
	for _, a := range s.Assignments() {
		out[a.Node]++
	}
	return out
}

func formatLoads(l map[string]int) string {
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(l)) {
		parts = append(parts, fmt.Sprintf("%s:%d", n, l[n]))
	}
	return strings.Join(parts, " ")
}

// eligibleNodes returns the nodes that may run task k: registered, live, with the plugin.
func eligibleNodes(s *state.State, live map[string]bool, k state.TaskKey) []string {
	plugin := s.Connector(k.Connector).Plugin
	var out []string
	for _, n := range s.Nodes() {
		if live[n.Id] && slices.Contains(n.Plugins, plugin) {
			out = append(out, n.Id)
		}
	}
	return out
}

// checkPlacement fails unless s is a placement Plan should be content with: every runnable
// task that has an eligible node is on one, no other task is assigned, and no task sits on
// a node with two tasks more than another node that could run it.
func checkPlacement(t *testing.T, s *state.State, live map[string]bool) {
	t.Helper()
	l := loads(s)
	runnable := map[state.TaskKey]bool{}
	for _, k := range s.Tasks() {
		runnable[k] = true
		el := eligibleNodes(s, live, k)
		a := s.Assignment(k)
		switch {
		case len(el) == 0 && a != nil:
			t.Errorf("task %s has no eligible node but is assigned to %s", k, a.Node)
		case len(el) == 0:
		case a == nil:
			t.Errorf("task %s is unassigned, eligible nodes %v", k, el)
		case !slices.Contains(el, a.Node):
			t.Errorf("task %s is on %s, not one of its eligible nodes %v", k, a.Node, el)
		default:
			for _, n := range el {
				if l[a.Node]-l[n] > 1 {
					t.Errorf("task %s is on %s (%d tasks) but %s could run it with %d (loads %s)",
						k, a.Node, l[a.Node], n, l[n], formatLoads(l))
				}
			}
		}
	}
	for _, a := range s.Assignments() {
		if k := state.KeyOf(a.Task); !runnable[k] {
			t.Errorf("task %s is assigned to %s but is not runnable", k, a.Node)
		}
	}
}
