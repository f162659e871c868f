package main

import "github.com/tributary-dev/tributary/plugins/sdk"

// redisConnector is Redis Inc's sink connector class: any Redis data structure, keys
// from the key space and the record key.
type redisConnector struct{ sdk.ConnectorBase }

func (redisConnector) Definition() sdk.Definition {
	return sdk.Definition{
		Name:        "redis-sink",
		Type:        sdk.Sink,
		Version:     version,
		Aliases:     []string{"com.redis.kafka.connect.RedisSinkConnector"},
		Description: "Writes records to Redis strings, hashes, JSON, streams, lists, sets, sorted sets or time series, as Redis Inc's Redis sink does.",
		Config:      redisDef(),
	}
}

// Validate reports every value the connector cannot honour, naming its key.
func (redisConnector) Validate(cfg sdk.Config) []sdk.ConfigError {
	_, errs := parseRedisConfig(cfg)
	return errs
}

// TaskConfigs gives every task the connector's config: the kernel assigns the topics'
// partitions to them.
func (redisConnector) TaskConfigs(cfg sdk.Config, maxTasks int) ([]map[string]string, error) {
	return cloneTasks(cfg, maxTasks), nil
}

func (redisConnector) NewSinkTask() sdk.SinkTask { return newTask(parseRedisConfig) }

// kvConnector is jcustenborder's sink connector class: SET of the key's bytes to the
// value's bytes, DEL for a tombstone.
type kvConnector struct{ sdk.ConnectorBase }

func (kvConnector) Definition() sdk.Definition {
	return sdk.Definition{
		Name:        "redis-kv-sink",
		Type:        sdk.Sink,
		Version:     version,
		Aliases:     []string{"com.github.jcustenborder.kafka.connect.redis.RedisSinkConnector"},
		Description: "Sets each record's key to its value in Redis (bytes to bytes), deleting the key for a tombstone, as jcustenborder's Redis sink does.",
		Config:      kvDef(),
	}
}

// Validate reports every value the connector cannot honour, naming its key.
func (kvConnector) Validate(cfg sdk.Config) []sdk.ConfigError {
	_, errs := parseKVConfig(cfg)
	return errs
}

// TaskConfigs gives every task the connector's config.
func (kvConnector) TaskConfigs(cfg sdk.Config, maxTasks int) ([]map[string]string, error) {
	return cloneTasks(cfg, maxTasks), nil
}

func (kvConnector) NewSinkTask() sdk.SinkTask { return newTask(parseKVConfig) }

func cloneTasks(cfg sdk.Config, maxTasks int) []map[string]string {
	out := make([]map[string]string, max(maxTasks, 1))
	for i := range out {
		out[i] = cfg.Clone()
	}
	return out
}
