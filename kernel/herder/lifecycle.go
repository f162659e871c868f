package herder

// The life of one task on one node:
//
//	(assigned) ──Start──▶ starting ──▶ running ◀──Pause/Resume──▶ paused
//	                                      │
//	      epoch moved, unassigned,  ──Stop──▶ stopped (quiet: the state refuses the
//	      connector stopped/deleted            epoch, nothing left to commit)
//	      handed off at this epoch  ──Drain──▶ draining ──▶ committed ──Release──▶ stopped
//	      a plugin failure for good ──▶ failed (kept, shown FAILED, until the epoch changes)
//
// Decide is that machine's transition function: from what the replicated state wants of
// the task, what runs it on this node now, and what the node itself may do, it says
// what to do next. It is pure, so every transition is tested by table; the herder's loop
// only gathers the View and carries out the Action.

// Target is what the state wants of a task's connector.
type Target int

const (
	TargetRunning Target = iota
	TargetPaused
	TargetStopped // STOPPED, or the connector or its task no longer exists
)

// Instance is what runs a task on this node now.
type Instance struct {
	Epoch uint64
	// Stopping: asked to stop (moved, fenced, drained) and not yet stopped.
	Stopping bool
	// Failed: ended for good (a plugin failure past its retries); it shows FAILED until
	// its assignment's epoch changes.
	Failed bool
	Paused bool
}

// View is everything Decide looks at for one task.
type View struct {
	// Assigned: the state assigns the task to this node, at Epoch.
	Assigned bool
	Epoch    uint64
	// HandoffTo names the node the task is being handed to in a planned move: this node
	// drains it, commits under Epoch, then releases it.
	HandoffTo string
	Target    Target
	// Instance is what runs the task here, nil if nothing does.
	Instance *Instance
	// MayRun: this node holds its lease (it has caught up with the leader since it
	// started, and is not fenced) and is not shutting down. A node that may not run
	// starts nothing and releases nothing; what it runs was stopped when it was fenced.
	MayRun bool
	// Refused is the newest epoch of the task the state refused from this node: a replica
	// that is behind may still show it assigned, and starting it again would only loop.
	Refused uint64
	// Released is the newest epoch of the task this node has released (or is releasing)
	// in a handoff.
	Released uint64
}

// Action is what the herder does next for a task.
type Action int

const (
	Keep    Action = iota // nothing: as wanted, or waiting (a stop in progress, a replica behind)
	Start                 // start an instance at the assigned epoch
	Stop                  // stop the instance at once, committing and reporting nothing
	Drain                 // planned handoff: drain, commit under the epoch, then release
	Release               // planned handoff of a task nothing runs here: release at once
	Pause
	Resume
)

var actionNames = [...]string{"keep", "start", "stop", "drain", "release", "pause", "resume"}

func (a Action) String() string { return actionNames[a] }

// Decide returns the next action for one task; see the diagram above.
func Decide(v View) Action {
	if in := v.Instance; in != nil {
		switch {
		case in.Stopping:
			return Keep // the next epoch starts once this one has stopped
		case v.Assigned && v.HandoffTo != "" && v.Epoch == in.Epoch:
			return Drain
		case !v.Assigned || v.HandoffTo != "" || v.Epoch != in.Epoch || v.Target == TargetStopped:
			return Stop // the state already refuses this epoch: nothing left to commit
		case in.Failed:
			return Keep
		case v.Target == TargetPaused && !in.Paused:
			return Pause
		case v.Target == TargetRunning && in.Paused:
			return Resume
		}
		return Keep
	}
	switch {
	case !v.Assigned || !v.MayRun:
		return Keep
	case v.HandoffTo != "":
		if v.Released < v.Epoch {
			return Release
		}
		return Keep
	case v.Target == TargetStopped, v.Epoch <= v.Refused:
		return Keep
	}
	return Start
}
