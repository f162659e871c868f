// Command tributary-elasticsearch is the Elasticsearch sink connector plugin, compatible
// with Confluent's ElasticsearchSinkConnector: the class name
// io.confluent.connect.elasticsearch.ElasticsearchSinkConnector is an alias, the config
// keys and their defaults are Confluent's, and the documents, ids, index names and bulk
// actions are the ones Confluent's DataConverter builds, so a Confluent setup moves over
// by changing only the runtime. It writes with go-elasticsearch's bulk API, synchronously
// within each Put, so that a document Elasticsearch refuses is reported by the put that
// carries it (and the kernel can dead-letter it) and Flush never reports a record that is
// not in Elasticsearch.
//
// It owns turning sink records into bulk actions (document.go), sending them with retries
// (bulk.go, retry.go), the client and its TLS (client.go) and the task's offsets
// (task.go). It knows the plugin protocol only through plugins/sdk and never touches
// Kafka, the kernel's state or other connectors. It is built to
// bin/plugins/tributary-elasticsearch and started by the kernel; run by hand it refuses
// to start.
package main
