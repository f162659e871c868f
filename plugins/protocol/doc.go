// Package protocol is the go-plugin contract between the kernel and a Go connector plugin,
// imported by both ends: the handshake ([Handshake], [PluginName]), the plugin sets
// ([ClientSet] for the kernel, [ServerSet] for a plugin), the generated clients of one
// plugin process ([Clients]), the gRPC codec ([Codec]) and the connection's transport
// options.
//
// The codec marshals and unmarshals the protocol's messages with the code
// protoc-gen-go-vtproto generates next to them, without reflection, and lets a batch's
// strings and bytes share the one buffer the batch arrived in instead of allocating each.
// It also passes [Raw] messages through untouched, so an end that encodes a batch itself
// skips the generated structs, and decodes a Poll batch with its keys and values left
// encoded ([LazyPoll], read with [PlainValue] and [NextField]) for a receiver that writes
// them out without needing them decoded. It resolves a Poll batch's table of schemas,
// which records name by index, so receivers only ever see a record's schemas in place. The bytes on the wire are plain protobuf under gRPC's
// "proto" content subtype, so plugins in other languages are unaffected.
//
// The package opens no connections and knows nothing of what the messages mean: not of
// connectors (package sdk, the author's side) nor of tasks, state or Kafka (the kernel).
package protocol
