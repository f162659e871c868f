// Package scheduler decides, on the Raft leader, which kernel node runs each task.
//
// It owns one decision and nothing else: Plan, a pure function from the replicated state and
// the set of live nodes to the SetAssignments command that moves the cluster to a good
// placement, and Loop, which runs Plan on the leader whenever the state or the live set
// changes and submits its output through state.Store.
//
// The placement rules: a task runs only on a node that is registered, live and has the
// connector's plugin. Placement is sticky: a task whose node is still eligible stays, so a
// change elsewhere never restarts it. Tasks without an eligible node of their own go to the
// eligible node with the fewest tasks. Then, while some node holds two tasks more than an
// eligible node that could take one of them, the fewest tasks needed move to even it out
// (which is what happens when a node joins). Output is deterministic.
//
// A move off a node that is live and could still run the task is a handoff (the task stays
// under its epoch while its node drains and commits, then that node releases it), so a
// planned move duplicates nothing; Loop turns a handoff its node has not released within
// HandoffTimeout into an immediate move. Tasks of dead nodes move at once.
//
// The scheduler must not touch anything but its own output: it never changes the state
// except by submitting SetAssignments through the Store, never starts or stops tasks (that
// is kernel/runtime's, which watches assignments), never decides liveness (kernel/cluster
// provides the live set and leadership) and never writes epochs: the state machine stamps
// every assignment it accepts with the index it was applied at, which is what fences a
// task's previous holder.
package scheduler
