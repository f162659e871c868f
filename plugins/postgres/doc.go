// Command tributary-postgres is the PostgreSQL change data capture source, a plugin
// binary on the Go SDK that Debezium users can move to unchanged: it answers to
// io.debezium.connector.postgresql.PostgresConnector, takes Debezium 2.x's config keys,
// and emits Debezium's records — topic <topic.prefix>.<schema>.<table>, the primary key
// struct as key, the before/after/source/op envelope as value — from pgoutput logical
// replication (pglogrepl over a replication=database connection).
//
// One file per concern: config.go declares the keys and yields the typed config,
// filter.go the include/exclude lists, table.go the catalog and table schemas,
// decode.go PostgreSQL text values to Connect values, envelope.go Debezium's envelope,
// source block and heartbeat schemas, snapshot.go the initial snapshot, stream.go the
// replication connection, events.go pgoutput messages to records, offset.go the source
// offsets, task.go the source task that ties them together.
//
// The package owns only the connection to PostgreSQL and the records it makes. It must
// not touch Kafka or the kernel: positions go back to the database only through the
// SDK's Commit callback, after the kernel has committed them.
package main
