package main

import (
	"github.com/tributary-dev/tributary/plugins/sdk"
)

// connector is the Elasticsearch sink connector class.
type connector struct{ sdk.ConnectorBase }

func (connector) Definition() sdk.Definition {
	return sdk.Definition{
		Name:        "elasticsearch-sink",
		Type:        sdk.Sink,
		Version:     version,
		Aliases:     []string{"io.confluent.connect.elasticsearch.ElasticsearchSinkConnector", "ElasticsearchSinkConnector"},
		Description: "Writes each record's value as a document to Elasticsearch with the bulk API, as Confluent's Elasticsearch sink does.",
		Config:      configDef(),
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

func (connector) NewSinkTask() sdk.SinkTask { return &task{} }
