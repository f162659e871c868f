// Package herder decides what a Tributary node runs, as Kafka Connect's herder does: it
// watches the replicated state and starts, stops, pauses, resumes and hands off this
// node's task instances so that they match the assignments (Herder), and it is the one
// path by which connector configs are written (Configs): checked by kernel/config and by
// the plugin's own Validate, split into task configs by the plugin, and only then
// applied, so an invalid config never reaches the state.
//
// A task's life on a node (assigned → starting → running ⇄ paused → draining → stopped,
// or failed) is one pure transition function, Decide, over what the state wants, what
// runs here and whether the node may run at all: a node that has not caught up since it
// started, or has lost its lease, starts nothing (SetFenced stops everything at once); an
// epoch the state refused from this node is not started again until a newer one comes;
// a task fenced off and given back starts anew once its old instance has stopped; a
// planned handoff drains and commits under the old epoch before the task is released.
//
// It decides and does not execute: the task loop, offsets and status reports are
// kernel/runtime's, placement is kernel/scheduler's, and Raft is behind the state.Store
// interface. The operator faces (kernel/admin) call it for writes and read the state.
package herder
