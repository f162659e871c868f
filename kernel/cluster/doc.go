// Package cluster is one kernel node's membership in the Raft cluster: the hashicorp/raft
// instance with its bbolt log store and file snapshots, the FSM that feeds committed
// commands to kernel/state, forwarding of writes from followers to the leader over the
// cluster gRPC service, joining and leaving, and node liveness (heartbeats to the leader,
// the leader's view of who is alive, and each node's own lease, which fences its tasks).
//
// It implements state.Store for the rest of the kernel. It decides nothing about
// connectors or tasks: what a command means is kernel/state's, where tasks go is
// kernel/scheduler's, and running them is kernel/runtime's.
package cluster
