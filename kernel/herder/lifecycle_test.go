package herder

import "testing"

func TestDecideEveryTransition(t *testing.T) {
	running := func(epoch uint64) *Instance { return &Instance{Epoch: epoch} }
	cases := []struct {
		name string
		v    View
		want Action
	}{
		// Starting.
		{"assigned, nothing runs it: start", View{Assigned: true, Epoch: 3, MayRun: true}, Start},
		{"assigned paused, nothing runs it: start (it opens paused)", View{Assigned: true, Epoch: 3, Target: TargetPaused, MayRun: true}, Start},
		{"not assigned here: nothing", View{MayRun: true}, Keep},
		{"assigned but the connector is stopped: nothing", View{Assigned: true, Epoch: 3, Target: TargetStopped, MayRun: true}, Keep},
		{"deleted while this node was down (no connector): never started", View{Assigned: true, Epoch: 3, Target: TargetStopped, MayRun: true}, Keep},

		// A restarted node acting on a stale snapshot (issue 14, 1).
		{"stale snapshot: restarted, not caught up, no lease: start nothing", View{Assigned: true, Epoch: 3}, Keep},
		{"fenced (lease lost): start nothing", View{Assigned: true, Epoch: 3, MayRun: false}, Keep},
		{"replica behind: the state refused this epoch already", View{Assigned: true, Epoch: 3, Refused: 3, MayRun: true}, Keep},
		{"replica caught up: a newer epoch starts", View{Assigned: true, Epoch: 4, Refused: 3, MayRun: true}, Start},

		// Fence, then reassign to the same node.
		{"fenced instance still stopping: wait", View{Assigned: true, Epoch: 4, Instance: &Instance{Epoch: 3, Stopping: true}, MayRun: true}, Keep},
		{"given back at a new epoch while the old instance runs: stop it first", View{Assigned: true, Epoch: 4, Instance: running(3), MayRun: true}, Stop},
		{"given back, old instance gone: start again", View{Assigned: true, Epoch: 4, Refused: 3, MayRun: true}, Start},

		// Running.
		{"running as wanted: nothing", View{Assigned: true, Epoch: 3, Instance: running(3), MayRun: true}, Keep},
		{"running while fenced: stops were made by the fence, nothing new", View{Assigned: true, Epoch: 3, Instance: running(3)}, Keep},
		{"moved to another node: stop", View{Instance: running(3), MayRun: true}, Stop},
		{"moved while this node is fenced: stop", View{Instance: running(3)}, Stop},
		{"connector stopped: stop", View{Assigned: true, Epoch: 3, Target: TargetStopped, Instance: running(3), MayRun: true}, Stop},
		{"reconfigured or restarted (new epoch): stop, then start", View{Assigned: true, Epoch: 5, Instance: running(3), MayRun: true}, Stop},
		{"pause", View{Assigned: true, Epoch: 3, Target: TargetPaused, Instance: running(3), MayRun: true}, Pause},
		{"paused, stays paused", View{Assigned: true, Epoch: 3, Target: TargetPaused, Instance: &Instance{Epoch: 3, Paused: true}, MayRun: true}, Keep},
		{"resume", View{Assigned: true, Epoch: 3, Instance: &Instance{Epoch: 3, Paused: true}, MayRun: true}, Resume},

		// Failed.
		{"failed at the current epoch: kept, shown FAILED", View{Assigned: true, Epoch: 3, Instance: &Instance{Epoch: 3, Failed: true}, MayRun: true}, Keep},
		{"failed, restarted (new epoch): stop, then start", View{Assigned: true, Epoch: 4, Instance: &Instance{Epoch: 3, Failed: true}, MayRun: true}, Stop},
		{"failed, moved away: stop", View{Instance: &Instance{Epoch: 3, Failed: true}, MayRun: true}, Stop},

		// Planned handoff (issue 14, 4).
		{"handed off at the running epoch: drain, commit, release", View{Assigned: true, Epoch: 3, HandoffTo: "n2", Instance: running(3), MayRun: true}, Drain},
		{"handed off while paused: drain too", View{Assigned: true, Epoch: 3, HandoffTo: "n2", Target: TargetPaused, Instance: &Instance{Epoch: 3, Paused: true}, MayRun: true}, Drain},
		{"handed off while fenced: still drain (the state holds the epoch)", View{Assigned: true, Epoch: 3, HandoffTo: "n2", Instance: running(3)}, Drain},
		{"handed off at another epoch than runs: stop", View{Assigned: true, Epoch: 4, HandoffTo: "n2", Instance: running(3), MayRun: true}, Stop},
		{"draining: wait for it", View{Assigned: true, Epoch: 3, HandoffTo: "n2", Instance: &Instance{Epoch: 3, Stopping: true}, MayRun: true}, Keep},
		{"handed off, nothing runs it here: release at once", View{Assigned: true, Epoch: 3, HandoffTo: "n2", MayRun: true}, Release},
		{"handed off, released already: nothing", View{Assigned: true, Epoch: 3, HandoffTo: "n2", Released: 3, MayRun: true}, Keep},
		{"handed off, an older epoch released: release this one", View{Assigned: true, Epoch: 4, HandoffTo: "n2", Released: 3, MayRun: true}, Release},
		{"handed off while fenced and nothing runs: wait for the lease", View{Assigned: true, Epoch: 3, HandoffTo: "n2"}, Keep},
		{"handed off, stopped connector, nothing runs: release", View{Assigned: true, Epoch: 3, HandoffTo: "n2", Target: TargetStopped, MayRun: true}, Release},
	}
	for _, c := range cases {
		if got := Decide(c.v); got != c.want {
			t.Errorf("%s: %v; want %v", c.name, got, c.want)
		}
	}
}

// Every combination of the inputs gives an action that fits them: a node that may not
// run starts and releases nothing; nothing is started or released while an instance is
// there; a stopping instance is left alone; a task not assigned here is never started.
func TestDecideInvariants(t *testing.T) {
	bools := []bool{false, true}
	for _, assigned := range bools {
		for _, handoff := range bools {
			for _, mayRun := range bools {
				for target := TargetRunning; target <= TargetStopped; target++ {
					for _, inst := range []*Instance{nil, {Epoch: 2}, {Epoch: 3}, {Epoch: 3, Stopping: true}, {Epoch: 3, Failed: true}, {Epoch: 3, Paused: true}} {
						for _, refused := range []uint64{0, 3} {
							for _, released := range []uint64{0, 3} {
								v := View{Assigned: assigned, Epoch: 3, Target: target, Instance: inst, MayRun: mayRun, Refused: refused, Released: released}
								if handoff {
									v.HandoffTo = "n2"
								}
								a := Decide(v)
								switch {
								case (a == Start || a == Release) && (!mayRun || inst != nil || !assigned):
									t.Errorf("%+v (instance %+v): %v", v, inst, a)
								case inst != nil && inst.Stopping && a != Keep:
									t.Errorf("%+v: %v on a stopping instance", v, a)
								case a == Start && (handoff || refused >= 3 || target == TargetStopped):
									t.Errorf("%+v: start", v)
								case (a == Stop || a == Drain || a == Pause || a == Resume) && inst == nil:
									t.Errorf("%+v: %v with nothing running", v, a)
								}
							}
						}
					}
				}
			}
		}
	}
}
