// Package conformance is the plugin conformance kit behind `tributary plugins test`: it
// launches one plugin executable, in any language, exactly as the kernel's plugin host
// does (package protocol's client config, handshake and generated clients) and runs a
// fixed table of checks against the protocol contract — handshake and health, Describe,
// Validate, TaskConfigs, a source's Open/Poll/Commit/Close and resume from a committed
// position, a sink's Open/Put/Flush/Close, schema and value consistency, and shutdown on
// SIGTERM — each answered pass, fail or skip with a message.
//
// Source offsets are opaque to the kernel, so the resume check is a heuristic: the kit
// commits the first polled record of each source partition, reopens the task with those
// positions and fails if the first record it then polls on a partition carries the very
// offset bytes that were committed (a source that starts over re-delivers it).
//
// The package owns only the checks. It must not touch the kernel's plugin host, state or
// Kafka, nor the SDK authors write plugins with: the plugin under test speaks for itself.
package conformance
