package main

import "github.com/tributary-dev/tributary/plugins/sdk"

// connector is Confluent's S3 sink connector class.
type connector struct{ sdk.ConnectorBase }

func (connector) Definition() sdk.Definition {
	return sdk.Definition{
		Name:        "s3-sink",
		Type:        sdk.Sink,
		Version:     version,
		Aliases:     []string{"io.confluent.connect.s3.S3SinkConnector", "S3SinkConnector"},
		Description: "Writes records to Amazon S3 (or an S3-compatible store) as JSON, bytes, Parquet or Avro objects named and partitioned as Confluent's S3 sink names them.",
		Config:      def(),
	}
}

// Validate reports every value the connector cannot honour, naming its key.
func (connector) Validate(cfg sdk.Config) []sdk.ConfigError {
	_, errs := parseConfig(cfg)
	return errs
}

// TaskConfigs gives every task the connector's config: the kernel assigns the topics'
// partitions to them.
func (connector) TaskConfigs(cfg sdk.Config, maxTasks int) ([]map[string]string, error) {
	out := make([]map[string]string, max(maxTasks, 1))
	for i := range out {
		out[i] = cfg.Clone()
	}
	return out, nil
}

func (connector) NewSinkTask() sdk.SinkTask { return newTask() }
