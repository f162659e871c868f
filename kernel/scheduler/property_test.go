package scheduler_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/kernel/scheduler"
	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// cluster is a random cluster that changes between plans.
type cluster struct {
	t       *testing.T
	r       *rand.Rand
	s       *state.State
	live    map[string]bool
	plugins []string // the plugins nodes and connectors draw from
}

var (
	propNodes      = []string{"n1", "n2", "n3", "n4", "n5", "n6"}
	propConnectors = []string{"a", "b", "c", "d", "e", "f", "g"}
)

func newCluster(t *testing.T, seed uint64, plugins []string) *cluster {
	c := &cluster{t: t, r: rand.New(rand.NewPCG(seed, 0xba1a)), s: state.New(), live: map[string]bool{}, plugins: plugins}
	for range 1 + c.r.IntN(len(propNodes)) {
		c.registerNode()
	}
	for range c.r.IntN(len(propConnectors)) + 1 {
		c.putConnector()
	}
	c.scramble()
	return c
}

func (c *cluster) apply(cmd *clusterv1.Command) {
	c.t.Helper()
	mustApply(c.t, c.s, cmd)
}

func (c *cluster) pick(xs []string) string { return xs[c.r.IntN(len(xs))] }

func (c *cluster) registerNode() {
	id := c.pick(propNodes)
	var ps []string
	for _, p := range c.plugins {
		if len(c.plugins) == 1 || c.r.IntN(3) > 0 {
			ps = append(ps, p)
		}
	}
	c.apply(register(id, ps...))
	c.live[id] = c.r.IntN(5) > 0
}

func (c *cluster) putConnector() {
	name := c.pick(propConnectors)
	c.apply(putConnector(name, c.pick(c.plugins), c.r.IntN(7)))
	if c.r.IntN(8) == 0 {
		c.apply(target(name, stopped))
	}
}

// scramble places random tasks on random registered nodes, as an older plan or a leader
// with another view might have.
func (c *cluster) scramble() {
	nodes := c.s.Nodes()
	tasks := c.s.Tasks()
	if len(nodes) == 0 || len(tasks) == 0 {
		return
	}
	sa := &clusterv1.SetAssignments{}
	for range c.r.IntN(len(tasks) + 1) {
		k := tasks[c.r.IntN(len(tasks))]
		sa.Assign = append(sa.Assign, &clusterv1.Assignment{Task: k.ID(), Node: nodes[c.r.IntN(len(nodes))].Id})
	}
	c.apply(setAssignments(sa))
}

// change makes one random change to the cluster.
func (c *cluster) change() {
	switch c.r.IntN(9) {
	case 0:
		c.registerNode()
	case 1:
		if ns := c.s.Nodes(); len(ns) > 1 {
			c.apply(removeNode(ns[c.r.IntN(len(ns))].Id))
		}
	case 2, 3:
		id := c.pick(propNodes)
		c.live[id] = !c.live[id]
	case 4, 5:
		c.putConnector()
	case 6:
		if cs := c.s.Connectors(); len(cs) > 0 {
			name := cs[c.r.IntN(len(cs))].Name
			if c.r.IntN(2) == 0 {
				c.apply(del(name))
			} else {
				c.apply(target(name, clusterv1.TargetState(1+c.r.IntN(3))))
			}
		}
	case 7:
		c.scramble()
	default:
		// Liveness flaps without anything else changing.
		for _, id := range propNodes {
			if c.r.IntN(4) == 0 {
				c.live[id] = !c.live[id]
			}
		}
	}
}

// eligibleHolders returns, for every task now on a node that may still run it, that node.
func eligibleHolders(s *state.State, live map[string]bool) map[state.TaskKey]string {
	out := map[state.TaskKey]string{}
	for _, k := range s.Tasks() {
		if a := s.Assignment(k); a != nil && slices.Contains(eligibleNodes(s, live, k), a.Node) {
			out[k] = a.Node
		}
	}
	return out
}

// TestPlanProperties plans over random clusters, changing them between plans, and checks
// that the result is a full, balanced placement that re-planning leaves alone. When every
// node has every plugin it also checks that no more running tasks moved than balancing
// needs.
func TestPlanProperties(t *testing.T) {
	for _, variant := range []struct {
		name    string
		plugins []string
	}{
		{"one plugin", []string{"p1"}},
		{"three plugins", []string{"p1", "p2", "p3"}},
	} {
		t.Run(variant.name, func(t *testing.T) {
			for seed := range uint64(40) {
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					c := newCluster(t, seed, variant.plugins)
					for round := range 30 {
						holders := eligibleHolders(c.s, c.live)
						wantMoves := -1
						if len(variant.plugins) == 1 {
							wantMoves = minStickyMoves(c.s, c.live, holders)
						}
						plan := scheduler.Plan(c.s, c.live)
						if again := scheduler.Plan(c.s, c.live); !proto.Equal(plan, again) {
							t.Fatalf("round %d: Plan is not deterministic", round)
						}
						checkPlanShape(t, c.s, c.live, plan)
						if plan != nil {
							applyPlan(t, c.s, plan)
						}
						checkPlacement(t, c.s, c.live)
						if again := scheduler.Plan(c.s, c.live); again != nil {
							t.Errorf("round %d: re-planning gave %v, want nil", round, describe(again))
						}
						if wantMoves >= 0 {
							moved := 0
							for k, n := range holders {
								if a := c.s.Assignment(k); a == nil || a.Node != n {
									moved++
								}
							}
							if moved != wantMoves {
								t.Errorf("round %d: %d running tasks moved, want the minimum %d (plan %v)", round, moved, wantMoves, describe(plan))
							}
						}
						if t.Failed() {
							t.Fatalf("round %d failed; loads %s, live %v", round, formatLoads(loads(c.s)), c.live)
						}
						for range 1 + c.r.IntN(3) {
							c.change()
						}
					}
				})
			}
		})
	}
}

// checkPlanShape checks the command itself: sorted, no task twice, only eligible nodes, and
// every entry a change.
func checkPlanShape(t *testing.T, s *state.State, live map[string]bool, plan *clusterv1.SetAssignments) {
	t.Helper()
	if plan != nil && len(plan.Assign) == 0 && len(plan.Unassign) == 0 && len(plan.Handoff) == 0 {
		t.Errorf("Plan returned an empty command, want nil")
	}
	seen := map[state.TaskKey]bool{}
	var prev *state.TaskKey
	for _, a := range plan.GetAssign() {
		k := state.KeyOf(a.Task)
		if prev != nil && !less(*prev, k) {
			t.Errorf("assign list not sorted: %s after %s", k, *prev)
		}
		prev = &k
		if seen[k] {
			t.Errorf("task %s twice in the plan", k)
		}
		seen[k] = true
		if !slices.Contains(eligibleNodes(s, live, k), a.Node) {
			t.Errorf("plan puts %s on %s, which cannot run it", k, a.Node)
		}
		if cur := s.Assignment(k); cur != nil && cur.Node == a.Node {
			t.Errorf("plan assigns %s to %s, where it already is", k, a.Node)
		}
	}
	prev = nil
	for _, a := range plan.GetHandoff() {
		k := state.KeyOf(a.Task)
		if prev != nil && !less(*prev, k) {
			t.Errorf("handoff list not sorted: %s after %s", k, *prev)
		}
		prev = &k
		if seen[k] {
			t.Errorf("task %s twice in the plan", k)
		}
		seen[k] = true
		if !slices.Contains(eligibleNodes(s, live, k), a.Node) {
			t.Errorf("plan hands %s off to %s, which cannot run it", k, a.Node)
		}
		if cur := s.Assignment(k); cur == nil || cur.Node == a.Node || !slices.Contains(eligibleNodes(s, live, k), cur.Node) {
			t.Errorf("plan hands %s off from %v, which is not a live node that could drain it", k, cur)
		}
	}
	prev = nil
	for _, id := range plan.GetUnassign() {
		k := state.KeyOf(id)
		if prev != nil && !less(*prev, k) {
			t.Errorf("unassign list not sorted: %s after %s", k, *prev)
		}
		prev = &k
		if seen[k] {
			t.Errorf("task %s twice in the plan", k)
		}
		seen[k] = true
		if s.Assignment(k) == nil {
			t.Errorf("plan unassigns %s, which is not assigned", k)
		}
	}
}

func less(a, b state.TaskKey) bool {
	if a.Connector != b.Connector {
		return a.Connector < b.Connector
	}
	return a.Task < b.Task
}

// minStickyMoves is the fewest running tasks (those on a node that may still run them) that
// must move to balance the cluster when every node can run every task.
func minStickyMoves(s *state.State, live map[string]bool, holders map[state.TaskKey]string) int {
	var nodes []string
	for _, n := range s.Nodes() {
		if live[n.Id] {
			nodes = append(nodes, n.Id)
		}
	}
	if len(nodes) == 0 {
		return 0
	}
	l := map[string]int{}
	for _, n := range holders {
		l[n]++
	}
	var ls []int
	for _, n := range nodes {
		ls = append(ls, l[n])
	}
	slices.Sort(ls)
	slices.Reverse(ls)
	total := len(s.Tasks())
	moves := 0
	for i, load := range ls {
		share := total / len(ls)
		if i < total%len(ls) {
			share++
		}
		moves += max(0, load-share)
	}
	return moves
}
