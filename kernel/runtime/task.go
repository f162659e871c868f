package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/kernel/convert"
	"github.com/tributary-dev/tributary/kernel/kafka"
	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/kernel/state"
	"github.com/tributary-dev/tributary/kernel/tolerance"
	"github.com/tributary-dev/tributary/plugins/kc"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// stopMode says how a task instance stops.
type stopMode int32

const (
	running stopMode = iota
	// stopGraceful drains in-flight records, commits the final offsets and closes the
	// plugin task: the node is shutting down and the epoch is still this instance's.
	stopGraceful
	// stopQuiet stops at once, committing and reporting nothing: the epoch has moved on
	// (the state would refuse it) or the node is fenced.
	stopQuiet
)

// taskRole is what differs between a source and a sink task.
type taskRole interface {
	// init creates the task's Kafka clients; it runs once per instance.
	init() error
	// session opens the plugin task on c, runs it until ctx ends or it fails, and closes it.
	session(ctx context.Context, c *pluginhost.Client) error
	// release closes the Kafka clients.
	release()
	// takeOffsets returns the offsets to commit now (Task and Epoch unset), or nil.
	takeOffsets() *clusterv1.TaskOffsets
	// requeue gives back offsets whose commit failed, to be carried by the next one.
	requeue(*clusterv1.TaskOffsets)
	// committed is told that offsets were durably committed.
	committed(*clusterv1.TaskOffsets)
}

// workerTask is one instance of one task at one epoch on this node: its lifecycle, its
// status reports, and its recovery when the plugin process dies. What it runs is its role.
type workerTask struct {
	r          *Runtime
	key        state.TaskKey
	epoch      uint64
	connector  *clusterv1.Connector
	config     map[string]string // the task's config, as the connector split it; resolved by prepare
	connCfg    map[string]string // the connector's config, resolved by prepare
	class      string
	handle     string
	startCount int
	log        *slog.Logger
	secrets    *redactor // what log and trace never show
	role       taskRole

	// What records pass through, set by prepare.
	policy                            tolerance.Policy
	errs                              *tolerance.Handler
	keyConv, valueConv                convert.Converter
	headerConv                        convert.HeaderConverter
	keyClass, valueClass, headerClass string
	chain                             transformChain // nil: no transforms

	ctx    context.Context
	cancel context.CancelFunc
	// hurry is cancelled when a stop must end now (the node's shutdown timeout passed),
	// cutting short the plugin calls a stop makes (final commit, close).
	hurry       context.Context
	hurryCancel context.CancelFunc
	done        chan struct{}
	mode        atomic.Int32 // stopMode

	paused atomic.Bool
	// releaseOnStop marks an instance stopped for a planned handoff: once it has drained
	// and committed, the runtime releases the task to its next node.
	releaseOnStop atomic.Bool
	phase         atomic.Pointer[string] // what a stopping instance waits for, for the shutdown log

	records  atomic.Int64
	counts   tolerance.Counts // records that failed a stage, and what became of them
	filtered atomic.Int64     // records a transform dropped
	// undecoded counts source records produced from their plugin encoding (prepareWire)
	undecoded atomic.Int64
	opened    atomic.Bool // a plugin session opened since the plugin last exited

	topicsMu      sync.Mutex
	topicsPending map[string]bool // active topics being recorded (noteTopics)

	mu          sync.Mutex
	state       clusterv1.TaskState
	trace       string
	statusCh    chan struct{} // signalled when state or trace changes
	pauseChange chan struct{} // closed (and replaced) when paused changes
}

func newWorkerTask(parent context.Context, r *Runtime, key state.TaskKey, d desiredTask, starts int) *workerTask {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	hurry, hurryCancel := context.WithCancel(context.Background())
	class := d.connector.Config["connector.class"]
	if class == "" {
		class = d.connector.Plugin
	}
	secrets := &redactor{}
	t := &workerTask{
		r:          r,
		key:        key,
		epoch:      d.assignment.Epoch,
		connector:  d.connector,
		config:     d.connector.Tasks[key.Task].GetConfig(),
		class:      class,
		handle:     fmt.Sprintf("%s/%d/%d", key.Connector, key.Task, d.assignment.Epoch),
		startCount: starts,
		log: slog.New(redactingHandler{h: r.log.Handler(), r: secrets}).With(
			"connector", key.Connector, "task", key.Task, "epoch", d.assignment.Epoch),
		secrets:     secrets,
		ctx:         ctx,
		cancel:      cancel,
		hurry:       hurry,
		hurryCancel: hurryCancel,
		done:        make(chan struct{}),
		state:       clusterv1.TaskState_TASK_STATE_UNASSIGNED,
		statusCh:    make(chan struct{}, 1),
		pauseChange: make(chan struct{}),

		topicsPending: map[string]bool{},
	}
	t.paused.Store(d.connector.TargetState == clusterv1.TargetState_TARGET_STATE_PAUSED)
	if d.connector.Type == clusterv1.ConnectorType_CONNECTOR_TYPE_SINK {
		t.role = newSinkTask(t)
	} else {
		t.role = newSourceTask(t)
	}
	return t
}

func (t *workerTask) info() TaskInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	return TaskInfo{Key: t.key, Epoch: t.epoch, State: t.state, Trace: t.trace,
		Records: t.records.Load(), StartCount: t.startCount, Failures: t.counts.Failures.Load(),
		Skipped: t.counts.Skipped.Load(), DeadLettered: t.counts.DeadLettered.Load(), Filtered: t.filtered.Load(),
		Undecoded: t.undecoded.Load()}
}

// stop asks the instance to stop; it reports whether the instance was running before.
// A graceful stop may be hurried into a quiet one, never the reverse.
func (t *workerTask) stop(mode stopMode) bool {
	for {
		cur := stopMode(t.mode.Load())
		if cur >= mode {
			t.cancel()
			return false
		}
		if t.mode.CompareAndSwap(int32(cur), int32(mode)) {
			t.cancel()
			return cur == running
		}
	}
}

// fence stops the instance quietly: the state refused its epoch, so this node will not
// start the task under that epoch again (its replica may still show it, being behind).
func (t *workerTask) fence() {
	t.r.refuse(t.key, t.epoch)
	t.stop(stopQuiet)
}

// hurryUp turns the instance's stop quiet and cuts short the plugin call it waits on.
func (t *workerTask) hurryUp() {
	t.stop(stopQuiet)
	t.hurryCancel()
}

// setPhase records what a stopping instance is waiting for.
func (t *workerTask) setPhase(p string) { t.phase.Store(&p) }

// stopping says what a stopping instance is waiting for.
func (t *workerTask) stopping() string {
	if p := t.phase.Load(); p != nil {
		return "waiting for " + *p
	}
	return "ending its loop"
}

func (t *workerTask) stopRequested() bool { return stopMode(t.mode.Load()) != running }
func (t *workerTask) quiet() bool         { return stopMode(t.mode.Load()) == stopQuiet }

func (t *workerTask) setPaused(p bool) {
	t.mu.Lock()
	if t.paused.Swap(p) == p {
		t.mu.Unlock()
		return
	}
	close(t.pauseChange)
	t.pauseChange = make(chan struct{})
	st := t.state
	t.mu.Unlock()
	// Resuming is reported at once; pausing only when the task's loop has parked (see
	// parked), so PAUSED means no record moves any more, as upstream.
	if !p && st == clusterv1.TaskState_TASK_STATE_PAUSED {
		t.setOpen()
	}
}

// parked is called by a task's loop when it stops moving records because the task is
// paused; it reports PAUSED if the task was RUNNING.
func (t *workerTask) parked() {
	t.mu.Lock()
	st := t.state
	t.mu.Unlock()
	if t.paused.Load() && st == clusterv1.TaskState_TASK_STATE_RUNNING {
		t.setStatus(clusterv1.TaskState_TASK_STATE_PAUSED, "")
	}
}

// setOpen reports the plugin task open: RUNNING, or PAUSED while the connector is paused.
func (t *workerTask) setOpen() {
	t.opened.Store(true)
	if t.paused.Load() {
		t.setStatus(clusterv1.TaskState_TASK_STATE_PAUSED, "")
	} else {
		t.setStatus(clusterv1.TaskState_TASK_STATE_RUNNING, "")
	}
}

// setStatus records the task's state and has it reported through the Store.
func (t *workerTask) setStatus(st clusterv1.TaskState, trace string) {
	t.mu.Lock()
	if t.state == st && t.trace == trace {
		t.mu.Unlock()
		return
	}
	t.state, t.trace = st, trace
	t.mu.Unlock()
	if st == clusterv1.TaskState_TASK_STATE_FAILED {
		t.log.Error("task failed", "trace", trace)
	} else {
		t.log.Info("task state", "state", stateName(st))
	}
	select {
	case t.statusCh <- struct{}{}:
	default:
	}
}

func stateName(s clusterv1.TaskState) string {
	return strings.TrimPrefix(s.String(), "TASK_STATE_")
}

// reportLoop writes the latest status through the Store, retrying until it is applied. A
// stale-epoch refusal means another instance owns the task now: this one stops quietly.
func (t *workerTask) reportLoop() {
	retry := kc.Backoff{Initial: 100 * time.Millisecond, Max: 5 * time.Second}
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-t.statusCh:
		}
		for attempt := 0; ; attempt++ {
			t.mu.Lock()
			st := &clusterv1.TaskStatus{Task: t.key.ID(), State: t.state, WorkerId: t.r.cfg.NodeID, Trace: t.trace, Epoch: t.epoch}
			t.mu.Unlock()
			ctx, cancel := context.WithTimeout(t.ctx, applyTimeout)
			_, err := t.r.cfg.Store.Apply(ctx, &clusterv1.Command{Cmd: &clusterv1.Command_ReportTaskStatus{
				ReportTaskStatus: &clusterv1.ReportTaskStatus{Status: st}}})
			cancel()
			if err == nil || t.ctx.Err() != nil {
				break
			}
			if errors.Is(err, state.ErrStaleEpoch) {
				t.log.Info("status refused: the task's epoch is no longer current; stopping it", "err", err)
				t.fence()
				return
			}
			wait := retry.Next(attempt)
			t.log.Warn("status report failed; retrying", "state", stateName(st.State), "err", err, "backoff", wait)
			select {
			case <-t.ctx.Done():
				return
			case <-time.After(wait):
			}
		}
	}
}

// run is the instance's life: create the Kafka clients, then open the plugin task and run
// it, re-opening it whenever the plugin process died, until the instance is stopped or the
// task fails for good.
func (t *workerTask) run() {
	defer close(t.done)
	defer t.cancel()
	defer t.hurryCancel()
	go t.reportLoop()

	if err := t.prepare(); err != nil {
		t.failed(err)
		return
	}
	restart := kc.Backoff{Initial: 100 * time.Millisecond, Max: maxRestartBackoff}
	for attempt := 0; ; attempt++ {
		err := t.role.init()
		if err == nil {
			break
		}
		var perm *permanentError
		if errors.As(err, &perm) {
			t.failed(perm.err)
			return
		}
		// Kafka may be down or not up yet: say so, and keep trying.
		t.setStatus(clusterv1.TaskState_TASK_STATE_FAILED, t.describe(err))
		select {
		case <-t.ctx.Done():
			return
		case <-time.After(restart.Next(attempt)):
		}
	}
	defer t.role.release()

	reopens := 0         // plugin exits in a row, for the restart backoff
	var outage time.Time // when the plugin process last exited under an open task
	var why string       // and why
	for t.ctx.Err() == nil {
		c, err := t.waitClient(outage, why)
		if t.ctx.Err() != nil {
			return
		}
		if err != nil {
			t.failed(fmt.Errorf("plugin for %s: %w", t.class, err))
			return
		}
		began := time.Now()
		err = t.role.session(t.ctx, c)
		c.Release() // the next session takes the current process: a replaced binary's new one
		switch {
		case t.ctx.Err() != nil:
			return
		case errors.Is(err, errReopen):
			continue
		}
		var exited bool
		if exited, why = pluginExited(c, err); exited {
			if t.opened.Swap(false) {
				outage = time.Now()
			}
			if t.withinRetries(outage) {
				// errors.retry.timeout: a plugin restart does not fail the task while
				// retries last.
				t.log.Warn("the plugin process exited; the task re-opens when it is back", "reason", why,
					"retry_timeout", t.policy.RetryTimeout)
			} else {
				t.setStatus(clusterv1.TaskState_TASK_STATE_FAILED, t.describe(errors.New(why)))
			}
			if time.Since(began) > time.Minute {
				reopens = 0 // it had run a while: start the backoff over
			}
			select {
			case <-t.ctx.Done():
				return
			case <-time.After(restart.Next(reopens)):
			}
			reopens++
			continue
		}
		if err == nil {
			err = errors.New("task loop ended without an error") // never expected
		}
		t.failed(err)
		return
	}
}

// withinRetries says whether errors.retry.timeout still covers an outage that began at since.
func (t *workerTask) withinRetries(since time.Time) bool {
	switch {
	case t.policy.RetryTimeout < 0:
		return true
	case t.policy.RetryTimeout == 0 || since.IsZero():
		return false
	}
	return time.Since(since) < t.policy.RetryTimeout
}

// waitClient waits for the plugin serving the task's class. While errors.retry.timeout
// covers a plugin outage the task keeps its status; once the outage outlasts it, the task
// reports FAILED with why, and waits on.
func (t *workerTask) waitClient(outage time.Time, why string) (*pluginhost.Client, error) {
	if !t.withinRetries(outage) || t.policy.RetryTimeout < 0 {
		return t.r.cfg.Plugins.WaitClient(t.ctx, t.class)
	}
	ctx, cancel := context.WithDeadline(t.ctx, outage.Add(t.policy.RetryTimeout))
	c, err := t.r.cfg.Plugins.WaitClient(ctx, t.class)
	cancel()
	if err == nil || t.ctx.Err() != nil || ctx.Err() == nil {
		return c, err
	}
	t.setStatus(clusterv1.TaskState_TASK_STATE_FAILED, t.describe(fmt.Errorf("%s; still not back after %s=%d",
		why, tolerance.KeyRetryTimeout, t.policy.RetryTimeout.Milliseconds())))
	return t.r.cfg.Plugins.WaitClient(t.ctx, t.class)
}

// failed reports the task FAILED for good and waits, holding its place, until the
// assignment's epoch changes (a restart or a new config) and the runtime stops it.
func (t *workerTask) failed(err error) {
	t.setStatus(clusterv1.TaskState_TASK_STATE_FAILED, t.describe(err))
	<-t.ctx.Done()
}

// describe turns an error into a status trace naming the task.
func (t *workerTask) describe(err error) string {
	return t.redact(fmt.Sprintf("connector %q task %d (epoch %d, %s): %v", t.key.Connector, t.key.Task, t.epoch, t.class, err))
}

// permanentError is an init failure retrying cannot fix, such as a bad converter setting.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// errReopen ends a session so the task re-opens at once (a sink's partitions changed).
var errReopen = errors.New("re-open the task")

// pluginExited tells whether err (or the client) says the plugin process died, and why:
// "plugin <binary> exited: <reason>".
func pluginExited(c *pluginhost.Client, err error) (bool, string) {
	select {
	case <-c.Done():
		return true, exitReason(c)
	default:
	}
	// Unavailable: the connection broke, unless the plugin answers (then it said so itself:
	// a blip, to be retried). Canceled, when the task itself was not stopped (run checks
	// that first): the host closed the connection of a process it saw die.
	code := status.Code(err)
	if code != codes.Unavailable && code != codes.Canceled && !errors.Is(err, errPluginExited) {
		return false, ""
	}
	if code == codes.Unavailable && pluginAnswers(c) {
		return false, ""
	}
	// The connection broke; give the host a moment to see the exit, so the trace says why.
	select {
	case <-c.Done():
		return true, exitReason(c)
	case <-time.After(time.Second):
		return true, fmt.Sprintf("plugin %s exited: %v", c.Binary, err)
	}
}

// pluginAnswers probes the plugin process: any answer to Describe, even an error it chose,
// shows the process and its connection are alive.
func pluginAnswers(c *pluginhost.Client) bool {
	if c.Plugin == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := c.Plugin.Describe(ctx, &pluginv1.DescribeRequest{})
	switch status.Code(err) {
	case codes.Unavailable, codes.Canceled, codes.DeadlineExceeded:
		return false
	}
	return true
}

// alive says whether err left the plugin process alive: false when it died.
func alive(c *pluginhost.Client, err error) bool {
	exited, _ := pluginExited(c, err)
	return !exited
}

func exitReason(c *pluginhost.Client) string {
	err := c.Err()
	switch {
	case err == nil:
		return fmt.Sprintf("plugin %s exited", c.Binary)
	case strings.HasPrefix(err.Error(), "plugin "):
		return err.Error() // the host's own words: "plugin tributary-x exited: signal: killed"
	}
	return fmt.Sprintf("plugin %s exited: %v", c.Binary, err)
}

// errPluginExited ends a session whose plugin's Done channel closed while the task idled.
var errPluginExited = errors.New("plugin process exited")

// rpcContext returns a context for a plugin call made while stopping: the task's own
// context may already be cancelled.
func (t *workerTask) rpcContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.hurry, pluginCloseTimeout)
}

// closePlugin closes the plugin task, unless the process is gone.
func (t *workerTask) closePlugin(c *pluginhost.Client, close func(context.Context, *pluginv1.CloseRequest, ...grpc.CallOption) (*pluginv1.CloseResponse, error)) {
	select {
	case <-c.Done():
		return
	default:
	}
	t.setPhase("the plugin's Close")
	ctx, cancel := t.rpcContext()
	defer cancel()
	if _, err := close(ctx, &pluginv1.CloseRequest{Handle: t.handle}); err != nil {
		t.log.Warn("closing the plugin task failed", "err", err)
	}
}

// openPlugin opens the plugin task with open. A plugin that answers the handle is
// already open holds a task an earlier session of this instance opened and gave up on
// (its Open call was cancelled — the node was fenced, the task stopped — after the
// plugin had begun it): the handle names this instance and epoch, so that task is ours.
// It is closed, and the task opened again, rather than failing the task for it.
func (t *workerTask) openPlugin(c *pluginhost.Client, close func(context.Context, *pluginv1.CloseRequest, ...grpc.CallOption) (*pluginv1.CloseResponse, error), open func() error) error {
	err := open()
	if status.Code(err) != codes.AlreadyExists {
		return err
	}
	t.log.Info("the plugin still held this task from an abandoned open; closing it and opening again")
	t.closePlugin(c, close)
	return open()
}

func (t *workerTask) taskRef() *pluginv1.TaskRef {
	return &pluginv1.TaskRef{Handle: t.handle, Connector: t.key.Connector, Task: t.key.Task}
}

// prepare readies, once per instance, what the task's records pass through: the resolved
// configs, the error policy, the converters and the transforms, all from the connector's
// config, as Kafka Connect does (task configs carry the plugin's split, not these). Its
// errors are permanent: only a new config fixes them.
func (t *workerTask) prepare() error {
	desc, err := t.r.cfg.Plugins.Resolve(t.class)
	if err != nil {
		return fmt.Errorf("resolve connector class %s: %w", t.class, err)
	}
	if err := t.resolveConfigs(desc.ConnectorDescriptor); err != nil {
		return err
	}
	if err := t.checkClients(); err != nil {
		return err
	}
	cfg, defaults := t.connCfg, t.r.cfg.DefaultConverters
	if t.policy, err = tolerance.Parse(cfg, t.connector.Type == clusterv1.ConnectorType_CONNECTOR_TYPE_SINK); err != nil {
		return err
	}
	t.errs = tolerance.NewHandler(t.policy, &t.counts, t.log)
	if t.keyConv, t.valueConv, err = convert.Configure(cfg, defaults); err != nil {
		return err
	}
	if t.headerConv, err = convert.ConfigureHeader(cfg, defaults); err != nil {
		return err
	}
	t.keyClass = converterClass("key.converter", cfg, defaults, convert.DefaultClass)
	t.valueClass = converterClass("value.converter", cfg, defaults, convert.DefaultClass)
	t.headerClass = converterClass("header.converter", cfg, defaults, convert.DefaultHeaderClass)
	chain, err := newTransformChain(cfg)
	if err != nil {
		return fmt.Errorf("transforms: %w", err)
	}
	if chain != nil && chain.Len() > 0 {
		t.chain = chain
	}
	return nil
}

// converterClass is the class name of the converter prop chooses, as Configure chooses it.
func converterClass(prop string, cfg, defaults map[string]string, def string) string {
	c := strings.TrimSpace(cfg[prop])
	if c == "" {
		c = strings.TrimSpace(defaults[prop])
	}
	if c == "" {
		c = def
	}
	return convert.ClassName(c)
}

// transform runs the task's transforms on r: nil when they filtered it out; a failure
// names the TRANSFORMATION stage and the class that failed.
func (t *workerTask) transform(r *pluginv1.Record, msg *sarama.ConsumerMessage) (*pluginv1.Record, *tolerance.Failure) {
	if t.chain == nil {
		return r, nil
	}
	out, err := t.chain.Apply(r)
	if err != nil {
		f := &tolerance.Failure{Stage: tolerance.StageTransformation, Class: transformClass(err), Err: err, Msg: msg}
		if msg == nil {
			f.Rec = r
		}
		return nil, f
	}
	if out == nil {
		t.filtered.Add(1)
	}
	return out, nil
}

// pauseState returns whether the task is paused, and a channel closed when that changes.
func (t *workerTask) pauseState() (bool, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.paused.Load(), t.pauseChange
}

// resolve finds the connector name the plugin knows the class by, checking that it is of
// the wanted type.
func (t *workerTask) resolve(want pluginv1.ConnectorType) (string, error) {
	d, err := t.r.cfg.Plugins.Resolve(t.class)
	if err != nil {
		return "", fmt.Errorf("resolve connector class %s: %w", t.class, err)
	}
	if d.ConnectorDescriptor == nil || d.GetName() == "" {
		return t.class, nil
	}
	if d.GetType() != pluginv1.ConnectorType_CONNECTOR_TYPE_UNSPECIFIED && d.GetType() != want {
		return "", fmt.Errorf("connector class %s is a %s connector, but the connector is a %s",
			t.class, typeWord(d.GetType()), typeWord(want))
	}
	return d.GetName(), nil
}

func typeWord(ct pluginv1.ConnectorType) string {
	return strings.ToLower(strings.TrimPrefix(ct.String(), "CONNECTOR_TYPE_"))
}

// The Kafka clients of a task, as Config.ClientConfig names them.
const (
	clientProducer = "producer"
	clientConsumer = "consumer"
	clientAdmin    = "admin"
)

// checkClients fits each client config of the task to its connector once, so that a
// client override that cannot be applied fails the task at its start, naming the key.
func (t *workerTask) checkClients() error {
	if t.r.cfg.ClientConfig == nil {
		return nil
	}
	for _, client := range []string{clientProducer, clientConsumer, clientAdmin} {
		if err := t.r.cfg.ClientConfig(t.r.kafka.NewConfig(), client, t.connCfg); err != nil {
			return fmt.Errorf("the connector's %s.override.* keys: %w", client, err)
		}
	}
	return nil
}

// kafkaClient is how the task reaches Kafka as one of its clients: the node's client
// config with the connector's overrides for that client applied.
func (t *workerTask) kafkaClient(client string) kafka.Client {
	base := t.r.kafka
	hook := t.r.cfg.ClientConfig
	if hook == nil {
		return base
	}
	return kafka.Client{Brokers: base.Brokers, Config: func() *sarama.Config {
		c := base.NewConfig()
		if err := hook(c, client, t.connCfg); err != nil {
			// checkClients applied the same keys when the task started; only a secret
			// rotated since into something unusable gets here.
			t.log.Warn("the connector's client overrides no longer apply; using the worker's settings", "client", client, "err", err)
			return base.NewConfig()
		}
		return c
	}}
}
