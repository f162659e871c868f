package state_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// cmdGen makes a seeded, deterministic stream of commands over a small universe of names,
// so that commands collide: most are accepted, many are refused, none is trivial.
type cmdGen struct{ r *rand.Rand }

func newCmdGen(seed uint64) *cmdGen { return &cmdGen{r: rand.New(rand.NewPCG(seed, seed^0x5eed))} }

var (
	genConnectors = []string{"a", "b", "c"}
	genNodes      = []string{"n1", "n2", "n3"}
	genPlugins    = []string{"p1", "p2", "p3"}
	genTargets    = []clusterv1.TargetState{running, paused, stopped, clusterv1.TargetState_TARGET_STATE_UNSPECIFIED}
)

func (g *cmdGen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }
func (g *cmdGen) chance(n int) bool       { return g.r.IntN(n) == 0 }

// task is usually a runnable task of s, sometimes any task name, in range or not.
func (g *cmdGen) task(s *state.State) state.TaskKey {
	if ts := s.Tasks(); len(ts) > 0 && !g.chance(4) {
		return ts[g.r.IntN(len(ts))]
	}
	return key(g.pick(genConnectors), int32(g.r.IntN(6))-1)
}

// epoch is usually the task's current epoch, sometimes any epoch up to the index.
func (g *cmdGen) epoch(s *state.State, k state.TaskKey) uint64 {
	if a := s.Assignment(k); a != nil && !g.chance(4) {
		return a.Epoch
	}
	return uint64(g.r.IntN(int(s.Index()) + 2))
}

func (g *cmdGen) bytes(prefix string) []byte {
	return []byte(prefix + strconv.Itoa(g.r.IntN(4)))
}

func (g *cmdGen) next(s *state.State) *clusterv1.Command {
	switch g.r.IntN(13) {
	case 0, 1:
		c := connector(g.pick(genConnectors), g.pick(genPlugins), g.r.IntN(5))
		c.Config["v"] = strconv.Itoa(g.r.IntN(100))
		c.TargetState = genTargets[g.r.IntN(len(genTargets))]
		if g.chance(2) {
			c.Type = sink
		}
		switch {
		case g.chance(12):
			c.Plugin = ""
		case g.chance(12):
			c.Type = clusterv1.ConnectorType_CONNECTOR_TYPE_UNSPECIFIED
		case g.chance(20):
			c.Name = ""
		}
		if g.chance(4) {
			return createC(c)
		}
		return putC(c)
	case 2:
		if g.chance(3) {
			return del(g.pick(append(genConnectors, "zzz")))
		}
		return target(g.pick(genConnectors), genTargets[g.r.IntN(len(genTargets))])
	case 3:
		var plugins []string
		for _, p := range genPlugins {
			if !g.chance(3) {
				plugins = append(plugins, p)
			}
		}
		id := g.pick(genNodes)
		if g.chance(15) {
			id = ""
		}
		return register(id, plugins...)
	case 4:
		return removeNode(g.pick(append(genNodes, "n9")))
	case 5, 6:
		var ps []placement
		for range 1 + g.r.IntN(4) {
			ps = append(ps, placement{g.task(s), g.pick(append(genNodes, "n9"))})
		}
		cmd := assign(ps...)
		if g.chance(3) {
			cmd.GetSetAssignments().Unassign = []*clusterv1.TaskID{g.task(s).ID()}
		}
		return cmd
	case 7:
		k := g.task(s)
		st := clusterv1.TaskState(1 + g.r.IntN(6))
		return report(k, g.epoch(s, k), st, g.pick(genNodes), "trace"+strconv.Itoa(g.r.IntN(3)))
	case 8, 9:
		var ts []*clusterv1.TaskOffsets
		for range 1 + g.r.IntN(3) {
			k := g.task(s)
			t := &clusterv1.TaskOffsets{Task: k.ID(), Epoch: g.epoch(s, k)}
			for range g.r.IntN(3) {
				t.Source = append(t.Source, &clusterv1.SourceOffset{Partition: g.bytes("p"), Offset: g.bytes("o")})
			}
			for range g.r.IntN(3) {
				t.Sink = append(t.Sink, sk(g.pick([]string{"t1", "t2"}), int32(g.r.IntN(3)), int64(g.r.IntN(1000))))
			}
			ts = append(ts, t)
		}
		return commit(ts...)
	case 10:
		var conn string
		if g.chance(2) {
			conn = g.pick(append(genConnectors, "zzz"))
		}
		var ks []state.TaskKey
		for range g.r.IntN(3) {
			ks = append(ks, g.task(s))
		}
		return restart(conn, ks...)
	case 11:
		var src []*clusterv1.SourceOffset
		for range g.r.IntN(3) {
			off := string(g.bytes("o"))
			if g.chance(3) {
				off = "null"
			}
			src = append(src, so(string(g.bytes("p")), off))
		}
		var snk []*clusterv1.SinkOffset
		for range g.r.IntN(3) {
			snk = append(snk, sk("t1", int32(g.r.IntN(3)), int64(g.r.IntN(10))-2))
		}
		return alter(g.pick(genConnectors), g.chance(3), src, snk)
	default:
		if g.chance(3) {
			return &clusterv1.Command{}
		}
		return restart("", g.task(s))
	}
}

// checkInvariants fails when s holds a record no sequence of commands should leave behind.
func checkInvariants(t *testing.T, s *state.State, snap *clusterv1.Snapshot) {
	t.Helper()
	runnable := func(k state.TaskKey) error {
		c := s.Connector(k.Connector)
		switch {
		case c == nil:
			return fmt.Errorf("connector %s does not exist", k.Connector)
		case c.TargetState == stopped:
			return fmt.Errorf("connector %s is STOPPED", k.Connector)
		case k.Task < 0 || int(k.Task) >= len(c.Tasks):
			return fmt.Errorf("connector %s has %d tasks", k.Connector, len(c.Tasks))
		}
		return nil
	}
	seen := map[state.TaskKey]bool{}
	for _, a := range snap.Assignments {
		k := state.KeyOf(a.Task)
		if seen[k] {
			t.Errorf("task %s assigned twice", k)
		}
		seen[k] = true
		if err := runnable(k); err != nil {
			t.Errorf("assignment %v: %v", a, err)
			continue
		}
		if s.Node(a.Node) == nil {
			t.Errorf("assignment %v: node %s is not registered", a, a.Node)
		}
		if a.Epoch == 0 || a.Epoch > s.Index() {
			t.Errorf("assignment %v: epoch outside (0, %d]", a, s.Index())
		}
		if g := s.Connector(k.Connector).Generation; a.Generation != g {
			t.Errorf("assignment %v: generation is not the connector's %d", a, g)
		}
	}
	for _, st := range snap.Statuses {
		if err := runnable(state.KeyOf(st.Task)); err != nil {
			t.Errorf("status %v: %v", st, err)
		}
	}
	for _, o := range snap.Offsets {
		if s.Connector(o.Connector) == nil {
			t.Errorf("offsets of connector %s, which does not exist", o.Connector)
		}
	}
	for _, c := range snap.Connectors {
		if c.Generation == 0 || c.CreatedIndex == 0 || c.TargetState == clusterv1.TargetState_TARGET_STATE_UNSPECIFIED {
			t.Errorf("connector %v: generation, created_index and target state must be set", c)
		}
	}
}

func sameRefusal(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return state.CodeOf(a) == state.CodeOf(b) && a.Error() == b.Error()
}

// roundTrip writes snap the way kernel/cluster persists it and restores a state from it.
func roundTrip(t *testing.T, snap *clusterv1.Snapshot) *state.State {
	t.Helper()
	data, err := proto.Marshal(snap)
	if err != nil {
		t.Fatalf("marshal snapshot: %v", err)
	}
	var back clusterv1.Snapshot
	if err := proto.Unmarshal(data, &back); err != nil {
		t.Fatalf("unmarshal snapshot: %v", err)
	}
	return state.Restore(&back)
}

// TestApplyIsDeterministic applies random command sequences and checks what every replica
// relies on: same commands, same state; a snapshot restores exactly; a restored replica
// that applies the rest of the log (replayed entries included) ends where the others do;
// a refusal changes nothing.
func TestApplyIsDeterministic(t *testing.T) {
	const steps = 300
	seeds := uint64(8)
	if testing.Short() {
		seeds = 3
	}
	for seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			g := newCmdGen(seed)
			a, b := state.New(), state.New()
			var cmds []*clusterv1.Command
			var snaps []*clusterv1.Snapshot
			var accepted, refused int
			before := a.Snapshot()
			for i := uint64(1); i <= steps; i++ {
				cmd := g.next(a)
				errA := a.Apply(i, cmd)
				errB := b.Apply(i, cmd)
				if !sameRefusal(errA, errB) {
					t.Fatalf("step %d (%v): replicas disagree: %v vs %v", i, cmd, errA, errB)
				}
				if err := b.Apply(i, cmd); err != nil {
					t.Fatalf("step %d: re-applying the same index = %v, want nil", i, err)
				}
				snap := a.Snapshot()
				if d := diffSnapshots(b.Snapshot(), snap); d != "" {
					t.Fatalf("step %d (%v): replicas diverged:\n%s", i, cmd, d)
				}
				if snap.Index != i {
					t.Fatalf("step %d: snapshot index %d", i, snap.Index)
				}
				if errA != nil {
					refused++
					if state.CodeOf(errA) == "" {
						t.Fatalf("step %d: refusal %v has no code", i, errA)
					}
					if cmd.GetCommitOffsets() == nil {
						if d := diffSnapshots(withoutIndex(snap), withoutIndex(before)); d != "" {
							t.Fatalf("step %d (%v): refused (%v) but changed the state:\n%s", i, cmd, errA, d)
						}
					} else {
						got, want := withoutIndex(snap), withoutIndex(before)
						got.Offsets, want.Offsets = nil, nil
						if d := diffSnapshots(got, want); d != "" {
							t.Fatalf("step %d: refused commit changed more than offsets:\n%s", i, d)
						}
					}
				} else {
					accepted++
				}
				if d := diffSnapshots(roundTrip(t, snap).Snapshot(), snap); d != "" {
					t.Fatalf("step %d: snapshot does not round-trip:\n%s", i, d)
				}
				checkInvariants(t, a, snap)
				if t.Failed() {
					t.Fatalf("step %d (%v) broke an invariant", i, cmd)
				}
				cmds = append(cmds, cmd)
				snaps = append(snaps, snap)
				before = snap
			}
			if accepted < steps/4 || refused < steps/20 {
				t.Fatalf("generator is lopsided: %d accepted, %d refused", accepted, refused)
			}
			final := a.Snapshot()
			for cut := 0; cut < steps; cut += 41 {
				r := state.New()
				if cut > 0 {
					r = roundTrip(t, snaps[cut-1])
				}
				// Replay the whole log: entries the snapshot holds are no-ops.
				for i, cmd := range cmds {
					err := r.Apply(uint64(i+1), cmd)
					if i >= cut {
						continue
					}
					if err != nil {
						t.Fatalf("cut %d: replaying index %d = %v, want nil", cut, i+1, err)
					}
				}
				if d := diffSnapshots(r.Snapshot(), final); d != "" {
					t.Fatalf("restored at %d and applied the rest: differs from applying everything:\n%s", cut, d)
				}
			}
		})
	}
}
