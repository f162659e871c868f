// Package convert holds Tributary's converters: the code that turns a record's key or value
// between the bytes stored in Kafka and the structured, schema-carrying data of the plugin
// protocol (pluginv1.Value with an optional pluginv1.Schema), the way Kafka Connect's
// Converter does. It owns the wire formats users can see (StringConverter, JsonConverter
// with and without the {"schema","payload"} envelope, ByteArrayConverter, and for header values
// SimpleHeaderConverter), the Kafka Connect class names and aliases that pick them, and the
// rule for choosing a task's converters from its connector config and the worker defaults.
// Its converters can also write a value straight from the plugin protocol's encoding of
// it (WireConverter), which must give the same bytes as decoding it first.
//
// It is pure: no I/O, no clocks, no goroutines, no logging. It knows nothing of Kafka
// clients, plugins, Raft or tasks; the runtime calls it once per key and value.
package convert
