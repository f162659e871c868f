package state_test

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// TestReadsAreCopyOnWrite holds every kind of record a reader can get and checks that no
// later command changes one in place.
func TestReadsAreCopyOnWrite(t *testing.T) {
	s := build(t, base(
		report(key("a", 0), baseEpoch, taskRunning, "n1", ""),
		commit(srcOffsets(key("a", 0), baseEpoch, "p", "1"), sinkOffsets(key("b", 0), baseEpoch, "t", 5)),
	)...)

	type held struct {
		name string
		msg  proto.Message
		copy proto.Message
	}
	var records []held
	hold := func(name string, m proto.Message) {
		if m == nil {
			t.Fatalf("%s: nil record", name)
		}
		records = append(records, held{name, m, proto.Clone(m)})
	}
	hold("Connector(a)", s.Connector("a"))
	hold("Connector(b)", s.Connector("b"))
	hold("Node(n1)", s.Node("n1"))
	hold("Assignment(a-0)", s.Assignment(key("a", 0)))
	hold("Assignment(a-1)", s.Assignment(key("a", 1)))
	hold("TaskStatus(a-0)", s.TaskStatus(key("a", 0)))
	for i, c := range s.Connectors() {
		hold("Connectors()["+c.Name+"]", s.Connectors()[i])
	}
	for _, n := range s.Nodes() {
		hold("Nodes()["+n.Id+"]", n)
	}
	for _, a := range s.Assignments() {
		hold("Assignments()["+state.KeyOf(a.Task).String()+"]", a)
	}
	for _, a := range s.AssignmentsOf("n1") {
		hold("AssignmentsOf(n1)["+state.KeyOf(a.Task).String()+"]", a)
	}
	for _, o := range s.SourceOffsets("a") {
		hold("SourceOffsets(a)", o)
	}
	for _, o := range s.SinkOffsets("b") {
		hold("SinkOffsets(b)", o)
	}
	snap := s.Snapshot()
	hold("Snapshot()", snap)

	i := s.Index()
	for _, cmd := range []*clusterv1.Command{
		report(key("a", 0), baseEpoch, taskFailed, "n1", "trace"),
		commit(srcOffsets(key("a", 0), baseEpoch, "p", "2"), sinkOffsets(key("b", 0), baseEpoch, "t", 6)),
		restart("a", key("a", 0), key("a", 1)),
		put("a", 3),
		register("n1", "other"),
		target("a", paused),
		assign(placement{key("a", 0), "n2"}),
		removeNode("n1"),
		target("a", stopped),
		alter("a", false, []*clusterv1.SourceOffset{so("p", "9")}, nil),
		alter("a", true, nil, nil),
		put("a", 1),
		del("a"),
		del("b"),
	} {
		i++
		if err := s.Apply(i, cmd); err != nil {
			t.Fatalf("Apply(%v) = %v", cmd, err)
		}
	}
	for _, r := range records {
		if !proto.Equal(r.msg, r.copy) {
			t.Errorf("%s was changed in place by a later apply: now %v, was %v", r.name, r.msg, r.copy)
		}
	}
}

// TestStateOwnsItsRecords checks that the state shares no memory with what it is given
// (commands, snapshots to restore) or what it hands out as a snapshot.
func TestStateOwnsItsRecords(t *testing.T) {
	c := connector("a", "file-source", 1)
	putCmd := putC(c)
	reg := register("n1", "file-source")
	s := build(t, reg, putCmd, assign(placement{key("a", 0), "n1"}))
	rep := report(key("a", 0), 3, taskRunning, "n1", "t")
	com := commit(srcOffsets(key("a", 0), 3, "p", "offset"))
	for i, cmd := range []*clusterv1.Command{rep, com} {
		if err := s.Apply(uint64(4+i), cmd); err != nil {
			t.Fatal(err)
		}
	}
	want := s.Snapshot()

	// Callers reuse their messages and buffers.
	c.Config["connector.class"] = "changed"
	c.Tasks[0].Config["task"] = "changed"
	reg.GetRegisterNode().Node.Plugins[0] = "changed"
	rep.GetReportTaskStatus().Status.Trace = "changed"
	copy(com.GetCommitOffsets().Tasks[0].Source[0].Offset, "CHANGED")
	copy(com.GetCommitOffsets().Tasks[0].Source[0].Partition, "X")
	if d := diffSnapshots(s.Snapshot(), want); d != "" {
		t.Errorf("changing applied commands changed the state:\n%s", d)
	}

	// A snapshot handed out is the caller's.
	snap := s.Snapshot()
	snap.Connectors[0].Config["connector.class"] = "changed"
	snap.Assignments[0].Epoch = 99
	snap.Offsets[0].Source[0].Offset[0] = 'X'
	if d := diffSnapshots(s.Snapshot(), want); d != "" {
		t.Errorf("changing a snapshot changed the state:\n%s", d)
	}

	// A snapshot restored from stays the caller's.
	in := proto.CloneOf(want)
	r := state.Restore(in)
	in.Connectors[0].Config["connector.class"] = "changed"
	in.Nodes[0].Plugins = nil
	in.Offsets[0].Source[0].Offset[0] = 'X'
	if d := diffSnapshots(r.Snapshot(), want); d != "" {
		t.Errorf("changing a restored snapshot changed the state:\n%s", d)
	}
}

func TestReadsAreSorted(t *testing.T) {
	s := build(t,
		register("n3"), register("n1"), register("n2"),
		put("c", 2), put("a", 1), put("b", 3),
		assign(placement{key("c", 1), "n1"}, placement{key("a", 0), "n1"}, placement{key("b", 2), "n1"}, placement{key("b", 0), "n2"}),
	)
	var names []string
	for _, c := range s.Connectors() {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"a", "b", "c"}) {
		t.Errorf("Connectors() = %v, want sorted", names)
	}
	var ids []string
	for _, n := range s.Nodes() {
		ids = append(ids, n.Id)
	}
	if !slices.Equal(ids, []string{"n1", "n2", "n3"}) {
		t.Errorf("Nodes() = %v, want sorted", ids)
	}
	wantTasks(t, s, key("a", 0), key("b", 0), key("b", 1), key("b", 2), key("c", 0), key("c", 1))
	keys := func(as []*clusterv1.Assignment) []state.TaskKey {
		var out []state.TaskKey
		for _, a := range as {
			out = append(out, state.KeyOf(a.Task))
		}
		return out
	}
	if got, want := keys(s.Assignments()), []state.TaskKey{key("a", 0), key("b", 0), key("b", 2), key("c", 1)}; !slices.Equal(got, want) {
		t.Errorf("Assignments() = %v, want %v", got, want)
	}
	if got, want := keys(s.AssignmentsOf("n1")), []state.TaskKey{key("a", 0), key("b", 2), key("c", 1)}; !slices.Equal(got, want) {
		t.Errorf("AssignmentsOf(n1) = %v, want %v", got, want)
	}
	if got := s.AssignmentsOf("n3"); len(got) != 0 {
		t.Errorf("AssignmentsOf(n3) = %v, want none", got)
	}

	if err := s.Apply(s.Index()+1, commit(
		srcOffsets(key("b", 0), s.Assignment(key("b", 0)).Epoch, "z", "1", "a", "2", "m", "3"),
		sinkOffsets(key("b", 2), s.Assignment(key("b", 2)).Epoch, "y", 1, 2),
		sinkOffsets(key("b", 2), s.Assignment(key("b", 2)).Epoch, "x", 3),
	)); err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, o := range s.SourceOffsets("b") {
		parts = append(parts, string(o.Partition))
	}
	if !slices.Equal(parts, []string{"a", "m", "z"}) {
		t.Errorf("SourceOffsets(b) partitions = %v, want sorted", parts)
	}
	var tps []state.TopicPartition
	for _, o := range s.SinkOffsets("b") {
		tps = append(tps, state.TopicPartition{Topic: o.Topic, Partition: o.Partition})
	}
	if want := []state.TopicPartition{{Topic: "x", Partition: 0}, {Topic: "y", Partition: 0}, {Topic: "y", Partition: 1}}; !slices.Equal(tps, want) {
		t.Errorf("SinkOffsets(b) = %v, want %v", tps, want)
	}
	if got := s.SourceOffsets("zzz"); got != nil {
		t.Errorf("SourceOffsets(zzz) = %v, want nil", got)
	}
	if got := s.SinkOffsets("zzz"); got != nil {
		t.Errorf("SinkOffsets(zzz) = %v, want nil", got)
	}
}

func TestTaskKey(t *testing.T) {
	k := key("orders-source", 3)
	if got := k.String(); got != "orders-source-3" {
		t.Errorf("String() = %q", got)
	}
	if got := state.KeyOf(k.ID()); got != k {
		t.Errorf("KeyOf(ID()) = %v, want %v", got, k)
	}
	if got := state.KeyOf(nil); got != (state.TaskKey{}) {
		t.Errorf("KeyOf(nil) = %v, want zero", got)
	}
}

func TestNewIsEmpty(t *testing.T) {
	s := state.New()
	if d := diffSnapshots(s.Snapshot(), &clusterv1.Snapshot{}); d != "" {
		t.Errorf("New() is not empty:\n%s", d)
	}
	if d := diffSnapshots(state.Restore(&clusterv1.Snapshot{}).Snapshot(), &clusterv1.Snapshot{}); d != "" {
		t.Errorf("Restore(empty) is not empty:\n%s", d)
	}
	if got := s.Tasks(); got != nil {
		t.Errorf("Tasks() = %v, want nil", got)
	}
}
