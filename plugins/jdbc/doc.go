// Command tributary-jdbc is the JDBC source and sink, a plugin binary on the Go SDK that
// Confluent users can move to unchanged: it answers to
// io.confluent.connect.jdbc.JdbcSourceConnector and io.confluent.connect.jdbc.JdbcSinkConnector,
// takes their config keys (connection.url jdbc:postgresql://…, jdbc:mysql://…,
// jdbc:mariadb://…), emits the same topics, struct names and source offsets, and writes
// tables the way Confluent's sink writes them.
//
// One file per concern: config.go declares the keys of both connectors and yields their
// typed configs, url.go reads connection.url, dialect.go is the one seam every database
// difference goes behind (dialect_postgres.go over pgx/v5, dialect_mysql.go over
// go-sql-driver/mysql), types.go maps column types to Connect schemas and values,
// tables.go lists the tables a source reads, querier.go runs one table's (or the
// query's) polls and owns its offset, source.go is the source connector and task, sink.go
// the sink connector and task, and write.go builds and runs the sink's statements.
//
// The package owns only the connection to the database and the records it makes or
// writes. It must not touch Kafka or the kernel: positions go back only through the
// SDK's offsets (source) and Flush's answer after COMMIT (sink).
package main
