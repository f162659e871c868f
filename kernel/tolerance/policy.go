package tolerance

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
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/plugins/kc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// The stages a record passes, named as Kafka Connect's errors.Stage names them: they appear
// in logs, traces and the __connect.errors.stage header of dead-lettered records.
const (
	StageKeyConverter    = "KEY_CONVERTER"
	StageValueConverter  = "VALUE_CONVERTER"
	StageHeaderConverter = "HEADER_CONVERTER"
	StageTransformation  = "TRANSFORMATION"
	StageTaskPut         = "TASK_PUT"
	StageTaskPoll        = "TASK_POLL"
	StageKafkaProduce    = "KAFKA_PRODUCE"
)

// The connector config keys of error handling, as Kafka Connect's ConnectorConfig and
// SinkConnectorConfig define them.
const (
	keyErrorsTolerance   = "errors.tolerance"
	KeyRetryTimeout      = "errors.retry.timeout"
	keyErrorsRetryDelay  = "errors.retry.delay.max.ms"
	keyErrorsLog         = "errors.log.enable"
	keyErrorsLogMessages = "errors.log.include.messages"
	KeyDLQTopic          = "errors.deadletterqueue.topic.name"
	keyDLQReplication    = "errors.deadletterqueue.topic.replication.factor"
	keyDLQContextHeaders = "errors.deadletterqueue.context.headers.enable"
)

// retryDelayMin is the first wait between retries, doubled on each further attempt:
// upstream's RetryWithToleranceOperator.RETRIES_DELAY_MIN_MS.
const retryDelayMin = 300 * time.Millisecond

// The Java exception class names dead-lettered records carry, so tooling written for Kafka
// Connect's __connect.errors.exception.class.name keeps working.
const (
	dataExceptionClass      = "org.apache.kafka.connect.errors.DataException"
	connectExceptionClass   = "org.apache.kafka.connect.errors.ConnectException"
	retriableExceptionClass = "org.apache.kafka.connect.errors.RetriableException"
	kafkaExceptionClass     = "org.apache.kafka.common.KafkaException"
)

// Policy is a connector's error handling config.
type Policy struct {
	// TolerateAll skips (sinks: dead-letters) records that fail a stage; otherwise the
	// first such record fails the task.
	TolerateAll bool
	// RetryTimeout bounds how long a retriable failure is retried: 0 not at all, < 0
	// forever.
	RetryTimeout time.Duration
	// MaxDelay caps the wait between two retries.
	MaxDelay time.Duration
	// LogErrors logs every failed record (with its content if LogMessages).
	LogErrors, LogMessages bool
	// DLQTopic, sinks only, receives the records tolerated failures skip.
	DLQTopic       string
	DLQReplication int16
	DLQHeaders     bool
}

// Parse reads the errors.* keys of a connector's config, with upstream's
// defaults, refusing values upstream refuses. The dead letter queue keys apply to sinks.
func Parse(cfg map[string]string, sink bool) (Policy, error) {
	p := Policy{MaxDelay: time.Minute, DLQReplication: 3}
	var errs []error
	switch v := strings.ToLower(strings.TrimSpace(cfg[keyErrorsTolerance])); v {
	case "", "none":
	case "all":
		p.TolerateAll = true
	default:
		errs = append(errs, fmt.Errorf("Invalid value %s for configuration %s: String must be one of: none, all", cfg[keyErrorsTolerance], keyErrorsTolerance))
	}
	if ms, err := kc.Long(cfg, KeyRetryTimeout, 0); err != nil {
		errs = append(errs, err)
	} else if ms < -1 {
		errs = append(errs, fmt.Errorf("Invalid value %d for configuration %s: must be -1 (retry forever), 0 (no retries) or a timeout in milliseconds", ms, KeyRetryTimeout))
	} else if ms < 0 {
		p.RetryTimeout = -1
	} else {
		p.RetryTimeout = time.Duration(ms) * time.Millisecond
	}
	if ms, err := kc.Long(cfg, keyErrorsRetryDelay, 60000); err != nil {
		errs = append(errs, err)
	} else if ms < 0 {
		errs = append(errs, fmt.Errorf("Invalid value %d for configuration %s: Value must be at least 0", ms, keyErrorsRetryDelay))
	} else {
		p.MaxDelay = time.Duration(ms) * time.Millisecond
	}
	var err error
	if p.LogErrors, err = kc.Bool(cfg, keyErrorsLog, false); err != nil {
		errs = append(errs, err)
	}
	if p.LogMessages, err = kc.Bool(cfg, keyErrorsLogMessages, false); err != nil {
		errs = append(errs, err)
	}
	if sink {
		p.DLQTopic = strings.TrimSpace(cfg[KeyDLQTopic])
		if rf, err := kc.Long(cfg, keyDLQReplication, 3); err != nil {
			errs = append(errs, err)
		} else if rf < -1 || rf == 0 || rf > 32767 {
			errs = append(errs, fmt.Errorf("Invalid value %d for configuration %s: must be -1 (the broker's default) or at least 1", rf, keyDLQReplication))
		} else {
			p.DLQReplication = int16(rf)
		}
		if p.DLQHeaders, err = kc.Bool(cfg, keyDLQContextHeaders, false); err != nil {
			errs = append(errs, err)
		}
	}
	return p, errors.Join(errs...)
}

// RetriesExhausted is a retriable failure that outlasted errors.retry.timeout.
type RetriesExhausted struct {
	Err      error
	Attempts int
	Timeout  time.Duration
}

func (e *RetriesExhausted) Error() string {
	return fmt.Sprintf("%v (gave up after %d attempts: %s=%d)", e.Err, e.Attempts, KeyRetryTimeout, e.Timeout.Milliseconds())
}

func (e *RetriesExhausted) Unwrap() error { return e.Err }

// Retry runs op until it succeeds, fails in a way retriable does not accept, the policy's
// retry budget (errors.retry.timeout, counted from the first failure) is spent, or ctx
// ends; between attempts it waits 300ms, 600ms, 1.2s, … at most errors.retry.delay.max.ms,
// as upstream. It returns op's last error.
func (p Policy) Retry(ctx context.Context, log *slog.Logger, what string, retriable func(error) bool, op func() error) error {
	var deadline time.Time
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || p.RetryTimeout == 0 || ctx.Err() != nil || !retriable(err) {
			return err
		}
		wait := p.Backoff(attempt)
		if p.RetryTimeout > 0 {
			if deadline.IsZero() {
				deadline = time.Now().Add(p.RetryTimeout)
			}
			left := time.Until(deadline)
			if left <= 0 {
				return &RetriesExhausted{Err: err, Attempts: attempt, Timeout: p.RetryTimeout}
			}
			wait = min(wait, left)
		}
		log.Warn("retriable failure; retrying", "operation", what, "attempt", attempt, "backoff", wait, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// Backoff is the wait after the attempt-th failure (attempt counts from 1): 300ms
// doubling, at most errors.retry.delay.max.ms, at least 1ms. Upstream waits a random time
// below the maximum once the doubling passes it; this waits the maximum, so the
// producer's retries (kafka.FitRetries) can be fitted to the schedule.
func (p Policy) Backoff(attempt int) time.Duration {
	if p.MaxDelay <= 0 {
		return time.Millisecond
	}
	return max(kc.Backoff{Initial: retryDelayMin, Max: p.MaxDelay}.Next(attempt-1), time.Millisecond)
}

// UntilDone is the policy for a plugin's own retriable answers (put, flush, poll): as
// upstream treats a task's RetriableException, they are retried with backoff for as long
// as the task runs, whatever errors.retry.timeout says, so a plugin or backend blip never
// fails the task. errors.retry.timeout still bounds the stages it bounds upstream.
func (p Policy) UntilDone() Policy {
	p.RetryTimeout = -1
	return p
}

// RetriableCode says whether a plugin's gRPC status asks to be tried again: the service
// is unavailable (a backend blip), out of resources, aborted, or timed out.
func RetriableCode(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.Aborted, codes.DeadlineExceeded:
		return true
	}
	return false
}

// Failure is one record that failed one stage of its path.
type Failure struct {
	Stage string
	Class string // what ran the stage: a converter's, transform's or connector's class
	Err   error
	Msg   *sarama.ConsumerMessage // a sink's record as consumed
	Rec   *pluginv1.Record        // a source's record as polled
}

// where names the record: its topic, partition and offset as consumed (sinks), or its
// topic and source coordinates (sources).
func (f *Failure) Where() string {
	if m := f.Msg; m != nil {
		return fmt.Sprintf("topic %q partition %d offset %d", m.Topic, m.Partition, m.Offset)
	}
	r := f.Rec
	return fmt.Sprintf("topic %q (source partition %s, source offset %s)", r.GetTopic(), r.GetSourcePartition(), r.GetSourceOffset())
}

// exceptionClass is the Java exception class upstream would have raised.
func (f *Failure) ExceptionClass() string {
	switch f.Stage {
	case StageTaskPut, StageTaskPoll:
		if _, ok := errors.AsType[*RetriesExhausted](f.Err); ok {
			return retriableExceptionClass
		}
		return connectExceptionClass
	case StageKafkaProduce:
		return kafkaExceptionClass
	}
	return dataExceptionClass
}

// message is the error's message; a plugin's gRPC status gives just its description.
func (f *Failure) Message() string {
	if s, ok := status.FromError(f.Err); ok && s.Code() != codes.OK && s.Err().Error() == f.Err.Error() {
		return s.Message()
	}
	return f.Err.Error()
}

// ToleranceError ends a task whose errors.tolerance is none: it names the record, the
// stage and why.
type ToleranceError struct{ f *Failure }

func (e *ToleranceError) Error() string {
	return fmt.Sprintf("Tolerance exceeded in error handler: stage %s (%s) failed on the record at %s: %v",
		e.f.Stage, e.f.Class, e.f.Where(), e.f.Err)
}

func (e *ToleranceError) Unwrap() error { return e.f.Err }

// Handler applies a task's error policy to records that failed a stage, as upstream's
// RetryWithToleranceOperator with its log and dead letter queue reporters.
type Handler struct {
	policy Policy
	counts *Counts
	log    *slog.Logger
	dlq    *DeadLetterQueue // sinks with errors.deadletterqueue.topic.name

	mu         sync.Mutex
	lastWarn   time.Time
	suppressed int
}

// Counts are a task's failed records: all of them, those skipped with no dead letter
// queue to write them to, and those written to the dead letter queue.
type Counts struct {
	Failures, Skipped, DeadLettered atomic.Int64
}

// NewHandler returns the handler of a task's failed records under policy, counting them
// in counts and logging them to log.
func NewHandler(policy Policy, counts *Counts, log *slog.Logger) *Handler {
	return &Handler{policy: policy, counts: counts, log: log}
}

// SetDeadLetterQueue makes the handler write the records it tolerates to dlq.
func (h *Handler) SetDeadLetterQueue(dlq *DeadLetterQueue) { h.dlq = dlq }

// skipWarnEvery bounds how often skipped records are logged when errors.log.enable is off.
const skipWarnEvery = 5 * time.Second

// Handle deals with a failed record. With errors.tolerance=none it returns the error that
// fails the task. With all it logs the record (errors.log.enable), writes it to the dead
// letter queue if there is one, counts it, and returns nil: the record is done, and its
// offset may be committed. An error writing to the dead letter queue is returned: the
// record must not be skipped unrecorded.
func (h *Handler) Handle(ctx context.Context, f *Failure) error {
	h.counts.Failures.Add(1)
	if h.policy.LogErrors {
		h.logFailure(slog.LevelError, "Error encountered in task", f)
	}
	if !h.policy.TolerateAll {
		return &ToleranceError{f}
	}
	if h.dlq != nil && f.Msg != nil {
		if err := h.dlq.send(ctx, h, f); err != nil {
			return fmt.Errorf("write the record at %s, which failed stage %s (%v), to the dead letter queue %q: %w",
				f.Where(), f.Stage, f.Err, h.dlq.topic, err)
		}
		h.counts.DeadLettered.Add(1)
		return nil
	}
	n := h.counts.Skipped.Add(1)
	if h.policy.LogErrors {
		return nil
	}
	// errors.tolerance=all without a dead letter queue skips the record, as upstream; it
	// is never skipped silently: say so, at most every few seconds.
	h.mu.Lock()
	now := time.Now()
	if now.Sub(h.lastWarn) < skipWarnEvery {
		h.suppressed++
		h.mu.Unlock()
		return nil
	}
	suppressed := h.suppressed
	h.lastWarn, h.suppressed = now, 0
	h.mu.Unlock()
	h.logFailure(slog.LevelWarn, "record skipped: it failed and errors.tolerance=all, with no dead letter queue", f,
		"skipped_total", n, "skipped_unlogged", suppressed)
	return nil
}

// logFailure logs a failed record's coordinates, and its content if errors.log.include.messages.
func (h *Handler) logFailure(level slog.Level, msg string, f *Failure, extra ...any) {
	args := []any{"stage", f.Stage, "class", f.Class}
	if m := f.Msg; m != nil {
		args = append(args, "topic", m.Topic, "partition", m.Partition, "offset", m.Offset)
		if !m.Timestamp.IsZero() {
			args = append(args, "timestamp", m.Timestamp.UnixMilli())
		}
		if h.policy.LogMessages {
			args = append(args, "key", bytesText(m.Key), "value", bytesText(m.Value))
		}
	} else if r := f.Rec; r != nil {
		args = append(args, "topic", r.GetTopic(), "source_partition", string(r.GetSourcePartition()),
			"source_offset", string(r.GetSourceOffset()))
		if h.policy.LogMessages {
			args = append(args, "key", r.GetKey().String(), "value", r.GetValue().String())
		}
	}
	args = append(args, "err", f.Err)
	h.log.Log(context.Background(), level, msg, append(args, extra...)...)
}

func bytesText(b []byte) string {
	if b == nil {
		return "null"
	}
	return string(b)
}
