// Command tributary-redis is the Redis sink connector plugin. It serves two classes on
// one writer: redis-sink, accepted as Redis Inc's com.redis.kafka.connect.RedisSinkConnector
// with its keys (redis.uri, redis.type — or the older redis.command —, redis.keyspace,
// redis.separator, redis.multiexec, redis.wait.replicas, redis.key.ttl …) and its mapping
// of records to strings, hashes, JSON, streams, lists, sets, sorted sets and time series;
// and redis-kv-sink, accepted as jcustenborder's
// com.github.jcustenborder.kafka.connect.redis.RedisSinkConnector with its keys
// (redis.hosts, redis.database, redis.password, redis.ssl.enabled …), which sets the key's
// bytes to the value's bytes. Each Put is one go-redis pipeline (in MULTI/EXEC on request)
// written before Put returns, so Flush never reports an offset Redis has not answered OK.
//
// It owns turning records into commands (command.go), sending them with retries through
// connection losses (writer.go, retry.go), the client, its TLS and the module check
// (client.go), the two classes' keys (config.go) and the task's offsets (task.go). It
// knows the plugin protocol only through plugins/sdk and never touches Kafka, the
// kernel's state or other connectors. It is built to bin/plugins/tributary-redis and
// started by the kernel; run by hand it refuses to start.
package main
