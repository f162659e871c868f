// Package sdk is the Go SDK for writing Tributary connector plugins.
//
// A connector author implements [Connector] and either [SourceTask] or [SinkTask] — plain Go
// interfaces — and calls [Serve] from main. The SDK owns everything between those interfaces
// and the wire: serving the go-plugin contract of package protocol (which the kernel
// imports too), the gRPC adapters for the Plugin, Connector, SourceTask and SinkTask services of proto/tributary/plugin/v1, the
// multiplexing of many concurrent tasks by the handle the kernel chose, generic config
// checks against the connector's [ConfigDef], Poll batching and timeouts, error-to-status
// mapping, logging to the host through hclog, and graceful shutdown.
//
// The SDK must not know about any particular connector, the kernel's state, Raft, Kafka or
// converters: it speaks only the plugin protocol. It never edits the generated code under
// proto/; a connector author never needs to import gRPC.
package sdk
