package sdk

import (
	"context"

	"github.com/hashicorp/go-hclog"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// Connector types, for [Definition.Type].
const (
	Source = pluginv1.ConnectorType_CONNECTOR_TYPE_SOURCE
	Sink   = pluginv1.ConnectorType_CONNECTOR_TYPE_SINK
)

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

// Definition describes a connector class. It becomes the ConnectorDescriptor the kernel
// receives from Describe.
type Definition struct {
	// Name is what users write in connector.class, e.g. "file-source".
	Name string
	// Type is Source or Sink.
	Type pluginv1.ConnectorType
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

// Descriptor returns d as the protocol's ConnectorDescriptor.
func (d Definition) Descriptor() *pluginv1.ConnectorDescriptor {
	return &pluginv1.ConnectorDescriptor{
		Name:        d.Name,
		Type:        d.Type,
		Version:     d.Version,
		Aliases:     append([]string(nil), d.Aliases...),
		Description: d.Description,
		Config:      d.Config.Keys(),
	}
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
}

// SourceTask reads from an outside system. The SDK never calls a task's methods
// concurrently, so a task needs no locking of its own.
type SourceTask interface {
	// Open starts the task. offsets are the last committed positions of the connector's
	// source partitions (possibly of partitions this task does not own). ctx bounds
	// the Open call only.
	Open(ctx context.Context, tc TaskContext, offsets []*pluginv1.SourceOffset) error
	// Poll returns the next records. ctx ends at the kernel's poll timeout (or when the
	// task is closed); when nothing is available by then, return nil, nil. Returning a
	// context error after ctx ended also counts as an empty poll. Every record must
	// carry its source partition and offset.
	Poll(ctx context.Context) ([]*pluginv1.Record, error)
	// Commit tells the task which positions the kernel has durably committed, so it may
	// acknowledge them upstream.
	Commit(ctx context.Context, offsets []*pluginv1.SourceOffset) error
	// Close releases the task's resources. It is called once, also after a failed Open.
	Close() error
}

// SinkTask writes records to an outside system. The SDK never calls a task's methods
// concurrently, so a task needs no locking of its own.
type SinkTask interface {
	// Open starts the task on the given Kafka partitions. ctx bounds the Open call only.
	Open(ctx context.Context, tc TaskContext, partitions []*pluginv1.TopicPartition) error
	// Put hands the task a batch of records; it may buffer them. The records are
	// read-only: they share memory (records with equal schemas share one *Schema, and
	// strings and bytes point into the batch's buffer), so copy what you change.
	Put(ctx context.Context, records []*pluginv1.Record) error
	// Flush makes everything put so far durable and returns the offsets that now are,
	// normally exactly offsets. The kernel commits what Flush returns.
	Flush(ctx context.Context, offsets []*pluginv1.TopicPartitionOffset) ([]*pluginv1.TopicPartitionOffset, error)
	// Close releases the task's resources. It is called once, also after a failed Open.
	Close() error
}
