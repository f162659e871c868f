package sdk

import (
	"context"

	"github.com/hashicorp/go-hclog"
)

// ConnectorType says whether a connector reads into Kafka or writes out of it.
type ConnectorType int

// Connector types, for [Definition.Type].
const (
	Source ConnectorType = 1
	Sink   ConnectorType = 2
)

func (t ConnectorType) String() string {
	switch t {
	case Source:
		return "source"
	case Sink:
		return "sink"
	}
	return "unknown"
}

// Connector is one connector class served by a plugin binary. Its methods may be called
// concurrently (validation and task splitting are stateless); every task it creates is a
// separate value.
type Connector interface {
	// Definition describes the connector: its name, type, aliases and config keys.
	// It is called once, when Serve starts.
	Definition() Definition
	// Validate checks cfg beyond the generic checks the SDK already made against the
	// definition's ConfigDef (required keys, types). cfg has defaults applied.
	Validate(cfg Config) []ConfigError
	// TaskConfigs splits the connector's work into at most maxTasks task configs.
	// cfg has defaults applied and has passed validation.
	TaskConfigs(cfg Config, maxTasks int) ([]map[string]string, error)
	// NewSourceTask returns a new, unopened task of a source connector; nil for sinks.
	NewSourceTask() SourceTask
	// NewSinkTask returns a new, unopened task of a sink connector; nil for sources.
	NewSinkTask() SinkTask
}

// ConnectorBase gives a Connector defaults for the methods most connectors do not need:
// no validation beyond the generic checks, one task with the connector's config, and no
// task of the other kind. Embed it and override what you need.
type ConnectorBase struct{}

// Validate reports no errors.
func (ConnectorBase) Validate(Config) []ConfigError { return nil }

// TaskConfigs returns a single task config equal to the connector's config.
func (ConnectorBase) TaskConfigs(cfg Config, _ int) ([]map[string]string, error) {
	return []map[string]string{cfg.Clone()}, nil
}

// NewSourceTask returns nil.
func (ConnectorBase) NewSourceTask() SourceTask { return nil }

// NewSinkTask returns nil.
func (ConnectorBase) NewSinkTask() SinkTask { return nil }

// Definition describes a connector class, as the kernel lists it.
type Definition struct {
	// Name is what users write in connector.class, e.g. "file-source".
	Name string
	// Type is Source or Sink.
	Type ConnectorType
	// Version is the connector's version, e.g. "1.2.0".
	Version string
	// Aliases are other accepted connector.class values, such as Kafka Connect class
	// names ("org.apache.kafka.connect.file.FileStreamSourceConnector").
	Aliases []string
	// Description is one sentence for listings.
	Description string
	// Config defines the connector's config keys. nil means none.
	Config *ConfigDef
}

// TaskContext tells a task who it is and how it is configured.
type TaskContext struct {
	// Handle names the task in this plugin process; the kernel chose it.
	Handle string
	// Connector is the connector instance's name, e.g. "orders-file".
	Connector string
	// Task is the task's number within its connector.
	Task int
	// Class is the connector.class the kernel asked for (the name or an alias).
	Class string
	// Config is the task's config with defaults applied; it passed the generic checks.
	Config Config
	// Logger logs to the kernel (through the plugin's stderr), tagged with connector
	// and task.
	Logger hclog.Logger
	// Committed holds the connector's committed source offsets when a source task
	// opens, also of partitions other tasks own; [TaskContext.Offset] looks one up.
	Committed []CommittedOffset
}

// Offset returns the last committed offset of source partition p (compared by
// content), as Kafka Connect's OffsetStorageReader.offset; ok is false when there is
// none. Only source tasks have offsets.
func (tc TaskContext) Offset(p Partition) (Offset, bool) {
	for _, o := range tc.Committed {
		if sameSourceMap(o.Partition, p) {
			return o.Offset, true
		}
	}
	return Offset{}, false
}

// SourceTask reads from an outside system. The SDK never calls a task's methods
// concurrently, so a task needs no locking of its own.
type SourceTask interface {
	// Open starts the task; tc.Offset gives the committed position to resume from.
	// ctx bounds the Open call only.
	Open(ctx context.Context, tc TaskContext) error
	// Poll returns the next records. ctx ends at the kernel's poll timeout (or when the
	// task is closed); when nothing is available by then, return nil, nil. Returning a
	// context error after ctx ended also counts as an empty poll. Every record must
	// carry its source partition and offset. The SDK hands the kernel at most as many
	// records as it asks for and keeps the rest for the next polls.
	Poll(ctx context.Context) ([]SourceRecord, error)
	// Commit tells the task which positions the kernel has durably committed, so it may
	// acknowledge them upstream.
	Commit(ctx context.Context, offsets []CommittedOffset) error
	// Close releases the task's resources. It is called once, also after a failed Open.
	Close() error
}

// SinkTask writes records to an outside system. The SDK never calls a task's methods
// concurrently, so a task needs no locking of its own.
type SinkTask interface {
	// Open starts the task on the given Kafka partitions. ctx bounds the Open call only.
	Open(ctx context.Context, tc TaskContext, partitions []TopicPartition) error
	// Put hands the task a batch of records; it may buffer them. Strings and bytes in
	// the records share the batch's memory: copy bytes you modify.
	Put(ctx context.Context, records []SinkRecord) error
	// Flush makes everything put so far durable and returns the offsets (the next
	// offset to consume, per partition) that now are, normally exactly offsets. The
	// kernel commits what Flush returns; it ignores partitions it did not give.
	Flush(ctx context.Context, offsets map[TopicPartition]int64) (map[TopicPartition]int64, error)
	// Close releases the task's resources. It is called once, also after a failed Open.
	Close() error
}
