package state

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
	"google.golang.org/protobuf/proto"
)

// Code classifies why Apply refused a command.
type Code string

// The codes Apply refuses commands with.
const (
	CodeInvalid    Code = "invalid"
	CodeNotFound   Code = "not_found"
	CodeExists     Code = "exists"
	CodeStaleEpoch Code = "stale_epoch"
	CodeNotStopped Code = "not_stopped"
)

// Error is a refusal by the state machine. A refused command changes nothing, except
// CommitOffsets, which applies the tasks whose epoch is current and refuses the rest.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return e.Message }

// Is makes errors.Is(err, &Error{Code: c}) match on the code alone.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	ErrInvalid    = &Error{Code: CodeInvalid}
	ErrNotFound   = &Error{Code: CodeNotFound}
	ErrExists     = &Error{Code: CodeExists}
	ErrStaleEpoch = &Error{Code: CodeStaleEpoch}
	ErrNotStopped = &Error{Code: CodeNotStopped}
)

func refuse(c Code, format string, args ...any) error {
	return &Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of a state machine refusal, or "" for any other error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Apply applies one command at the given log index. Every replica applying the same
// commands at the same indexes reaches the same state. Unknown command types are refused
// (CodeInvalid) rather than ignored, so a newer node's command never half-applies on an
// older one.
func (s *State) Apply(index uint64, cmd *clusterv1.Command) error {
	if index <= s.index {
		// Raft never replays an applied index; a restored snapshot may already contain it.
		return nil
	}
	s.index = index
	switch c := cmd.GetCmd().(type) {
	case *clusterv1.Command_PutConnector:
		return s.applyPutConnector(index, c.PutConnector)
	case *clusterv1.Command_DeleteConnector:
		return s.applyDeleteConnector(c.DeleteConnector)
	case *clusterv1.Command_SetTargetState:
		return s.applySetTargetState(c.SetTargetState)
	case *clusterv1.Command_RegisterNode:
		return s.applyRegisterNode(c.RegisterNode)
	case *clusterv1.Command_RemoveNode:
		return s.applyRemoveNode(c.RemoveNode)
	case *clusterv1.Command_SetAssignments:
		return s.applySetAssignments(index, c.SetAssignments)
	case *clusterv1.Command_ReportTaskStatus:
		return s.applyReportTaskStatus(c.ReportTaskStatus)
	case *clusterv1.Command_CommitOffsets:
		return s.applyCommitOffsets(c.CommitOffsets)
	case *clusterv1.Command_RestartTasks:
		return s.applyRestartTasks(index, c.RestartTasks)
	case *clusterv1.Command_AlterOffsets:
		return s.applyAlterOffsets(c.AlterOffsets)
	case *clusterv1.Command_ReleaseTask:
		return s.applyReleaseTask(index, c.ReleaseTask)
	case *clusterv1.Command_RecordActiveTopics:
		return s.applyRecordActiveTopics(c.RecordActiveTopics)
	case *clusterv1.Command_ResetActiveTopics:
		return s.applyResetActiveTopics(c.ResetActiveTopics)
	default:
		return refuse(CodeInvalid, "unknown command type %T", c)
	}
}

func (s *State) applyPutConnector(index uint64, c *clusterv1.PutConnector) error {
	in := c.GetConnector()
	switch {
	case in.GetName() == "":
		return refuse(CodeInvalid, "connector name is empty")
	case in.GetPlugin() == "":
		return refuse(CodeInvalid, "connector %q: plugin is empty", in.Name)
	case in.GetType() == clusterv1.ConnectorType_CONNECTOR_TYPE_UNSPECIFIED:
		return refuse(CodeInvalid, "connector %q: type is unspecified", in.Name)
	}
	old := s.connectors[in.Name]
	if old != nil && c.CreateOnly {
		return refuse(CodeExists, "connector %s already exists", in.Name)
	}
	next := proto.CloneOf(in)
	next.ActiveTopics = nil // tasks record them; a config change keeps what they recorded
	if old == nil {
		next.Generation = 1
		next.CreatedIndex = index
		next.RestartCount = 0
		if next.TargetState == clusterv1.TargetState_TARGET_STATE_UNSPECIFIED {
			next.TargetState = clusterv1.TargetState_TARGET_STATE_RUNNING
		}
		// A new incarnation never inherits offsets a deleted namesake left behind.
		delete(s.offsets, in.Name)
	} else {
		next.Generation = old.Generation + 1
		next.CreatedIndex = old.CreatedIndex
		next.RestartCount = old.RestartCount
		next.TargetState = old.TargetState
		next.ActiveTopics = old.ActiveTopics
	}
	s.connectors[in.Name] = next
	// Tasks beyond the new count go; those that stay restart on their node with the new
	// config under a new epoch, which fences the instance running the old one.
	for k, a := range s.assignments {
		if k.Connector != in.Name {
			continue
		}
		if int(k.Task) >= len(next.Tasks) {
			delete(s.assignments, k)
			delete(s.statuses, k)
			continue
		}
		a = proto.CloneOf(a)
		a.Epoch, a.Generation = index, next.Generation
		s.assignments[k] = a
		s.setStatus(k, restartingState(next), a.Node, "", index)
	}
	for k := range s.statuses {
		if k.Connector == in.Name && int(k.Task) >= len(next.Tasks) {
			delete(s.statuses, k)
		}
	}
	return nil
}

func (s *State) applyDeleteConnector(c *clusterv1.DeleteConnector) error {
	if s.connectors[c.Name] == nil {
		return refuse(CodeNotFound, "connector %s not found", c.Name)
	}
	delete(s.connectors, c.Name)
	delete(s.offsets, c.Name)
	for k := range s.assignments {
		if k.Connector == c.Name {
			delete(s.assignments, k)
		}
	}
	for k := range s.statuses {
		if k.Connector == c.Name {
			delete(s.statuses, k)
		}
	}
	return nil
}

func (s *State) applySetTargetState(c *clusterv1.SetTargetState) error {
	old := s.connectors[c.Name]
	if old == nil {
		return refuse(CodeNotFound, "connector %s not found", c.Name)
	}
	if c.TargetState == clusterv1.TargetState_TARGET_STATE_UNSPECIFIED {
		return refuse(CodeInvalid, "connector %s: target state is unspecified", c.Name)
	}
	next := proto.CloneOf(old)
	next.TargetState = c.TargetState
	s.connectors[c.Name] = next
	if c.TargetState == clusterv1.TargetState_TARGET_STATE_STOPPED {
		// A stopped connector has no tasks running anywhere.
		for k := range s.assignments {
			if k.Connector == c.Name {
				delete(s.assignments, k)
			}
		}
		for k := range s.statuses {
			if k.Connector == c.Name {
				delete(s.statuses, k)
			}
		}
	}
	return nil
}

func (s *State) applyRegisterNode(c *clusterv1.RegisterNode) error {
	if c.GetNode().GetId() == "" {
		return refuse(CodeInvalid, "node id is empty")
	}
	s.nodes[c.Node.Id] = proto.CloneOf(c.Node)
	return nil
}

func (s *State) applyRemoveNode(c *clusterv1.RemoveNode) error {
	if s.nodes[c.Id] == nil {
		return refuse(CodeNotFound, "node %s not found", c.Id)
	}
	delete(s.nodes, c.Id)
	for k, a := range s.assignments {
		if a.Node == c.Id {
			delete(s.assignments, k)
			s.setStatus(k, clusterv1.TaskState_TASK_STATE_UNASSIGNED, "", "", s.index)
		}
	}
	return nil
}

// applySetAssignments places tasks. Entries that name a connector, task or node that no
// longer exists are skipped, not refused: the scheduler plans on a view that may be a few
// entries old, and the rest of its plan is still right.
func (s *State) applySetAssignments(index uint64, c *clusterv1.SetAssignments) error {
	for _, id := range c.Unassign {
		k := KeyOf(id)
		if _, ok := s.assignments[k]; ok {
			delete(s.assignments, k)
			s.setStatus(k, clusterv1.TaskState_TASK_STATE_UNASSIGNED, "", "", index)
		}
	}
	for _, a := range c.Assign {
		k := KeyOf(a.GetTask())
		conn := s.connectors[k.Connector]
		if conn == nil || k.Task < 0 || int(k.Task) >= len(conn.Tasks) ||
			conn.TargetState == clusterv1.TargetState_TARGET_STATE_STOPPED || s.nodes[a.Node] == nil {
			continue
		}
		if old := s.assignments[k]; old != nil && old.Node == a.Node {
			if old.HandoffTo != "" { // a handoff called off: the task stays, under its epoch
				old = proto.CloneOf(old)
				old.HandoffTo = ""
				s.assignments[k] = old
			}
			continue // already there: keep its epoch, do not restart it
		}
		s.assignments[k] = &clusterv1.Assignment{Task: k.ID(), Node: a.Node, Epoch: index, Generation: conn.Generation}
		s.setStatus(k, clusterv1.TaskState_TASK_STATE_UNASSIGNED, a.Node, "", index)
	}
	for _, h := range c.Handoff {
		k := KeyOf(h.GetTask())
		old := s.assignments[k]
		if old == nil || old.Node == h.Node || s.nodes[h.Node] == nil || s.connectors[k.Connector] == nil {
			continue // nothing to hand off (a plan made against an older state)
		}
		if old.HandoffTo == h.Node {
			continue
		}
		old = proto.CloneOf(old)
		old.HandoffTo = h.Node
		s.assignments[k] = old
	}
	return nil
}

// applyReleaseTask ends a planned handoff: the node that held the task under epoch has
// drained it and committed its final offsets, and the task moves to its handoff_to under
// a new epoch (or is left unassigned if that node has gone meanwhile).
func (s *State) applyReleaseTask(index uint64, c *clusterv1.ReleaseTask) error {
	k := KeyOf(c.GetTask())
	if err := s.checkEpoch(k, c.GetEpoch()); err != nil {
		return err
	}
	old := s.assignments[k]
	if old.HandoffTo == "" {
		return refuse(CodeStaleEpoch, "task %s: no handoff in progress at epoch %d", k, c.GetEpoch())
	}
	conn := s.connectors[k.Connector]
	if s.nodes[old.HandoffTo] == nil || conn == nil {
		delete(s.assignments, k)
		s.setStatus(k, clusterv1.TaskState_TASK_STATE_UNASSIGNED, "", "", index)
		return nil
	}
	s.assignments[k] = &clusterv1.Assignment{Task: k.ID(), Node: old.HandoffTo, Epoch: index, Generation: conn.Generation}
	s.setStatus(k, clusterv1.TaskState_TASK_STATE_UNASSIGNED, old.HandoffTo, "", index)
	return nil
}

func (s *State) setStatus(k TaskKey, st clusterv1.TaskState, worker, trace string, epoch uint64) {
	s.statuses[k] = &clusterv1.TaskStatus{Task: k.ID(), State: st, WorkerId: worker, Trace: trace, Epoch: epoch}
}

// checkEpoch refuses a task's write unless epoch is its current assignment's.
func (s *State) checkEpoch(k TaskKey, epoch uint64) error {
	a := s.assignments[k]
	if a == nil {
		return refuse(CodeStaleEpoch, "task %s is not assigned (epoch %d is stale)", k, epoch)
	}
	if a.Epoch != epoch {
		return refuse(CodeStaleEpoch, "task %s: epoch %d is stale, current is %d on node %s", k, epoch, a.Epoch, a.Node)
	}
	return nil
}

func (s *State) applyReportTaskStatus(c *clusterv1.ReportTaskStatus) error {
	st := c.GetStatus()
	k := KeyOf(st.GetTask())
	if err := s.checkEpoch(k, st.GetEpoch()); err != nil {
		return err
	}
	s.statuses[k] = proto.CloneOf(st)
	return nil
}

func (s *State) applyCommitOffsets(c *clusterv1.CommitOffsets) error {
	var stale []string
	for _, t := range c.Tasks {
		k := KeyOf(t.Task)
		if err := s.checkEpoch(k, t.Epoch); err != nil {
			stale = append(stale, err.Error())
			continue
		}
		o := s.offsetsOf(k.Connector)
		for _, so := range t.Source {
			o.source[string(so.Partition)] = bytes.Clone(so.Offset)
		}
		for _, so := range t.Sink {
			o.sink[TopicPartition{so.Topic, so.Partition}] = so.Offset
		}
	}
	if len(stale) > 0 {
		sort.Strings(stale)
		return refuse(CodeStaleEpoch, "offsets refused: %s", strings.Join(stale, "; "))
	}
	return nil
}

func (s *State) applyRestartTasks(index uint64, c *clusterv1.RestartTasks) error {
	if c.Connector != "" {
		old := s.connectors[c.Connector]
		if old == nil {
			return refuse(CodeNotFound, "connector %s not found", c.Connector)
		}
		next := proto.CloneOf(old)
		next.RestartCount++
		s.connectors[c.Connector] = next
	}
	for _, id := range c.Tasks {
		k := KeyOf(id)
		a := s.assignments[k]
		if a == nil {
			continue
		}
		a = proto.CloneOf(a)
		a.Epoch = index
		a.Restarts++
		s.assignments[k] = a
		s.setStatus(k, restartingState(s.connectors[c.Connector]), a.Node, "", index)
	}
	return nil
}

// restartingState is the status of a task restarted (or reconfigured) until its new
// instance reports: RESTARTING, or PAUSED for a paused connector's task, which comes back
// paused and must never look as if it ran (upstream shows it PAUSED throughout).
func restartingState(c *clusterv1.Connector) clusterv1.TaskState {
	if c.GetTargetState() == clusterv1.TargetState_TARGET_STATE_PAUSED {
		return clusterv1.TaskState_TASK_STATE_PAUSED
	}
	return clusterv1.TaskState_TASK_STATE_RESTARTING
}

func (s *State) applyAlterOffsets(c *clusterv1.AlterOffsets) error {
	conn := s.connectors[c.Connector]
	if conn == nil {
		return refuse(CodeNotFound, "connector %s not found", c.Connector)
	}
	if conn.TargetState != clusterv1.TargetState_TARGET_STATE_STOPPED {
		return refuse(CodeNotStopped, "connector %s must be STOPPED to alter its offsets (it is %s); stop it first",
			c.Connector, strings.TrimPrefix(conn.TargetState.String(), "TARGET_STATE_"))
	}
	if c.ResetOffsets {
		delete(s.offsets, c.Connector)
		return nil
	}
	o := s.offsetsOf(c.Connector)
	for _, so := range c.Source {
		if len(so.Offset) == 0 || string(so.Offset) == "null" {
			delete(o.source, string(so.Partition))
		} else {
			o.source[string(so.Partition)] = bytes.Clone(so.Offset)
		}
	}
	for _, so := range c.Sink {
		tp := TopicPartition{so.Topic, so.Partition}
		if so.Offset < 0 {
			delete(o.sink, tp)
		} else {
			o.sink[tp] = so.Offset
		}
	}
	return nil
}

func (s *State) applyRecordActiveTopics(c *clusterv1.RecordActiveTopics) error {
	conn := s.connectors[c.Connector]
	if conn == nil || (c.CreatedIndex != 0 && conn.CreatedIndex != c.CreatedIndex) {
		return refuse(CodeNotFound, "connector %s not found", c.Connector)
	}
	topics := slices.Clone(conn.ActiveTopics)
	for _, t := range c.Topics {
		if i, found := slices.BinarySearch(topics, t); !found && t != "" {
			topics = slices.Insert(topics, i, t)
		}
	}
	if len(topics) != len(conn.ActiveTopics) {
		next := proto.CloneOf(conn)
		next.ActiveTopics = topics
		s.connectors[c.Connector] = next
	}
	return nil
}

func (s *State) applyResetActiveTopics(c *clusterv1.ResetActiveTopics) error {
	conn := s.connectors[c.Connector]
	if conn == nil {
		return refuse(CodeNotFound, "connector %s not found", c.Connector)
	}
	if len(conn.ActiveTopics) > 0 {
		next := proto.CloneOf(conn)
		next.ActiveTopics = nil
		s.connectors[c.Connector] = next
	}
	return nil
}
