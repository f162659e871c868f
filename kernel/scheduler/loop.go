package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// DefaultInterval is how often a Loop re-plans when nothing tells it to sooner.
const DefaultInterval = time.Second

// Loop runs on the leader: whenever the state changes, the live set changes, or every
// Interval, it plans and applies.
//
// Every node may run a Loop; only the one whose IsLeader reports true submits anything.
// A Loop must not be copied after first use.
type Loop struct {
	// Store is the replicated state the plan is read from and applied through. Required.
	Store state.Store
	// Live returns the ids of the nodes with a live lease (the cluster package provides it).
	// It is called outside any lock of the Store. Whatever it leaves out loses its tasks, so
	// a newly elected leader must count every node live until a lease has had time to lapse.
	// Nil means every registered node is live, which suits a single-node kernel.
	Live func() map[string]bool
	// IsLeader reports whether this node leads the cluster; the Loop does nothing while it
	// reports false. Nil means always.
	IsLeader func() bool
	// Interval bounds how long a change nobody announced (a lease running out) may go
	// unnoticed. Zero means DefaultInterval.
	Interval time.Duration
	// Logger receives a line per applied plan and per failure. Nil means no logging.
	Logger *slog.Logger
	// HandoffTimeout is how long a planned handoff may wait for its node to release the
	// task before the task is moved at once (fencing the node). Zero means
	// DefaultHandoffTimeout.
	HandoffTimeout time.Duration

	once sync.Once
	kick chan struct{}

	// Set and read only by Run's goroutine: the last plan applied and the index it got,
	// and when this Loop first saw each handoff in progress (by task and epoch).
	last      *clusterv1.SetAssignments
	lastIndex uint64
	handoffs  map[handoffKey]time.Time
}

// DefaultHandoffTimeout bounds a planned handoff: long enough for a task to drain its
// records in flight and commit, short enough that a node that never releases (hung, or
// an older version) does not hold a move back for long.
const DefaultHandoffTimeout = 15 * time.Second

type handoffKey struct {
	task  state.TaskKey
	epoch uint64
	to    string
}

// Kick asks the Loop to re-plan now (called when liveness changes). It never blocks; kicks
// that arrive while one is pending merge into it.
func (l *Loop) Kick() {
	select {
	case l.kicks() <- struct{}{}:
	default:
	}
}

func (l *Loop) kicks() chan struct{} {
	l.once.Do(func() { l.kick = make(chan struct{}, 1) })
	return l.kick
}

// Run plans and applies until ctx is done, then returns nil. It fails at once only when the
// Loop is misconfigured; a plan the Store cannot apply (leadership just moved, say) is
// logged and tried again at the next wake-up.
func (l *Loop) Run(ctx context.Context) error {
	if l.Store == nil {
		return errors.New("scheduler: Loop.Store is nil")
	}
	interval := l.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	log := l.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	kick := l.kicks()
	for {
		// Take the channel before reading, so a change made while planning wakes us.
		changed := l.Store.Changed()
		if l.IsLeader == nil || l.IsLeader() {
			if err := l.step(ctx, log); err != nil && ctx.Err() == nil {
				log.Warn("scheduler: cannot apply assignments", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-kick:
		case <-ticker.C:
		}
	}
}

// overdueHandoffs notes when each handoff in progress was first seen and reports those
// that have waited past HandoffTimeout.
func (l *Loop) overdueHandoffs(s *state.State) func(state.TaskKey) bool {
	timeout := l.HandoffTimeout
	if timeout <= 0 {
		timeout = DefaultHandoffTimeout
	}
	now := time.Now()
	seen := map[handoffKey]time.Time{}
	overdue := map[state.TaskKey]bool{}
	for _, a := range s.Assignments() {
		if a.HandoffTo == "" {
			continue
		}
		hk := handoffKey{task: state.KeyOf(a.Task), epoch: a.Epoch, to: a.HandoffTo}
		since, ok := l.handoffs[hk]
		if !ok {
			since = now
		}
		seen[hk] = since
		overdue[hk.task] = now.Sub(since) >= timeout
	}
	l.handoffs = seen
	return func(k state.TaskKey) bool { return overdue[k] }
}

// step plans once and applies the plan, if there is one.
func (l *Loop) step(ctx context.Context, log *slog.Logger) error {
	var live map[string]bool
	if l.Live != nil {
		live = l.Live()
	}
	var (
		plan  *clusterv1.SetAssignments
		index uint64
	)
	l.Store.Read(func(s *state.State) {
		index = s.Index()
		if l.Live == nil {
			live = map[string]bool{}
			for _, n := range s.Nodes() {
				live[n.Id] = true
			}
		}
		plan = PlanWith(s, live, l.overdueHandoffs(s))
	})
	if plan == nil {
		return nil
	}
	if index == l.lastIndex && proto.Equal(plan, l.last) {
		// Nothing has happened since this very plan was applied, so applying it again would
		// change nothing either. Plan is idempotent, so this is a bug; do not spin on it.
		log.Error("scheduler: plan did not converge; waiting for the next change", "plan", plan)
		return nil
	}
	applied, err := l.Store.Apply(ctx, &clusterv1.Command{Cmd: &clusterv1.Command_SetAssignments{SetAssignments: plan}})
	if err != nil {
		return fmt.Errorf("apply %d assignments, %d handoffs and %d unassignments: %w", len(plan.Assign), len(plan.Handoff), len(plan.Unassign), err)
	}
	l.last, l.lastIndex = plan, applied
	log.Info("scheduler: assignments changed", "index", applied,
		"assigned", len(plan.Assign), "handed off", len(plan.Handoff), "unassigned", len(plan.Unassign))
	if log.Enabled(ctx, slog.LevelDebug) {
		for _, a := range plan.Assign {
			log.Debug("scheduler: assign", "task", state.KeyOf(a.Task).String(), "node", a.Node)
		}
		for _, id := range plan.Unassign {
			log.Debug("scheduler: unassign", "task", state.KeyOf(id).String())
		}
	}
	return nil
}
