// Package kernel is one Tributary node: it reads the node's config and wires the packages
// below it together — the Raft cluster membership (cluster), the replicated state
// (state), the leader's task scheduler (scheduler), the plugin processes (pluginhost),
// what this node runs (herder), task execution (runtime, with kafka and tolerance) and
// the operator faces (admin: gRPC, REST, metrics) — then runs them until its context
// ends and shuts them down in order.
//
// It owns startup and shutdown order and the node's config file format. It holds no state
// of its own and implements no policy: anything a node decides lives in a subpackage.
package kernel
