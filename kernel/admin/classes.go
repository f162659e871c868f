package admin

import (
	"strings"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// fullClass is the class name Kafka Connect would list for a connector: its first alias
// that is a fully qualified Java class name (e.g.
// org.apache.kafka.connect.file.FileStreamSourceConnector), else its Tributary name.
func fullClass(d *pluginv1.ConnectorDescriptor) string {
	for _, a := range d.GetAliases() {
		if strings.Contains(a, ".") {
			return a
		}
	}
	return d.GetName()
}

// taskClasses are the task classes of the connectors whose task class is not the
// connector's class with "Connector" replaced by "Task".
var taskClasses = map[string]string{
	"io.debezium.connector.postgresql.PostgresConnector":              "io.debezium.connector.postgresql.PostgresConnectorTask",
	"io.confluent.connect.elasticsearch.ElasticsearchSinkConnector":   "io.confluent.connect.elasticsearch.ElasticsearchSinkTask",
	"io.confluent.connect.s3.S3SinkConnector":                         "io.confluent.connect.s3.S3SinkTask",
	"com.redis.kafka.connect.RedisSinkConnector":                      "com.redis.kafka.connect.sink.RedisSinkTask",
	"com.github.jcustenborder.kafka.connect.redis.RedisSinkConnector": "com.github.jcustenborder.kafka.connect.redis.RedisSinkTask",
	"com.github.castorm.kafka.connect.http.HttpSourceConnector":       "com.github.castorm.kafka.connect.http.HttpSourceTask",
}

// taskClass is the task.class Kafka Connect puts in each task config: the task class of
// the connector's full class, as the upstream connector names it.
func taskClass(d *pluginv1.ConnectorDescriptor) string {
	c := fullClass(d)
	if t, ok := taskClasses[c]; ok {
		return t
	}
	if base, ok := strings.CutSuffix(c, "Connector"); ok {
		return base + "Task"
	}
	return c + "Task"
}
