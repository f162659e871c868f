// Package kafka is the Kafka client side of task execution: the sarama client config
// tasks start from (an idempotent producer waiting for all in-sync replicas, retries
// fitted to a connector's errors.retry.timeout) and the settings the task loop forces on
// any config a user gives, a partitioner that places records as Kafka's Java producer
// does, which Kafka errors are worth retrying, and the topic creation of source
// connectors (KIP-158's topic.creation.* groups) and of dead letter queues.
//
// It owns how Tributary talks to Kafka, not what it says: it does not run tasks, track
// offsets or apply error policy (kernel/runtime, kernel/tolerance), and holds no state
// beyond the clients it is asked to open.
package kafka
