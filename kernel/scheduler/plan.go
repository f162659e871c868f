package scheduler

import (
	"cmp"
	"slices"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// Plan returns the assignment changes that place every task of s.Tasks() on a live node that
// has its connector's plugin, or nil when nothing needs to change.
//
// live holds the ids of the nodes with a live lease; a node is eligible for a task when it is
// registered in s, live, and lists the connector's plugin among its Node.plugins. Plan is
// sticky: a task whose node is still eligible stays there unless balancing moves it. A task
// that is unassigned, or whose node is dead or can no longer run it, goes to the eligible node
// with the fewest tasks (ties broken by node id), or is left unassigned (and unassigned, if
// it was placed) when no node is eligible. Then, while a node holds at least two tasks more
// than an eligible node that could take one of them, one task moves from the most loaded such
// node to the least loaded node that can take it: a task this plan has just placed if there
// is one (it is not running yet, so moving it costs nothing), otherwise the highest task
// key. Load counts every task on a node, across all connectors.
//
// The result is deterministic: the same state and live set give the same command, with both
// lists sorted by task. Assignments of tasks that no longer exist are dropped. Applying the
// result and planning again returns nil.
//
// A move off a node that is live and could still run the task is a handoff, not an
// assign: the task stays on its node under its epoch, with handoff_to set, while that node
// drains it and commits its final offsets, and moves when the node releases it (so a
// planned move duplicates nothing). A handoff in progress to the planned node is left
// alone; one to another node, or one overdue says has waited too long, becomes an assign,
// which moves the task at once and fences the old owner. overdue may be nil.
func Plan(s *state.State, live map[string]bool) *clusterv1.SetAssignments {
	return PlanWith(s, live, nil)
}

// PlanWith is Plan with the handoffs overdue reports true for forced into assigns.
func PlanWith(s *state.State, live map[string]bool, overdue func(state.TaskKey) bool) *clusterv1.SetAssignments {
	p := newPlanner(s, live)
	p.overdue = overdue
	p.keep()
	p.place()
	p.balance()
	return p.result()
}

type planner struct {
	s        *state.State
	tasks    []state.TaskKey            // runnable tasks, sorted
	plugin   map[string]string          // connector → plugin, for the connectors of tasks
	nodes    []string                   // registered, live nodes, sorted
	load     map[string]int             // node in nodes → tasks planned on it
	eligible map[string][]string        // plugin → nodes in nodes that have it, sorted
	where    map[state.TaskKey]string   // task → planned node; absent: left unassigned
	drop     map[state.TaskKey]struct{} // assigned tasks that must be unassigned
	overdue  func(state.TaskKey) bool   // handoffs that have waited too long; nil: none
}

func newPlanner(s *state.State, live map[string]bool) *planner {
	p := &planner{
		s:        s,
		tasks:    s.Tasks(),
		plugin:   map[string]string{},
		load:     map[string]int{},
		eligible: map[string][]string{},
		where:    map[state.TaskKey]string{},
		drop:     map[state.TaskKey]struct{}{},
	}
	has := map[string]map[string]bool{} // node → plugins it has
	for _, n := range s.Nodes() {
		if !live[n.Id] {
			continue
		}
		p.nodes = append(p.nodes, n.Id)
		p.load[n.Id] = 0
		has[n.Id] = map[string]bool{}
		for _, pl := range n.Plugins {
			has[n.Id][pl] = true
		}
	}
	for _, k := range p.tasks {
		if _, ok := p.plugin[k.Connector]; ok {
			continue
		}
		pl := s.Connector(k.Connector).Plugin
		p.plugin[k.Connector] = pl
		if _, ok := p.eligible[pl]; ok {
			continue
		}
		var ns []string
		for _, n := range p.nodes {
			if has[n][pl] {
				ns = append(ns, n)
			}
		}
		p.eligible[pl] = ns
	}
	return p
}

// candidates returns the nodes that may run task k, sorted by id.
func (p *planner) candidates(k state.TaskKey) []string { return p.eligible[p.plugin[k.Connector]] }

// keep leaves every task whose node is still eligible where it is, and marks for dropping the
// assignments of tasks that are not runnable any more.
func (p *planner) keep() {
	runnable := make(map[state.TaskKey]bool, len(p.tasks))
	for _, k := range p.tasks {
		runnable[k] = true
		a := p.s.Assignment(k)
		if a == nil {
			continue
		}
		if slices.Contains(p.candidates(k), a.Node) {
			p.assign(k, a.Node)
		}
	}
	// The state drops assignments when it drops tasks; this only guards against a state that
	// did not.
	for _, a := range p.s.Assignments() {
		if k := state.KeyOf(a.Task); !runnable[k] {
			p.drop[k] = struct{}{}
		}
	}
}

// place puts every task that has no eligible node yet on the least loaded eligible one.
func (p *planner) place() {
	for _, k := range p.tasks {
		if _, ok := p.where[k]; ok {
			continue
		}
		if n := p.leastLoaded(p.candidates(k)); n != "" {
			p.assign(k, n)
		} else if p.s.Assignment(k) != nil {
			p.drop[k] = struct{}{}
		}
	}
}

// balance moves one task at a time from a node to an eligible node with at least two fewer
// tasks, until there is no such pair. Every move lowers the sum of the squared loads, so it
// ends, and it moves no more tasks than it must to even out the nodes that can share work.
func (p *planner) balance() {
	for {
		order := slices.Clone(p.nodes)
		slices.SortFunc(order, func(a, b string) int {
			return cmp.Or(cmp.Compare(p.load[b], p.load[a]), cmp.Compare(a, b))
		})
		if len(order) < 2 || p.load[order[0]]-p.load[order[len(order)-1]] < 2 {
			return
		}
		minLoad := p.load[order[len(order)-1]]
		on := map[string][]state.TaskKey{} // node → its planned tasks, sorted
		for _, k := range p.tasks {
			if n, ok := p.where[k]; ok {
				on[n] = append(on[n], k)
			}
		}
		moved := false
		for _, src := range order {
			if p.load[src]-minLoad < 2 {
				break
			}
			if k, dst, ok := p.pickMove(src, on[src]); ok {
				p.unplace(k)
				p.assign(k, dst)
				moved = true
				break
			}
		}
		if !moved {
			return
		}
	}
}

// pickMove chooses the task to move off src and where to: among src's tasks that have an
// eligible node with at least two fewer tasks, one src has not been running yet, else the
// highest key; it goes to the least loaded eligible node.
func (p *planner) pickMove(src string, tasks []state.TaskKey) (state.TaskKey, string, bool) {
	dstOf := map[string]string{} // plugin → least loaded eligible node, or "" when none fits
	var (
		best    state.TaskKey
		bestDst string
		found   bool
	)
	for i := len(tasks) - 1; i >= 0; i-- {
		k := tasks[i]
		pl := p.plugin[k.Connector]
		dst, ok := dstOf[pl]
		if !ok {
			dst = p.leastLoaded(p.eligible[pl])
			if dst != "" && p.load[src]-p.load[dst] < 2 {
				dst = ""
			}
			dstOf[pl] = dst
		}
		if dst == "" {
			continue
		}
		if a := p.s.Assignment(k); a == nil || a.Node != src {
			return k, dst, true // placed by this plan: moving it restarts nothing
		}
		if !found {
			best, bestDst, found = k, dst, true
		}
	}
	return best, bestDst, found
}

// leastLoaded returns the node of ns with the fewest planned tasks, the first by id on a tie,
// or "" when ns is empty. ns is sorted.
func (p *planner) leastLoaded(ns []string) string {
	best := ""
	for _, n := range ns {
		if best == "" || p.load[n] < p.load[best] {
			best = n
		}
	}
	return best
}

func (p *planner) assign(k state.TaskKey, n string) {
	p.where[k] = n
	p.load[n]++
}

func (p *planner) unplace(k state.TaskKey) {
	p.load[p.where[k]]--
	delete(p.where, k)
}

// result turns the plan into the command that gets there from the current assignments.
func (p *planner) result() *clusterv1.SetAssignments {
	out := &clusterv1.SetAssignments{}
	for _, k := range p.tasks {
		n, ok := p.where[k]
		if !ok {
			continue
		}
		a := p.s.Assignment(k)
		late := p.overdue != nil && p.overdue(k)
		switch {
		case a == nil:
			out.Assign = append(out.Assign, &clusterv1.Assignment{Task: k.ID(), Node: n})
		case a.Node == n:
			if a.HandoffTo != "" { // called off: it stays
				out.Assign = append(out.Assign, &clusterv1.Assignment{Task: k.ID(), Node: n})
			}
		case a.HandoffTo == n && !late:
			// under way: the node is draining it
		case !late && slices.Contains(p.candidates(k), a.Node):
			out.Handoff = append(out.Handoff, &clusterv1.Assignment{Task: k.ID(), Node: n})
		default:
			out.Assign = append(out.Assign, &clusterv1.Assignment{Task: k.ID(), Node: n})
		}
	}
	drop := make([]state.TaskKey, 0, len(p.drop))
	for k := range p.drop {
		drop = append(drop, k)
	}
	slices.SortFunc(drop, compareKeys)
	for _, k := range drop {
		out.Unassign = append(out.Unassign, k.ID())
	}
	if len(out.Assign) == 0 && len(out.Unassign) == 0 && len(out.Handoff) == 0 {
		return nil
	}
	return out
}

func compareKeys(a, b state.TaskKey) int {
	return cmp.Or(cmp.Compare(a.Connector, b.Connector), cmp.Compare(a.Task, b.Task))
}
