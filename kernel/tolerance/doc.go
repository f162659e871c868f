// Package tolerance is Kafka Connect's error handling for records, as a connector's
// errors.* keys configure it: which stage a record failed (KEY_CONVERTER,
// VALUE_CONVERTER, HEADER_CONVERTER, TRANSFORMATION, TASK_PUT, TASK_POLL,
// KAFKA_PRODUCE), retries of retriable failures with upstream's backoff while
// errors.retry.timeout lasts, and what a failed record then does — fail the task with a
// trace naming the record and the stage (errors.tolerance=none), or be logged, written to
// a sink's dead letter queue with upstream's __connect.errors.* headers, or skipped and
// counted (all). A record is in the dead letter queue before its offset may be committed.
//
// It owns the policy, not the loop: it does not poll, put, produce or commit (kernel/runtime
// calls it with each failure), and reaches Kafka only for the dead letter queue, through
// kernel/kafka.
package tolerance
