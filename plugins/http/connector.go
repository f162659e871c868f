package main

import (
	"strings"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// The upstream classes users' configs name.
const (
	confluentClass = "io.confluent.connect.http.HttpSourceConnector"
	castormClass   = "com.github.castorm.kafka.connect.http.HttpSourceConnector"
	castormName    = "http-source-castorm"
)

func isCastorm(class string) bool { return class == castormClass || class == castormName }

// confluentConnector is Confluent's HTTP source: entities, offset modes, auth, TLS.
type confluentConnector struct{ sdk.ConnectorBase }

func (confluentConnector) Definition() sdk.Definition {
	return sdk.Definition{
		Name:        "http-source",
		Type:        sdk.Source,
		Version:     version,
		Aliases:     []string{confluentClass},
		Description: "Polls JSON HTTP APIs (incrementing, chaining or cursor-paginated offsets, per entity) into Kafka, as Confluent's HTTP source.",
		Config:      confluentDef,
	}
}

// Validate reports every value the connector cannot honour, naming its key.
func (confluentConnector) Validate(cfg sdk.Config) []sdk.ConfigError {
	_, errs := parseConfluent(cfg)
	return errs
}

// TaskConfigs spreads the entities over at most maxTasks tasks, consecutive entities to
// a task, the first tasks one more when they do not divide evenly.
func (confluentConnector) TaskConfigs(raw sdk.Config, maxTasks int) ([]map[string]string, error) {
	s, errs := parseConfluent(raw)
	if len(errs) > 0 {
		return nil, sdk.ConfigErrors(errs)
	}
	if len(s.entities) == 1 && s.entities[0] == "" {
		return []map[string]string{raw.Clone()}, nil
	}
	groups := spread(s.entities, max(1, maxTasks))
	out := make([]map[string]string, len(groups))
	for i, g := range groups {
		c := raw.Clone()
		c[keyEntityNames] = strings.Join(g, ",")
		out[i] = c
	}
	return out, nil
}

func (confluentConnector) NewSourceTask() sdk.SourceTask { return &task{} }

// spread splits items into at most n groups, as Kafka Connect's
// ConnectorUtils.groupPartitions.
func spread(items []string, n int) [][]string {
	n = min(n, len(items))
	out := make([][]string, n)
	per, extra := len(items)/n, len(items)%n
	at := 0
	for i := range n {
		size := per
		if i < extra {
			size++
		}
		out[i] = items[at : at+size]
		at += size
	}
	return out
}

// castormConnector is castorm's kafka-connect-http source, on the same poller.
type castormConnector struct{ sdk.ConnectorBase }

func (castormConnector) Definition() sdk.Definition {
	return sdk.Definition{
		Name:        castormName,
		Type:        sdk.Source,
		Version:     version,
		Aliases:     []string{castormClass},
		Description: "Polls a JSON HTTP API into Kafka with castorm's kafka-connect-http keys, offsets from the last record's properties.",
		Config:      castormDef,
	}
}

// Validate reports every value the connector cannot honour, naming its key.
func (castormConnector) Validate(cfg sdk.Config) []sdk.ConfigError {
	_, errs := parseCastorm(cfg)
	return errs
}

// TaskConfigs returns one task: castorm's model has one offset for the whole source.
func (castormConnector) TaskConfigs(raw sdk.Config, _ int) ([]map[string]string, error) {
	if _, errs := parseCastorm(raw); len(errs) > 0 {
		return nil, sdk.ConfigErrors(errs)
	}
	return []map[string]string{raw.Clone()}, nil
}

func (castormConnector) NewSourceTask() sdk.SourceTask { return &task{} }
