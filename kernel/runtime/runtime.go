package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/kernel/config"
	"github.com/tributary-dev/tributary/kernel/kafka"
	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// Config configures a Runtime. NodeID, Store, Plugins and Brokers are required.
type Config struct {
	// NodeID is this kernel node's id: the runtime runs the tasks assigned to it.
	NodeID string
	// Store is the replicated state: read for assignments, written for status and offsets.
	Store state.Store
	// PluginSecrets, if set, also gets every value a config provider resolved for a task,
	// so the plugin host hides them in the plugins' own log lines.
	PluginSecrets *config.Secrets
	// Plugins resolves connector classes and hands out plugin clients.
	Plugins Plugins
	// Brokers are the Kafka bootstrap addresses.
	Brokers []string
	// Sarama returns a fresh client config for each task's producer or consumer; nil means
	// kafka.DefaultConfig. The runtime forces the few settings it depends on (every produce
	// result returned, consumer errors returned).
	Sarama func() *sarama.Config
	// ClientConfig, if set, fits one Kafka client config of a task to its connector: the
	// worker's keys for that client (client is "producer", "consumer" or "admin") with the
	// connector's producer.override.*, consumer.override.* or admin.override.* keys on top;
	// connectorConfig is the connector's config, resolved. It is called once per task when
	// it starts, where an error fails the task naming the key, and again for every client
	// the task opens. nil: every client uses Sarama's config as is.
	ClientConfig func(c *sarama.Config, client string, connectorConfig map[string]string) error
	// DefaultConverters are the worker-level converter settings, e.g. "key.converter",
	// "value.converter", "header.converter", "value.converter.schemas.enable".
	DefaultConverters map[string]string
	// Providers resolve the config provider placeholders (${file:…}, ${env:…}, ${dir:…})
	// of a task's config when the task starts; nil means config.DefaultProviders() with
	// no path restriction.
	Providers config.Providers
	// OffsetFlushInterval is how often offsets are committed (and sink tasks flushed);
	// default 1s.
	OffsetFlushInterval time.Duration
	// MetadataRefreshInterval is how often sink tasks look for new topics (topics.regex)
	// and partitions; default 10s.
	MetadataRefreshInterval time.Duration
	// Logger receives the runtime's logs; default slog.Default().
	Logger *slog.Logger
	// ShutdownTimeout bounds how long Run, once its context ends, lets tasks drain and
	// commit their final offsets; tasks still stopping then are stopped without their
	// final commit (their records are re-delivered, as after a crash), and the log names
	// them and what they were waiting for. Default 3s.
	ShutdownTimeout time.Duration
	// LeaseUntil, if set, returns when this node's lease runs out (the zero time when it
	// holds none). A source task checks it before each batch it hands to its producer and
	// stops, producing nothing more, once it has passed: a node frozen past its lease
	// (SIGSTOP, a long pause) has had its tasks given away, and must not write for them
	// once it runs again, before its heartbeat loop has noticed. Records Kafka acknowledges
	// after it are counted as the zombie window (ZombieWindow). nil means always held.
	LeaseUntil func() time.Time
}

// Timing the runtime does not expose.
const (
	applyTimeout       = 10 * time.Second // one status report or offset commit through Raft
	drainTimeout       = 30 * time.Second // waiting for in-flight records when a task stops
	pluginCloseTimeout = 5 * time.Second  // a plugin's Commit / Flush / Close when stopping
	maxRestartBackoff  = 10 * time.Second // between re-opens after a plugin process died
)

// TaskInfo describes a task instance this node runs.
type TaskInfo struct {
	Key   state.TaskKey
	Epoch uint64
	// State is RUNNING, PAUSED, FAILED, or UNASSIGNED while the task is starting.
	State clusterv1.TaskState
	// Trace explains a FAILED state.
	Trace string
	// Records counts the records the task has processed: acked by Kafka for a source,
	// put to the plugin for a sink.
	Records int64
	// StartCount is how many times this node has started the task (any epoch).
	StartCount int
	// Failures counts records that failed a stage (conversion, transformation, put,
	// produce), whatever errors.tolerance then did with them.
	Failures int64
	// Skipped counts failed records errors.tolerance=all skipped with no dead letter
	// queue to write them to; DeadLettered those written to the dead letter queue.
	Skipped, DeadLettered int64
	// Filtered counts records a transform or predicate dropped.
	Filtered int64
	// Undecoded counts the source records whose keys and values the converters wrote
	// from the plugin's encoding of them, without decoding them (convert.WireConverter):
	// a task with no transform to run writes most of its records so.
	Undecoded int64
}

// Runtime runs the task instances the herder starts on this node: per task, a source
// loop (plugin Poll → converters → Kafka producer → offset tracking) or a sink loop (Kafka
// consumer → converters → plugin Put → Flush), reporting status and committing offsets
// through the Store, fenced by each assignment's epoch.
type Runtime struct {
	cfg   Config
	log   *slog.Logger
	kafka kafka.Client

	mu     sync.Mutex
	tasks  map[state.TaskKey]*workerTask // the current instance per task, including stopping ones
	starts map[state.TaskKey]int
	// refused holds, per task, the newest epoch the state refused from this node: a
	// replica that is behind may still assign it, and starting it again would only loop.
	refused map[state.TaskKey]uint64
	// released holds, per task, the newest epoch this node has released (or is releasing)
	// in a handoff, so it releases each once.
	released map[state.TaskKey]uint64
	running  bool
	ctx      context.Context // Run's: once it has ended, nothing more starts
	kick     chan struct{}

	commitMu sync.Mutex // one offset commit at a time, so they apply in the order taken

	// leaseStops counts batches not produced (sources) or put (sinks) because the lease
	// had expired;
	// zombieAcks the records Kafka acknowledged after it had, and zombieNanos the longest
	// such ack after the lease's end.
	leaseStops  atomic.Int64
	zombieAcks  atomic.Int64
	zombieNanos atomic.Int64
}

// leaseHeld reports whether this node's lease is good now.
func (r *Runtime) leaseHeld() bool { return time.Now().Before(r.cfg.LeaseUntil()) }

// noteAcks records n records acknowledged by Kafka now: those acknowledged after the
// lease ran out are the zombie window.
func (r *Runtime) noteAcks(n int) {
	until := r.cfg.LeaseUntil()
	now := time.Now()
	if until.IsZero() || now.Before(until) {
		return
	}
	r.zombieAcks.Add(int64(n))
	late := int64(now.Sub(until))
	for {
		cur := r.zombieNanos.Load()
		if late <= cur || r.zombieNanos.CompareAndSwap(cur, late) {
			return
		}
	}
}

// ZombieWindow returns how many records of this node's source tasks Kafka acknowledged
// after the node's lease had run out, and the latest such ack after the lease's end:
// what a node frozen past its lease still wrote (records already handed to the producer
// before the freeze). The lease check before each batch keeps it to those.
func (r *Runtime) ZombieWindow() (records int64, longest time.Duration) {
	return r.zombieAcks.Load(), time.Duration(r.zombieNanos.Load())
}

// LeaseStops returns how many batches this node held back, stopping their task, because
// its lease had expired when they were about to be produced (sources) or put (sinks).
func (r *Runtime) LeaseStops() int64 { return r.leaseStops.Load() }

// New returns a Runtime for cfg.
func New(cfg Config) (*Runtime, error) {
	switch {
	case cfg.NodeID == "":
		return nil, errors.New("runtime: NodeID is required")
	case cfg.Store == nil:
		return nil, errors.New("runtime: Store is required")
	case cfg.Plugins == nil:
		return nil, errors.New("runtime: Plugins is required")
	case len(cfg.Brokers) == 0:
		return nil, errors.New("runtime: Brokers is required")
	}
	if cfg.OffsetFlushInterval <= 0 {
		cfg.OffsetFlushInterval = time.Second
	}
	if cfg.MetadataRefreshInterval <= 0 {
		cfg.MetadataRefreshInterval = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 3 * time.Second
	}
	if cfg.LeaseUntil == nil {
		forever := time.Now().Add(100 * 365 * 24 * time.Hour)
		cfg.LeaseUntil = func() time.Time { return forever }
	}
	return &Runtime{
		cfg:      cfg,
		kafka:    kafka.Client{Brokers: cfg.Brokers, Config: cfg.Sarama},
		log:      cfg.Logger.With("node", cfg.NodeID),
		tasks:    map[state.TaskKey]*workerTask{},
		starts:   map[state.TaskKey]int{},
		refused:  map[state.TaskKey]uint64{},
		released: map[state.TaskKey]uint64{},
		kick:     make(chan struct{}, 1),
	}, nil
}

// Run commits the offsets of the tasks running here every OffsetFlushInterval until ctx
// ends; the herder starts and stops them (Start, Stop, Handoff) meanwhile. When Run
// returns (nil, once ctx has ended) every task is stopped, with its final offsets
// committed if its epoch still allows, within ShutdownTimeout. Run may be called once at
// a time.
func (r *Runtime) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.running {
		r.mu.Unlock()
		return errors.New("runtime: Run called twice")
	}
	r.running, r.ctx = true, ctx
	r.mu.Unlock()
	r.wake() // the herder may have asked for tasks before Run could start them

	commitCtx, stopCommits := context.WithCancel(ctx)
	commitsDone := make(chan struct{})
	go func() {
		defer close(commitsDone)
		r.commitLoop(commitCtx)
	}()
	<-ctx.Done() // Start and Release start nothing more
	r.stopAllWithin(r.cfg.ShutdownTimeout)
	stopCommits()
	<-commitsDone
	r.mu.Lock()
	r.running = false
	r.mu.Unlock()
	return nil
}

// accepting reports whether Run is running and its context has not ended, so new
// instances may start. r.mu is held.
func (r *Runtime) accepting() bool { return r.running && r.ctx.Err() == nil }

// Changed is signalled when an instance has ended, so the herder decides again (a task
// given back to this node starts anew once its old instance has stopped).
func (r *Runtime) Changed() <-chan struct{} { return r.kick }

func (r *Runtime) wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// StopAll stops every task at once, without committing, and returns when they have
// stopped: this node lost its lease and another node may soon run its tasks.
func (r *Runtime) StopAll() { r.stopAll(stopQuiet) }

// Running returns the task instances on this node, sorted by task: running, paused,
// starting, or FAILED (a failed task stays until its assignment's epoch changes).
func (r *Runtime) Running() []TaskInfo {
	r.mu.Lock()
	out := make([]TaskInfo, 0, len(r.tasks))
	for _, t := range r.tasks {
		if t.stopRequested() {
			continue
		}
		out = append(out, t.info())
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key.Connector != out[j].Key.Connector {
			return out[i].Key.Connector < out[j].Key.Connector
		}
		return out[i].Key.Task < out[j].Key.Task
	})
	return out
}

// Starts returns, per task, how many times this node has started it (any epoch),
// including tasks no longer running here.
func (r *Runtime) Starts() map[state.TaskKey]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.starts)
}

// Instance is what runs a task on this node now, as the herder decides from it.
type Instance struct {
	Epoch uint64
	// Stopping: asked to stop and not yet stopped.
	Stopping bool
	// Failed: ended for good; kept, showing FAILED, until it is stopped.
	Failed bool
	Paused bool
}

// Snapshot returns the instances on this node by task, and per task the newest epoch the
// state refused from this node and the newest it has released in a handoff.
func (r *Runtime) Snapshot() (instances map[state.TaskKey]Instance, refused, released map[state.TaskKey]uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	instances = make(map[state.TaskKey]Instance, len(r.tasks))
	for key, t := range r.tasks {
		in := Instance{Epoch: t.epoch, Stopping: t.stopRequested(), Paused: t.paused.Load()}
		select {
		case <-t.done:
			in.Failed = !in.Stopping
		default:
		}
		instances[key] = in
	}
	return instances, maps.Clone(r.refused), maps.Clone(r.released)
}

// Start starts an instance of task key at assignment's epoch, unless one is there
// already (running, or still stopping) or Run is not running; it reports whether it
// started one.
func (r *Runtime) Start(key state.TaskKey, assignment *clusterv1.Assignment, connector *clusterv1.Connector) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.accepting() || r.tasks[key] != nil || key.Task < 0 || int(key.Task) >= len(connector.GetTasks()) {
		return false
	}
	ctx := r.ctx
	r.starts[key]++
	t := newWorkerTask(ctx, r, key, desiredTask{assignment: assignment, connector: connector}, r.starts[key])
	r.tasks[key] = t
	go func() {
		t.run()
		if t.releaseOnStop.Load() && !t.quiet() {
			r.mu.Lock()
			r.released[t.key] = max(r.released[t.key], t.epoch)
			r.mu.Unlock()
			r.release(ctx, t.key, t.epoch)
		}
		r.forgetStopped(t)
	}()
	return true
}

// Stop stops the instance of task key at once, committing and reporting nothing: the
// state already refuses its epoch. why is logged.
func (r *Runtime) Stop(key state.TaskKey, why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.tasks[key]; t != nil && !t.stopRequested() {
		t.log.Info("stopping task", "reason", why)
		r.stopLocked(t, stopQuiet)
	}
}

// Handoff ends a planned move of task key from this node: the instance drains, commits
// its final offsets under its epoch (the state still holds it), closes, and only then
// releases the task to its next node.
func (r *Runtime) Handoff(key state.TaskKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.tasks[key]; t != nil && !t.stopRequested() {
		t.log.Info("handing the task off: draining and committing before releasing it")
		t.releaseOnStop.Store(true)
		r.stopLocked(t, stopGraceful)
	}
}

// Release releases task key at epoch to its next node with nothing to drain: nothing
// runs it here. Each epoch is released once.
func (r *Runtime) Release(key state.TaskKey, epoch uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.accepting() || r.tasks[key] != nil || r.released[key] >= epoch {
		return
	}
	r.released[key] = epoch
	go r.release(r.ctx, key, epoch)
}

// SetPaused pauses or resumes the instance of task key.
func (r *Runtime) SetPaused(key state.TaskKey, paused bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.tasks[key]; t != nil && !t.stopRequested() {
		t.setPaused(paused)
	}
}

// desiredTask is one task the state wants running on this node.
type desiredTask struct {
	assignment *clusterv1.Assignment
	connector  *clusterv1.Connector
}

// release ends a handoff of task key from this node: it has drained and committed under
// epoch, so the task may start on its next node.
func (r *Runtime) release(ctx context.Context, key state.TaskKey, epoch uint64) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), applyTimeout)
	defer cancel()
	cmd := &clusterv1.Command{Cmd: &clusterv1.Command_ReleaseTask{ReleaseTask: &clusterv1.ReleaseTask{Task: key.ID(), Epoch: epoch}}}
	if _, err := r.cfg.Store.Apply(actx, cmd); err != nil {
		// Stale: the leader moved it already (the handoff was overdue) or called it off.
		r.log.Info("releasing a handed-off task failed", "connector", key.Connector, "task", key.Task, "epoch", epoch, "err", err)
		return
	}
	r.log.Info("task released to its next node", "connector", key.Connector, "task", key.Task, "epoch", epoch)
}

// refuse records that the state refused epoch of task key from this node.
func (r *Runtime) refuse(key state.TaskKey, epoch uint64) {
	r.mu.Lock()
	if epoch > r.refused[key] {
		r.refused[key] = epoch
	}
	r.mu.Unlock()
}

// forgetStopped drops an instance that has ended because it was asked to stop — moved,
// fenced by a refused commit or status report, or stopped with the node — and reconciles
// again, so a task given back to this node starts anew. A task that failed for good is
// kept: it shows FAILED until its assignment's epoch changes.
func (r *Runtime) forgetStopped(t *workerTask) {
	r.mu.Lock()
	forgot := r.tasks[t.key] == t && t.stopRequested()
	if forgot {
		delete(r.tasks, t.key)
	}
	r.mu.Unlock()
	if forgot {
		r.wake()
	}
}

// stopLocked asks t to stop; once it has, forgetStopped drops it and reconciles again. An
// instance that had already ended (it failed for good) is dropped here.
func (r *Runtime) stopLocked(t *workerTask, mode stopMode) {
	t.stop(mode)
	select {
	case <-t.done:
		if r.tasks[t.key] == t {
			delete(r.tasks, t.key)
		}
		r.wake()
	default:
	}
}

// stopAll stops every task and waits until they have stopped.
func (r *Runtime) stopAll(mode stopMode) {
	r.mu.Lock()
	var waits []*workerTask
	for _, t := range r.tasks {
		t.stop(mode) // a task already stopping keeps stopping, and may be hurried along
		waits = append(waits, t)
	}
	r.mu.Unlock()
	for _, t := range waits {
		<-t.done
		r.mu.Lock()
		if r.tasks[t.key] == t {
			delete(r.tasks, t.key)
		}
		r.mu.Unlock()
	}
}

// stopAllWithin stops every task gracefully, and those still stopping after timeout
// quietly, logging which they were and what held them; it returns when all have stopped.
func (r *Runtime) stopAllWithin(timeout time.Duration) {
	start := time.Now()
	r.mu.Lock()
	var waits []*workerTask
	for _, t := range r.tasks {
		t.stop(stopGraceful)
		waits = append(waits, t)
	}
	r.mu.Unlock()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for _, t := range waits {
		select {
		case <-t.done:
			continue
		case <-deadline.C:
		}
		var slow []string
		for _, w := range waits {
			select {
			case <-w.done:
			default:
				slow = append(slow, fmt.Sprintf("%s (%s)", w.key, w.stopping()))
				w.hurryUp()
			}
		}
		r.log.Warn("shutdown: tasks still stopping after the shutdown timeout; stopping them without their final commit "+
			"(their last records are delivered again after the restart)", "timeout", timeout, "tasks", slow)
		break
	}
	for _, t := range waits {
		<-t.done
		r.mu.Lock()
		if r.tasks[t.key] == t {
			delete(r.tasks, t.key)
		}
		r.mu.Unlock()
	}
	if d := time.Since(start); d > timeout {
		r.log.Warn("shutdown: tasks took longer than the shutdown timeout to stop", "took", d.Round(time.Millisecond), "timeout", timeout)
	}
}

// snapshotTasks returns the task instances that may still commit.
func (r *Runtime) snapshotTasks() []*workerTask {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*workerTask, 0, len(r.tasks))
	for _, t := range r.tasks {
		if !t.quiet() {
			out = append(out, t)
		}
	}
	return out
}

func (r *Runtime) commitLoop(ctx context.Context) {
	tick := time.NewTicker(r.cfg.OffsetFlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			r.commit(ctx, r.snapshotTasks())
		}
	}
}

// commit takes the pending offsets of tasks, commits them in one CommitOffsets command, and
// tells each task whether its part was accepted. A task whose epoch the state no longer
// holds was refused: it is fenced and stops.
func (r *Runtime) commit(ctx context.Context, tasks []*workerTask) {
	r.commitMu.Lock()
	defer r.commitMu.Unlock()
	var owners []*workerTask
	var entries []*clusterv1.TaskOffsets
	for _, t := range tasks {
		if t.quiet() {
			continue
		}
		if o := t.role.takeOffsets(); o != nil {
			o.Task, o.Epoch = t.key.ID(), t.epoch
			owners = append(owners, t)
			entries = append(entries, o)
		}
	}
	if len(entries) == 0 {
		return
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), applyTimeout)
	defer cancel()
	cmd := &clusterv1.Command{Cmd: &clusterv1.Command_CommitOffsets{CommitOffsets: &clusterv1.CommitOffsets{Tasks: entries}}}
	if _, err := r.cfg.Store.Apply(actx, cmd); err != nil && !errors.Is(err, state.ErrStaleEpoch) {
		r.log.Warn("offset commit failed; will retry", "tasks", len(entries), "err", err)
		for i, t := range owners {
			t.role.requeue(entries[i])
		}
		return
	}
	// A stale-epoch refusal applies the current tasks' offsets and refuses the rest: ask
	// the state which were which.
	current := make([]bool, len(owners))
	r.cfg.Store.Read(func(s *state.State) {
		for i, t := range owners {
			a := s.Assignment(t.key)
			current[i] = a != nil && a.Epoch == t.epoch
		}
	})
	for i, t := range owners {
		if current[i] {
			t.role.committed(entries[i])
			continue
		}
		t.log.Info("offset commit refused: the task's epoch is no longer current; stopping it")
		t.fence()
	}
}
