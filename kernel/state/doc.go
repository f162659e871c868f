// Package state is Tributary's replicated state machine: connectors and their task configs,
// kernel nodes, task assignments with their fencing epochs, task status and committed
// offsets, changed only by applying cluster commands (proto/tributary/cluster/v1).
//
// It owns the rules every node must agree on: which commands are accepted, what they change,
// and how the whole state is written to and read back from a snapshot. It is pure: no I/O,
// no clocks, no randomness, no goroutines. Apply is deterministic given the log index it is
// applied at, so every replica reaches the same state and the package can be tested
// exhaustively without a network. Raft, transports and storage belong to kernel/cluster;
// deciding where tasks run belongs to kernel/scheduler.
package state
