// Package sdk is the Go SDK for writing Tributary connector plugins: the whole surface a
// connector author needs, with nothing generated to import.
//
// An author implements [Connector] and either [SourceTask] or [SinkTask] — plain Go
// interfaces over plain Go types — and calls [Serve] from main. A source task returns
// [SourceRecord]s: topic, an optional Kafka partition (nil lets the producer choose),
// key, value and headers with their schemas from package data (Kafka Connect's data
// model), and its position as a [Partition] and [Offset] (Kafka Connect's
// sourcePartition and sourceOffset), which it gets back from [TaskContext.Offset] when it
// opens again. A sink task receives [SinkRecord]s with their topic, partition and offset
// and reports from Flush what it made durable. Config keys are declared with
// [ConfigDef], which applies defaults and checks types before the author's code runs;
// [Config] has typed getters.
//
// The SDK owns everything between those types and the wire: serving the go-plugin
// contract of package protocol (which the kernel imports too), encoding records straight
// into the protocol's protobuf bytes and decoding them, the multiplexing of many
// concurrent tasks by the handle the kernel chose, Poll batching (at most max_records per
// answer, the rest kept) and timeouts, refusing Flush answers beyond what the kernel gave,
// error-to-status mapping, logging to the host through hclog, and graceful shutdown.
//
// The SDK must not know about any particular connector, the kernel's state, Raft, Kafka or
// converters: it speaks only the plugin protocol. It never edits the generated code under
// proto/; an author never needs to import gRPC or the generated package.
package sdk
