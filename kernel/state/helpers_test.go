package state_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// Shorthands for the enums the tests use most.
const (
	running = clusterv1.TargetState_TARGET_STATE_RUNNING
	paused  = clusterv1.TargetState_TARGET_STATE_PAUSED
	stopped = clusterv1.TargetState_TARGET_STATE_STOPPED

	source = clusterv1.ConnectorType_CONNECTOR_TYPE_SOURCE
	sink   = clusterv1.ConnectorType_CONNECTOR_TYPE_SINK

	taskUnassigned = clusterv1.TaskState_TASK_STATE_UNASSIGNED
	taskRunning    = clusterv1.TaskState_TASK_STATE_RUNNING
	taskFailed     = clusterv1.TaskState_TASK_STATE_FAILED
	taskRestarting = clusterv1.TaskState_TASK_STATE_RESTARTING
)

func key(connector string, task int32) state.TaskKey {
	return state.TaskKey{Connector: connector, Task: task}
}

// connector returns a connector record with n task configs.
func connector(name, plugin string, n int) *clusterv1.Connector {
	c := &clusterv1.Connector{
		Name:   name,
		Plugin: plugin,
		Type:   source,
		Config: map[string]string{"connector.class": plugin, "tasks.max": strconv.Itoa(n)},
	}
	for i := range n {
		c.Tasks = append(c.Tasks, &clusterv1.TaskConfig{Config: map[string]string{"task": strconv.Itoa(i)}})
	}
	return c
}

func putC(c *clusterv1.Connector) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_PutConnector{PutConnector: &clusterv1.PutConnector{Connector: c}}}
}

func createC(c *clusterv1.Connector) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_PutConnector{PutConnector: &clusterv1.PutConnector{Connector: c, CreateOnly: true}}}
}

func put(name string, tasks int) *clusterv1.Command {
	return putC(connector(name, "file-source", tasks))
}

func del(name string) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_DeleteConnector{DeleteConnector: &clusterv1.DeleteConnector{Name: name}}}
}

func target(name string, ts clusterv1.TargetState) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_SetTargetState{SetTargetState: &clusterv1.SetTargetState{Name: name, TargetState: ts}}}
}

func register(id string, plugins ...string) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_RegisterNode{RegisterNode: &clusterv1.RegisterNode{
		Node: &clusterv1.Node{Id: id, RaftAddr: id + ":8086", RpcAddr: id + ":8085", Plugins: plugins, Voter: true},
	}}}
}

func removeNode(id string) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_RemoveNode{RemoveNode: &clusterv1.RemoveNode{Id: id}}}
}

// placement is one entry of an assign command: a task to a node.
type placement struct {
	task state.TaskKey
	node string
}

func assign(ps ...placement) *clusterv1.Command {
	sa := &clusterv1.SetAssignments{}
	for _, p := range ps {
		sa.Assign = append(sa.Assign, &clusterv1.Assignment{Task: p.task.ID(), Node: p.node})
	}
	return &clusterv1.Command{Cmd: &clusterv1.Command_SetAssignments{SetAssignments: sa}}
}

func unassign(ks ...state.TaskKey) *clusterv1.Command {
	sa := &clusterv1.SetAssignments{}
	for _, k := range ks {
		sa.Unassign = append(sa.Unassign, k.ID())
	}
	return &clusterv1.Command{Cmd: &clusterv1.Command_SetAssignments{SetAssignments: sa}}
}

func report(k state.TaskKey, epoch uint64, st clusterv1.TaskState, worker, trace string) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_ReportTaskStatus{ReportTaskStatus: &clusterv1.ReportTaskStatus{
		Status: &clusterv1.TaskStatus{Task: k.ID(), State: st, WorkerId: worker, Trace: trace, Epoch: epoch},
	}}}
}

func commit(ts ...*clusterv1.TaskOffsets) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_CommitOffsets{CommitOffsets: &clusterv1.CommitOffsets{Tasks: ts}}}
}

// srcOffsets is one task's source offsets: partition → offset, in the order given.
func srcOffsets(k state.TaskKey, epoch uint64, kv ...string) *clusterv1.TaskOffsets {
	t := &clusterv1.TaskOffsets{Task: k.ID(), Epoch: epoch}
	for i := 0; i+1 < len(kv); i += 2 {
		t.Source = append(t.Source, &clusterv1.SourceOffset{Partition: []byte(kv[i]), Offset: []byte(kv[i+1])})
	}
	return t
}

func sinkOffsets(k state.TaskKey, epoch uint64, topic string, offs ...int64) *clusterv1.TaskOffsets {
	t := &clusterv1.TaskOffsets{Task: k.ID(), Epoch: epoch}
	for p, o := range offs {
		t.Sink = append(t.Sink, &clusterv1.SinkOffset{Topic: topic, Partition: int32(p), Offset: o})
	}
	return t
}

func restart(connector string, ks ...state.TaskKey) *clusterv1.Command {
	rt := &clusterv1.RestartTasks{Connector: connector}
	for _, k := range ks {
		rt.Tasks = append(rt.Tasks, k.ID())
	}
	return &clusterv1.Command{Cmd: &clusterv1.Command_RestartTasks{RestartTasks: rt}}
}

func alter(connector string, reset bool, source []*clusterv1.SourceOffset, sink []*clusterv1.SinkOffset) *clusterv1.Command {
	return &clusterv1.Command{Cmd: &clusterv1.Command_AlterOffsets{AlterOffsets: &clusterv1.AlterOffsets{
		Connector: connector, ResetOffsets: reset, Source: source, Sink: sink,
	}}}
}

func so(partition, offset string) *clusterv1.SourceOffset {
	var off []byte
	if offset != "" {
		off = []byte(offset)
	}
	return &clusterv1.SourceOffset{Partition: []byte(partition), Offset: off}
}

func sk(topic string, partition int32, offset int64) *clusterv1.SinkOffset {
	return &clusterv1.SinkOffset{Topic: topic, Partition: partition, Offset: offset}
}

// build applies cmds at indexes 1..len(cmds) to a new state; every one must be accepted.
func build(t *testing.T, cmds ...*clusterv1.Command) *state.State {
	t.Helper()
	s := state.New()
	for i, c := range cmds {
		if err := s.Apply(uint64(i+1), c); err != nil {
			t.Fatalf("setup command %d (%v) refused: %v", i+1, c, err)
		}
	}
	return s
}

// withoutIndex returns a copy of snap with its index cleared, to compare contents alone.
func withoutIndex(snap *clusterv1.Snapshot) *clusterv1.Snapshot {
	snap = proto.CloneOf(snap)
	snap.Index = 0
	return snap
}

// diffSnapshots returns "" when a and b are equal, or a readable difference.
func diffSnapshots(a, b *clusterv1.Snapshot) string {
	if proto.Equal(a, b) {
		return ""
	}
	opts := prototext.MarshalOptions{Multiline: true}
	return "got:\n" + opts.Format(a) + "\nwant:\n" + opts.Format(b)
}

// checkCode fails unless err is a refusal with the wanted code ("" for no error) whose
// message holds every one of msgs.
func checkCode(t *testing.T, err error, want state.Code, msgs ...string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("Apply refused the command, want it accepted: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("Apply accepted the command, want a refusal with code %q", want)
	}
	var se *state.Error
	if !errors.As(err, &se) {
		t.Fatalf("Apply returned %T (%v), want *state.Error", err, err)
	}
	if got := state.CodeOf(err); got != want {
		t.Fatalf("Apply refused with code %q (%v), want %q", got, err, want)
	}
	if !errors.Is(err, &state.Error{Code: want}) {
		t.Fatalf("errors.Is(%v, code %q) = false, want true", err, want)
	}
	for _, m := range msgs {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("error %q does not mention %q", err, m)
		}
	}
}

func sourceMap(s *state.State, connector string) map[string]string {
	out := map[string]string{}
	for _, o := range s.SourceOffsets(connector) {
		out[string(o.Partition)] = string(o.Offset)
	}
	return out
}

func sinkMap(s *state.State, connector string) map[state.TopicPartition]int64 {
	out := map[state.TopicPartition]int64{}
	for _, o := range s.SinkOffsets(connector) {
		out[state.TopicPartition{Topic: o.Topic, Partition: o.Partition}] = o.Offset
	}
	return out
}
