// Package wire is the gRPC codec of the plugin protocol, used by both ends in Go: the
// kernel (kernel/pluginhost) and the Go SDK (plugins/sdk). It marshals and unmarshals the
// protocol's messages with the code protoc-gen-go-vtproto generates next to them, without
// reflection, and lets a batch's strings and bytes share the one buffer the batch arrived
// in instead of allocating each. The bytes on the wire are plain protobuf under gRPC's
// "proto" content subtype, so plugins in other languages are unaffected. It also holds the
// connection's gRPC transport options (DialOptions, ServerOptions); it opens no
// connections and knows nothing of what the messages mean.
package wire
