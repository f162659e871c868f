// Package runtime executes the connector tasks of one kernel node: the herder
// (kernel/herder) decides which to start, stop, pause and hand off, and the runtime runs
// each instance. A source task polls its plugin in batches, converts records and
// produces them to Kafka with an idempotent producer, tracking acks so that only offsets
// of records Kafka has acknowledged — contiguously, in poll order — are ever committed; a
// sink task consumes its share of the connector's topic-partitions from the committed
// offsets, converts and puts records to its plugin in batches, and commits what the
// plugin's Flush says is durable. Offsets of all tasks on the node are committed in one
// batched CommitOffsets command per interval, each fenced by its task's assignment epoch;
// status goes through ReportTaskStatus. A refused epoch stops the instance quietly (the
// herder then starts no instance of that epoch again), StopAll stops everything when the
// node loses its lease, and a source checks the lease once more right before each batch
// it produces. A task handed off from this node drains, commits under its epoch and is
// then released to its next node. A stop of the node is bounded by ShutdownTimeout. When
// a plugin process dies, its tasks report FAILED and re-open from their committed offsets
// once it is back.//
// It also owns the record path Kafka Connect users rely on, read from the connector's
// config when a task starts: config provider placeholders are resolved then (never stored
// resolved; what they resolve to, and secret keys' values, never reach a log or trace);
// records pass the transforms where upstream runs them (sources: before the key, value and
// header converters; sinks: after); records a transform filters out, or a tolerated
// failure skips, still count as processed, so offsets advance; and sources create their
// topics as topic.creation.* says before the first record is produced to them. What a
// record that fails a stage then does (fail the task, retry, dead letter queue, skip) is
// kernel/tolerance's; how Kafka is reached (client config, partitioner, topic creation,
// retriable errors) is kernel/kafka's.
//
// It owns task execution on one node only. It does not decide where tasks run
// (kernel/scheduler) or which run here (kernel/herder), touch Raft (it only uses the
// state.Store interface kernel/cluster implements), launch plugin processes
// (kernel/pluginhost), or define data formats (kernel/convert).
package runtime
