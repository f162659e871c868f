package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
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
	stageKeyConverter    = "KEY_CONVERTER"
	stageValueConverter  = "VALUE_CONVERTER"
	stageHeaderConverter = "HEADER_CONVERTER"
	stageTransformation  = "TRANSFORMATION"
	stageTaskPut         = "TASK_PUT"
	stageTaskPoll        = "TASK_POLL"
	stageKafkaProduce    = "KAFKA_PRODUCE"
)

// The connector config keys of error handling, as Kafka Connect's ConnectorConfig and
// SinkConnectorConfig define them.
const (
	keyErrorsTolerance    = "errors.tolerance"
	keyErrorsRetryTimeout = "errors.retry.timeout"
	keyErrorsRetryDelay   = "errors.retry.delay.max.ms"
	keyErrorsLog          = "errors.log.enable"
	keyErrorsLogMessages  = "errors.log.include.messages"
	keyDLQTopic           = "errors.deadletterqueue.topic.name"
	keyDLQReplication     = "errors.deadletterqueue.topic.replication.factor"
	keyDLQContextHeaders  = "errors.deadletterqueue.context.headers.enable"
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

// errorPolicy is a connector's error handling config.
type errorPolicy struct {
	// tolerateAll skips (sinks: dead-letters) records that fail a stage; otherwise the
	// first such record fails the task.
	tolerateAll bool
	// retryTimeout bounds how long a retriable failure is retried: 0 not at all, < 0
	// forever.
	retryTimeout time.Duration
	// maxDelay caps the wait between two retries.
	maxDelay time.Duration
	// logErrors logs every failed record (with its content if logMessages).
	logErrors, logMessages bool
	// dlqTopic, sinks only, receives the records tolerated failures skip.
	dlqTopic       string
	dlqReplication int16
	dlqHeaders     bool
}

// parseErrorPolicy reads the errors.* keys of a connector's config, with upstream's
// defaults, refusing values upstream refuses. The dead letter queue keys apply to sinks.
func parseErrorPolicy(cfg map[string]string, sink bool) (errorPolicy, error) {
	p := errorPolicy{maxDelay: time.Minute, dlqReplication: 3}
	var errs []error
	switch v := strings.ToLower(strings.TrimSpace(cfg[keyErrorsTolerance])); v {
	case "", "none":
	case "all":
		p.tolerateAll = true
	default:
		errs = append(errs, fmt.Errorf("Invalid value %s for configuration %s: String must be one of: none, all", cfg[keyErrorsTolerance], keyErrorsTolerance))
	}
	if ms, err := longKey(cfg, keyErrorsRetryTimeout, 0); err != nil {
		errs = append(errs, err)
	} else if ms < -1 {
		errs = append(errs, fmt.Errorf("Invalid value %d for configuration %s: must be -1 (retry forever), 0 (no retries) or a timeout in milliseconds", ms, keyErrorsRetryTimeout))
	} else if ms < 0 {
		p.retryTimeout = -1
	} else {
		p.retryTimeout = time.Duration(ms) * time.Millisecond
	}
	if ms, err := longKey(cfg, keyErrorsRetryDelay, 60000); err != nil {
		errs = append(errs, err)
	} else if ms < 0 {
		errs = append(errs, fmt.Errorf("Invalid value %d for configuration %s: Value must be at least 0", ms, keyErrorsRetryDelay))
	} else {
		p.maxDelay = time.Duration(ms) * time.Millisecond
	}
	var err error
	if p.logErrors, err = boolKey(cfg, keyErrorsLog, false); err != nil {
		errs = append(errs, err)
	}
	if p.logMessages, err = boolKey(cfg, keyErrorsLogMessages, false); err != nil {
		errs = append(errs, err)
	}
	if sink {
		p.dlqTopic = strings.TrimSpace(cfg[keyDLQTopic])
		if rf, err := longKey(cfg, keyDLQReplication, 3); err != nil {
			errs = append(errs, err)
		} else if rf < -1 || rf == 0 || rf > 32767 {
			errs = append(errs, fmt.Errorf("Invalid value %d for configuration %s: must be -1 (the broker's default) or at least 1", rf, keyDLQReplication))
		} else {
			p.dlqReplication = int16(rf)
		}
		if p.dlqHeaders, err = boolKey(cfg, keyDLQContextHeaders, false); err != nil {
			errs = append(errs, err)
		}
	}
	return p, errors.Join(errs...)
}

// longKey, intKey and boolKey read a LONG, INT or BOOLEAN key as ConfigDef parses one
// (kc), refusing a bad value in ConfigDef's words; absent or blank means def.
func longKey(cfg map[string]string, key string, def int64) (int64, error) {
	v, ok := cfg[key]
	if !ok || kc.Trim(v) == "" {
		return def, nil
	}
	n, ok := kc.ParseLong(v)
	if !ok {
		return 0, kc.CheckConfigValue(kc.TypeLong, key, v)
	}
	return n, nil
}

func intKey(cfg map[string]string, key string, def int) (int, error) {
	v, ok := cfg[key]
	if !ok || kc.Trim(v) == "" {
		return def, nil
	}
	n, ok := kc.ParseInt(v)
	if !ok {
		return 0, kc.CheckConfigValue(kc.TypeInt, key, v)
	}
	return int(n), nil
}

func boolKey(cfg map[string]string, key string, def bool) (bool, error) {
	v, ok := cfg[key]
	if !ok || kc.Trim(v) == "" {
		return def, nil
	}
	b, ok := kc.ParseBool(v)
	if !ok {
		return false, kc.CheckConfigValue(kc.TypeBoolean, key, v)
	}
	return b, nil
}

// retriesExhausted is a retriable failure that outlasted errors.retry.timeout.
type retriesExhausted struct {
	err      error
	attempts int
	timeout  time.Duration
}

func (e *retriesExhausted) Error() string {
	return fmt.Sprintf("%v (gave up after %d attempts: %s=%d)", e.err, e.attempts, keyErrorsRetryTimeout, e.timeout.Milliseconds())
}

func (e *retriesExhausted) Unwrap() error { return e.err }

// retry runs op until it succeeds, fails in a way retriable does not accept, the policy's
// retry budget (errors.retry.timeout, counted from the first failure) is spent, or ctx
// ends; between attempts it waits 300ms, 600ms, 1.2s, … at most errors.retry.delay.max.ms,
// as upstream. It returns op's last error.
func (p errorPolicy) retry(ctx context.Context, log *slog.Logger, what string, retriable func(error) bool, op func() error) error {
	var deadline time.Time
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || p.retryTimeout == 0 || ctx.Err() != nil || !retriable(err) {
			return err
		}
		wait := p.backoff(attempt)
		if p.retryTimeout > 0 {
			if deadline.IsZero() {
				deadline = time.Now().Add(p.retryTimeout)
			}
			left := time.Until(deadline)
			if left <= 0 {
				return &retriesExhausted{err: err, attempts: attempt, timeout: p.retryTimeout}
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

// backoff is the wait after the attempt-th failure (attempt counts from 1): 300ms
// doubling, at most errors.retry.delay.max.ms, at least 1ms. Upstream waits a random time
// below the maximum once the doubling passes it; this waits the maximum, so the
// producer's retries (producerConfig) can be fitted to the schedule.
func (p errorPolicy) backoff(attempt int) time.Duration {
	if p.maxDelay <= 0 {
		return time.Millisecond
	}
	return max(kc.Backoff{Initial: retryDelayMin, Max: p.maxDelay}.Next(attempt-1), time.Millisecond)
}

// untilDone is the policy for a plugin's own retriable answers (put, flush, poll): as
// upstream treats a task's RetriableException, they are retried with backoff for as long
// as the task runs, whatever errors.retry.timeout says, so a plugin or backend blip never
// fails the task. errors.retry.timeout still bounds the stages it bounds upstream.
func (p errorPolicy) untilDone() errorPolicy {
	p.retryTimeout = -1
	return p
}

// retriableKafka says whether a Kafka client error is one Kafka calls retriable (its
// RetriableException family) or a broken connection: worth trying again after a while.
func retriableKafka(err error) bool {
	var kerr sarama.KError
	if errors.As(err, &kerr) {
		switch kerr {
		case sarama.ErrUnknownTopicOrPartition, sarama.ErrLeaderNotAvailable, sarama.ErrNotLeaderForPartition,
			sarama.ErrRequestTimedOut, sarama.ErrNetworkException, sarama.ErrNotEnoughReplicas,
			sarama.ErrNotEnoughReplicasAfterAppend, sarama.ErrInvalidMessage, sarama.ErrKafkaStorageError,
			sarama.ErrFencedLeaderEpoch, sarama.ErrUnknownLeaderEpoch, sarama.ErrNotController,
			sarama.ErrConsumerCoordinatorNotAvailable, sarama.ErrNotCoordinatorForConsumer,
			sarama.ErrOffsetsLoadInProgress, sarama.ErrReplicaNotAvailable, sarama.ErrOffsetNotAvailable,
			sarama.ErrThrottlingQuotaExceeded, sarama.ErrPreferredLeaderNotAvailable, sarama.ErrConcurrentTransactions:
			return true
		}
		return false
	}
	switch {
	case errors.Is(err, sarama.ErrOutOfBrokers), errors.Is(err, sarama.ErrNotConnected),
		errors.Is(err, sarama.ErrBrokerNotAvailable),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	var nerr net.Error
	return errors.As(err, &nerr)
}

// retriableCode says whether a plugin's gRPC status asks to be tried again: the service
// is unavailable (a backend blip), out of resources, aborted, or timed out.
func retriableCode(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.Aborted, codes.DeadlineExceeded:
		return true
	}
	return false
}

// failure is one record that failed one stage of its path.
type failure struct {
	stage string
	class string // what ran the stage: a converter's, transform's or connector's class
	err   error
	msg   *sarama.ConsumerMessage // a sink's record as consumed
	rec   *pluginv1.Record        // a source's record as polled
}

// where names the record: its topic, partition and offset as consumed (sinks), or its
// topic and source coordinates (sources).
func (f *failure) where() string {
	if m := f.msg; m != nil {
		return fmt.Sprintf("topic %q partition %d offset %d", m.Topic, m.Partition, m.Offset)
	}
	r := f.rec
	return fmt.Sprintf("topic %q (source partition %s, source offset %s)", r.GetTopic(), r.GetSourcePartition(), r.GetSourceOffset())
}

// exceptionClass is the Java exception class upstream would have raised.
func (f *failure) exceptionClass() string {
	switch f.stage {
	case stageTaskPut, stageTaskPoll:
		if _, ok := errors.AsType[*retriesExhausted](f.err); ok {
			return retriableExceptionClass
		}
		return connectExceptionClass
	case stageKafkaProduce:
		return kafkaExceptionClass
	}
	return dataExceptionClass
}

// message is the error's message; a plugin's gRPC status gives just its description.
func (f *failure) message() string {
	if s, ok := status.FromError(f.err); ok && s.Code() != codes.OK && s.Err().Error() == f.err.Error() {
		return s.Message()
	}
	return f.err.Error()
}

// toleranceError ends a task whose errors.tolerance is none: it names the record, the
// stage and why.
type toleranceError struct{ f *failure }

func (e *toleranceError) Error() string {
	return fmt.Sprintf("Tolerance exceeded in error handler: stage %s (%s) failed on the record at %s: %v",
		e.f.stage, e.f.class, e.f.where(), e.f.err)
}

func (e *toleranceError) Unwrap() error { return e.f.err }

// errorHandler applies a task's error policy to records that failed a stage, as
// upstream's RetryWithToleranceOperator with its log and dead letter queue reporters.
type errorHandler struct {
	policy errorPolicy
	t      *workerTask
	dlq    *deadLetterQueue // sinks with errors.deadletterqueue.topic.name

	mu         sync.Mutex
	lastWarn   time.Time
	suppressed int
}

// skipWarnEvery bounds how often skipped records are logged when errors.log.enable is off.
const skipWarnEvery = 5 * time.Second

// handle deals with a failed record. With errors.tolerance=none it returns the error that
// fails the task. With all it logs the record (errors.log.enable), writes it to the dead
// letter queue if there is one, counts it, and returns nil: the record is done, and its
// offset may be committed. An error writing to the dead letter queue is returned: the
// record must not be skipped unrecorded.
func (h *errorHandler) handle(ctx context.Context, f *failure) error {
	h.t.failures.Add(1)
	if h.policy.logErrors {
		h.log(slog.LevelError, "Error encountered in task", f)
	}
	if !h.policy.tolerateAll {
		return &toleranceError{f}
	}
	if h.dlq != nil && f.msg != nil {
		if err := h.dlq.send(ctx, h, f); err != nil {
			return fmt.Errorf("write the record at %s, which failed stage %s (%v), to the dead letter queue %q: %w",
				f.where(), f.stage, f.err, h.dlq.topic, err)
		}
		h.t.deadLettered.Add(1)
		return nil
	}
	n := h.t.skipped.Add(1)
	if h.policy.logErrors {
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
	h.log(slog.LevelWarn, "record skipped: it failed and errors.tolerance=all, with no dead letter queue", f,
		"skipped_total", n, "skipped_unlogged", suppressed)
	return nil
}

// log logs a failed record's coordinates, and its content if errors.log.include.messages.
func (h *errorHandler) log(level slog.Level, msg string, f *failure, extra ...any) {
	args := []any{"stage", f.stage, "class", f.class}
	if m := f.msg; m != nil {
		args = append(args, "topic", m.Topic, "partition", m.Partition, "offset", m.Offset)
		if !m.Timestamp.IsZero() {
			args = append(args, "timestamp", m.Timestamp.UnixMilli())
		}
		if h.policy.logMessages {
			args = append(args, "key", bytesText(m.Key), "value", bytesText(m.Value))
		}
	} else if r := f.rec; r != nil {
		args = append(args, "topic", r.GetTopic(), "source_partition", string(r.GetSourcePartition()),
			"source_offset", string(r.GetSourceOffset()))
		if h.policy.logMessages {
			args = append(args, "key", r.GetKey().String(), "value", r.GetValue().String())
		}
	}
	args = append(args, "err", f.err)
	h.t.log.Log(context.Background(), level, msg, append(args, extra...)...)
}

func bytesText(b []byte) string {
	if b == nil {
		return "null"
	}
	return string(b)
}
