package main

import (
	"os"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// logger logs what happens outside a task (the kernel collects the plugin's stderr).
var logger = hclog.New(&hclog.LoggerOptions{Name: "postgres-source", Output: os.Stderr, JSONFormat: true})

// className is Debezium's connector class, which users' manifests name.
const className = "io.debezium.connector.postgresql.PostgresConnector"

// connector is the PostgreSQL CDC source.
type connector struct{ sdk.ConnectorBase }

func (connector) Definition() sdk.Definition {
	return sdk.Definition{
		Name:        "postgres-source",
		Type:        sdk.Source,
		Version:     version,
		Aliases:     []string{className, "PostgresConnector", "postgres"},
		Description: "Streams PostgreSQL row changes (pgoutput logical replication) as Debezium 2.x change events.",
		Config:      configDef,
	}
}

func (connector) Validate(cfg sdk.Config) []sdk.ConfigError {
	c, errs := parseConfig(cfg)
	if len(errs) == 0 {
		if cfg.String(keyServerName) != "" {
			logger.Info("database.server.name is ignored, as Debezium 2 ignores it: topic.prefix names the server", "topic.prefix", c.Prefix)
		}
	}
	return errs
}

// TaskConfigs returns one task whatever tasks.max says: one replication slot is read by
// one reader, as Debezium's PostgreSQL connector runs one task.
func (connector) TaskConfigs(cfg sdk.Config, maxTasks int) ([]map[string]string, error) {
	if maxTasks > 1 {
		logger.Info("tasks.max > 1: the PostgreSQL connector runs one task (one replication slot has one reader), as Debezium does", "tasks.max", maxTasks)
	}
	return []map[string]string{cfg.Clone()}, nil
}

func (connector) NewSourceTask() sdk.SourceTask { return &task{} }
