package herder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tributary-dev/tributary/kernel/runtime"
	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// Config configures a Herder. NodeID, Store and Runtime are required.
type Config struct {
	// NodeID is this node's id: the herder runs the tasks the state assigns to it.
	NodeID string
	// Store is the replicated state the herder watches.
	Store state.Store
	// Runtime runs the task instances the herder starts.
	Runtime *runtime.Runtime
	// LeaseUntil, if set, returns when this node's lease runs out (the zero time when it
	// holds none): the herder starts and releases nothing without it. nil means always
	// held.
	LeaseUntil func() time.Time
	// Logger receives the herder's logs; default slog.Default().
	Logger *slog.Logger
}

// Herder starts, stops, pauses and hands off the task instances of this node so that
// they match what the replicated state assigns to it, one Decide per task.
type Herder struct {
	cfg  Config
	log  *slog.Logger
	kick chan struct{}

	mu     sync.Mutex
	fenced bool
}

// New returns a Herder for cfg. It starts fenced: nothing runs until SetFenced(false)
// says the node holds its lease.
func New(cfg Config) (*Herder, error) {
	switch {
	case cfg.NodeID == "":
		return nil, errors.New("herder: NodeID is required")
	case cfg.Store == nil:
		return nil, errors.New("herder: Store is required")
	case cfg.Runtime == nil:
		return nil, errors.New("herder: Runtime is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LeaseUntil == nil {
		forever := time.Now().Add(100 * 365 * 24 * time.Hour)
		cfg.LeaseUntil = func() time.Time { return forever }
	}
	return &Herder{cfg: cfg, log: cfg.Logger.With("node", cfg.NodeID), kick: make(chan struct{}, 1), fenced: true}, nil
}

// Run reconciles the tasks running here with the state until ctx ends: on every change
// of the state, of the node's lease (SetFenced) and whenever an instance ends.
func (h *Herder) Run(ctx context.Context) error {
	for {
		changed := h.cfg.Store.Changed()
		h.reconcile(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-h.cfg.Runtime.Changed():
		case <-h.kick:
		}
	}
}

// SetFenced stops every task at once, without committing, and starts none while fenced is
// true: this node lost its lease (or has not caught up since it started) and another node
// may soon run its tasks. It returns when they have stopped. SetFenced(false) lets the
// herder reconcile again.
func (h *Herder) SetFenced(fenced bool) {
	h.mu.Lock()
	changed := h.fenced != fenced
	h.fenced = fenced
	h.mu.Unlock()
	if changed {
		h.log.Info("herder fencing changed", "fenced", fenced)
	}
	if fenced {
		h.cfg.Runtime.StopAll()
	}
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// wanted is one task the state assigns to this node.
type wanted struct {
	assignment *clusterv1.Assignment
	connector  *clusterv1.Connector // nil: deleted, or the task no longer exists
}

func (h *Herder) reconcile(ctx context.Context) {
	want := map[state.TaskKey]wanted{}
	h.cfg.Store.Read(func(s *state.State) {
		for _, a := range s.AssignmentsOf(h.cfg.NodeID) {
			c := s.Connector(a.GetTask().GetConnector())
			if c != nil && (a.GetTask().GetTask() < 0 || int(a.GetTask().GetTask()) >= len(c.Tasks)) {
				c = nil
			}
			want[state.KeyOf(a.Task)] = wanted{assignment: a, connector: c}
		}
	})
	// Held throughout, so that once SetFenced(true) has returned nothing starts until
	// SetFenced(false): a reconcile in flight finishes first, and what it started is
	// stopped by the fence.
	h.mu.Lock()
	defer h.mu.Unlock()
	mayRun := !h.fenced && time.Now().Before(h.cfg.LeaseUntil()) && ctx.Err() == nil

	rt := h.cfg.Runtime
	instances, refused, released := rt.Snapshot()
	keys := map[state.TaskKey]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range instances {
		keys[k] = true
	}
	for key := range keys {
		w, assigned := want[key]
		v := View{Assigned: assigned, MayRun: mayRun, Refused: refused[key], Released: released[key]}
		if assigned {
			v.Epoch, v.HandoffTo, v.Target = w.assignment.Epoch, w.assignment.HandoffTo, targetOf(w.connector)
		}
		if in, ok := instances[key]; ok {
			v.Instance = &Instance{Epoch: in.Epoch, Stopping: in.Stopping, Failed: in.Failed, Paused: in.Paused}
		}
		switch Decide(v) {
		case Start:
			rt.Start(key, w.assignment, w.connector)
		case Stop:
			rt.Stop(key, stopReason(v))
		case Drain:
			rt.Handoff(key)
		case Release:
			rt.Release(key, v.Epoch)
		case Pause:
			rt.SetPaused(key, true)
		case Resume:
			rt.SetPaused(key, false)
		}
	}
}

func targetOf(c *clusterv1.Connector) Target {
	switch c.GetTargetState() { // a nil connector (deleted) has none: stopped
	case clusterv1.TargetState_TARGET_STATE_RUNNING:
		return TargetRunning
	case clusterv1.TargetState_TARGET_STATE_PAUSED:
		return TargetPaused
	}
	return TargetStopped
}

func stopReason(v View) string {
	switch {
	case !v.Assigned:
		return "no longer assigned to this node"
	case v.HandoffTo != "":
		return fmt.Sprintf("handed off to %s at epoch %d, not the running epoch %d", v.HandoffTo, v.Epoch, v.Instance.Epoch)
	case v.Target == TargetStopped:
		return "the connector is stopped or deleted"
	}
	return fmt.Sprintf("epoch changed from %d to %d", v.Instance.Epoch, v.Epoch)
}
