package state

import (
	"fmt"
	"sort"

	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
	"google.golang.org/protobuf/proto"
)

// TaskKey names one task of one connector.
type TaskKey struct {
	Connector string
	Task      int32
}

func (k TaskKey) String() string { return fmt.Sprintf("%s-%d", k.Connector, k.Task) }

// KeyOf returns the key of a task ID message.
func KeyOf(id *clusterv1.TaskID) TaskKey {
	return TaskKey{Connector: id.GetConnector(), Task: id.GetTask()}
}

// ID returns the message form of the key.
func (k TaskKey) ID() *clusterv1.TaskID {
	return &clusterv1.TaskID{Connector: k.Connector, Task: k.Task}
}

// TopicPartition names one Kafka partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

type offsets struct {
	source map[string][]byte // source partition (JSON bytes as a string) → offset
	sink   map[TopicPartition]int64
}

// State is the replicated state. The zero value is not usable; call New.
//
// Records returned by the read methods belong to the state and must not be modified: Apply
// never changes a record in place, it replaces it, so a reader may keep a record it read
// for as long as it likes and see a consistent, if old, version.
type State struct {
	index       uint64
	connectors  map[string]*clusterv1.Connector
	nodes       map[string]*clusterv1.Node
	assignments map[TaskKey]*clusterv1.Assignment
	statuses    map[TaskKey]*clusterv1.TaskStatus
	offsets     map[string]*offsets
}

// New returns an empty state.
func New() *State {
	return &State{
		connectors:  map[string]*clusterv1.Connector{},
		nodes:       map[string]*clusterv1.Node{},
		assignments: map[TaskKey]*clusterv1.Assignment{},
		statuses:    map[TaskKey]*clusterv1.TaskStatus{},
		offsets:     map[string]*offsets{},
	}
}

// Index is the log index of the last command applied (or restored).
func (s *State) Index() uint64 { return s.index }

// Connector returns the named connector, or nil.
func (s *State) Connector(name string) *clusterv1.Connector { return s.connectors[name] }

// Connectors returns every connector, sorted by name.
func (s *State) Connectors() []*clusterv1.Connector {
	out := make([]*clusterv1.Connector, 0, len(s.connectors))
	for _, c := range s.connectors {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Node returns the node with the given id, or nil.
func (s *State) Node(id string) *clusterv1.Node { return s.nodes[id] }

// Nodes returns every registered node, sorted by id.
func (s *State) Nodes() []*clusterv1.Node {
	out := make([]*clusterv1.Node, 0, len(s.nodes))
	for _, n := range s.nodes {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Id < out[j].Id })
	return out
}

// Tasks returns the tasks that should be running somewhere: every task of every connector
// that is not STOPPED, sorted.
func (s *State) Tasks() []TaskKey {
	var out []TaskKey
	for _, c := range s.Connectors() {
		if c.TargetState == clusterv1.TargetState_TARGET_STATE_STOPPED {
			continue
		}
		for i := range c.Tasks {
			out = append(out, TaskKey{c.Name, int32(i)})
		}
	}
	return out
}

// Assignment returns the task's assignment, or nil when it is unassigned.
func (s *State) Assignment(k TaskKey) *clusterv1.Assignment { return s.assignments[k] }

// Assignments returns every assignment, sorted by task.
func (s *State) Assignments() []*clusterv1.Assignment {
	out := make([]*clusterv1.Assignment, 0, len(s.assignments))
	for _, a := range s.assignments {
		out = append(out, a)
	}
	sortAssignments(out)
	return out
}

// AssignmentsOf returns the assignments placed on one node, sorted by task.
func (s *State) AssignmentsOf(node string) []*clusterv1.Assignment {
	var out []*clusterv1.Assignment
	for _, a := range s.assignments {
		if a.Node == node {
			out = append(out, a)
		}
	}
	sortAssignments(out)
	return out
}

func sortAssignments(as []*clusterv1.Assignment) {
	sort.Slice(as, func(i, j int) bool { return lessKey(KeyOf(as[i].Task), KeyOf(as[j].Task)) })
}

func lessKey(a, b TaskKey) bool {
	if a.Connector != b.Connector {
		return a.Connector < b.Connector
	}
	return a.Task < b.Task
}

// TaskStatus returns the last status reported for a task, or nil.
func (s *State) TaskStatus(k TaskKey) *clusterv1.TaskStatus { return s.statuses[k] }

// SourceOffsets returns a connector's committed source offsets, sorted by partition.
func (s *State) SourceOffsets(connector string) []*clusterv1.SourceOffset {
	o := s.offsets[connector]
	if o == nil {
		return nil
	}
	out := make([]*clusterv1.SourceOffset, 0, len(o.source))
	for p, off := range o.source {
		out = append(out, &clusterv1.SourceOffset{Partition: []byte(p), Offset: off})
	}
	sort.Slice(out, func(i, j int) bool { return string(out[i].Partition) < string(out[j].Partition) })
	return out
}

// SinkOffsets returns a connector's committed sink offsets (next offset to read), sorted.
func (s *State) SinkOffsets(connector string) []*clusterv1.SinkOffset {
	o := s.offsets[connector]
	if o == nil {
		return nil
	}
	out := make([]*clusterv1.SinkOffset, 0, len(o.sink))
	for tp, off := range o.sink {
		out = append(out, &clusterv1.SinkOffset{Topic: tp.Topic, Partition: tp.Partition, Offset: off})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}

// Snapshot returns the whole state as one message, deterministically ordered.
func (s *State) Snapshot() *clusterv1.Snapshot {
	snap := &clusterv1.Snapshot{Index: s.index}
	snap.Connectors = s.Connectors()
	snap.Nodes = s.Nodes()
	snap.Assignments = s.Assignments()
	keys := make([]TaskKey, 0, len(s.statuses))
	for k := range s.statuses {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return lessKey(keys[i], keys[j]) })
	for _, k := range keys {
		snap.Statuses = append(snap.Statuses, s.statuses[k])
	}
	names := make([]string, 0, len(s.offsets))
	for n := range s.offsets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		snap.Offsets = append(snap.Offsets, &clusterv1.ConnectorOffsets{
			Connector: n, Source: s.SourceOffsets(n), Sink: s.SinkOffsets(n),
		})
	}
	return proto.CloneOf(snap)
}

// Restore replaces the whole state with a snapshot's.
func Restore(snap *clusterv1.Snapshot) *State {
	s := New()
	snap = proto.CloneOf(snap)
	s.index = snap.Index
	for _, c := range snap.Connectors {
		s.connectors[c.Name] = c
	}
	for _, n := range snap.Nodes {
		s.nodes[n.Id] = n
	}
	for _, a := range snap.Assignments {
		s.assignments[KeyOf(a.Task)] = a
	}
	for _, st := range snap.Statuses {
		s.statuses[KeyOf(st.Task)] = st
	}
	for _, co := range snap.Offsets {
		o := s.offsetsOf(co.Connector)
		for _, so := range co.Source {
			o.source[string(so.Partition)] = so.Offset
		}
		for _, so := range co.Sink {
			o.sink[TopicPartition{so.Topic, so.Partition}] = so.Offset
		}
	}
	return s
}

func (s *State) offsetsOf(connector string) *offsets {
	o := s.offsets[connector]
	if o == nil {
		o = &offsets{source: map[string][]byte{}, sink: map[TopicPartition]int64{}}
		s.offsets[connector] = o
	}
	return o
}
