package admin

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/kernel/config"
	"github.com/tributary-dev/tributary/kernel/state"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// ListConnectors implements adminv1.AdminServer.
func (s *Service) ListConnectors(context.Context, *adminv1.ListConnectorsRequest) (*adminv1.ListConnectorsResponse, error) {
	if err := s.readable(); err != nil {
		return nil, err
	}
	resp := &adminv1.ListConnectorsResponse{Names: []string{}}
	s.cfg.Store.Read(func(st *state.State) {
		for _, c := range st.Connectors() {
			resp.Names = append(resp.Names, c.Name)
		}
	})
	return resp, nil
}

// CreateConnector implements adminv1.AdminServer: POST /connectors. It refuses a name that
// exists (AlreadyExists).
func (s *Service) CreateConnector(ctx context.Context, req *adminv1.CreateConnectorRequest) (*adminv1.ConnectorInfo, error) {
	target, err := parseTargetState(req.GetInitialState())
	if err != nil {
		return nil, err
	}
	info, _, err := s.putConnector(ctx, req.GetName(), req.GetConfig(), target, true)
	return info, err
}

// PutConnectorConfig implements adminv1.AdminServer: PUT /connectors/{name}/config. It
// creates the connector (RUNNING) or replaces its config, keeping its target state.
func (s *Service) PutConnectorConfig(ctx context.Context, req *adminv1.PutConnectorConfigRequest) (*adminv1.PutConnectorConfigResponse, error) {
	info, created, err := s.putConnector(ctx, req.GetName(), req.GetConfig(), clusterv1.TargetState_TARGET_STATE_RUNNING, false)
	if err != nil {
		return nil, err
	}
	return &adminv1.PutConnectorConfigResponse{Info: info, Created: created}, nil
}

// patchConnectorConfig merges patch into an existing connector's config: a nil value
// removes the key (PATCH /connectors/{name}/config).
func (s *Service) patchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (*adminv1.ConnectorInfo, error) {
	conn := s.connector(name)
	if conn == nil {
		return nil, notFound(name)
	}
	cfg := make(map[string]string, len(conn.Config)+len(patch))
	for k, v := range conn.Config {
		cfg[k] = v
	}
	for k, v := range patch {
		if v == nil {
			delete(cfg, k)
		} else {
			cfg[k] = *v
		}
	}
	info, _, err := s.putConnector(ctx, name, cfg, clusterv1.TargetState_TARGET_STATE_RUNNING, false)
	return info, err
}

func parseTargetState(s string) (clusterv1.TargetState, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", "RUNNING":
		return clusterv1.TargetState_TARGET_STATE_RUNNING, nil
	case "PAUSED":
		return clusterv1.TargetState_TARGET_STATE_PAUSED, nil
	case "STOPPED":
		return clusterv1.TargetState_TARGET_STATE_STOPPED, nil
	}
	return 0, status.Errorf(codes.InvalidArgument, "Invalid initial state %q: use RUNNING, PAUSED or STOPPED", s)
}

// putConnector writes a connector's config through the herder (checked, validated, split
// into task configs, then applied) and answers with its info.
func (s *Service) putConnector(ctx context.Context, name string, in map[string]string, target clusterv1.TargetState, createOnly bool) (*adminv1.ConnectorInfo, bool, error) {
	conn, created, err := s.configs.Put(ctx, name, in, target, createOnly)
	if err != nil {
		return nil, false, connectorErr(name, storeErr(err))
	}
	return s.info(conn), created, nil
}

// validate checks cfg as the herder does before writing it.
func (s *Service) validate(ctx context.Context, desc *pluginv1.ConnectorDescriptor, cfg map[string]string) ([]config.FieldError, error) {
	return s.configs.Validate(ctx, desc, cfg)
}

func typeName(t clusterv1.ConnectorType) string {
	switch t {
	case clusterv1.ConnectorType_CONNECTOR_TYPE_SOURCE:
		return "source"
	case clusterv1.ConnectorType_CONNECTOR_TYPE_SINK:
		return "sink"
	}
	return "unknown"
}

// connector reads one connector from the local replica; nil when there is none.
func (s *Service) connector(name string) *clusterv1.Connector {
	var c *clusterv1.Connector
	s.cfg.Store.Read(func(st *state.State) { c = st.Connector(name) })
	return c
}

// descriptor returns the plugin's description of a connector's plugin, or nil when this
// node does not have the plugin (masking then falls back to key names).
func (s *Service) descriptor(plugin string) *pluginv1.ConnectorDescriptor {
	d, err := s.cfg.Plugins.Resolve(plugin)
	if err != nil {
		return nil
	}
	return d.ConnectorDescriptor
}

// info is the ConnectorInfo of c, secrets masked. A STOPPED connector lists no tasks, as
// in Kafka Connect.
func (s *Service) info(c *clusterv1.Connector) *adminv1.ConnectorInfo {
	info := &adminv1.ConnectorInfo{Name: c.Name, Config: config.Mask(s.descriptor(c.Plugin), c.Config), Type: typeName(c.Type)}
	if info.Config == nil {
		info.Config = map[string]string{}
	}
	if c.TargetState != clusterv1.TargetState_TARGET_STATE_STOPPED {
		for i := range c.Tasks {
			info.Tasks = append(info.Tasks, &adminv1.TaskID{Connector: c.Name, Task: int32(i)})
		}
	}
	return info
}

// GetConnector implements adminv1.AdminServer.
func (s *Service) GetConnector(_ context.Context, req *adminv1.ConnectorRequest) (*adminv1.ConnectorInfo, error) {
	if err := s.readable(); err != nil {
		return nil, err
	}
	c := s.connector(req.GetName())
	if c == nil {
		return nil, notFound(req.GetName())
	}
	return s.info(c), nil
}

// DeleteConnector implements adminv1.AdminServer.
func (s *Service) DeleteConnector(ctx context.Context, req *adminv1.ConnectorRequest) (*adminv1.Empty, error) {
	_, err := s.apply(ctx, &clusterv1.Command{Cmd: &clusterv1.Command_DeleteConnector{
		DeleteConnector: &clusterv1.DeleteConnector{Name: req.GetName()}}})
	if err != nil {
		return nil, connectorErr(req.GetName(), err)
	}
	s.log.Info("connector deleted", "connector", req.GetName())
	return &adminv1.Empty{}, nil
}

// GetConnectorStatus implements adminv1.AdminServer.
func (s *Service) GetConnectorStatus(_ context.Context, req *adminv1.ConnectorRequest) (*adminv1.ConnectorStatus, error) {
	if err := s.readable(); err != nil {
		return nil, err
	}
	var out *adminv1.ConnectorStatus
	h := s.clusterHealth()
	s.cfg.Store.Read(func(st *state.State) {
		if c := st.Connector(req.GetName()); c != nil {
			out = s.status(st, c, h)
		}
	})
	if out == nil {
		return nil, notFound(req.GetName())
	}
	return out, nil
}

// status builds a connector's status from the state. The connector's state is its target
// state (there is no connector instance apart from its tasks); its worker is the node of
// task 0, or the node answering while task 0 is unplaced. A task with no assignment or no
// report yet is UNASSIGNED. A STOPPED connector has no tasks.
func (s *Service) status(st *state.State, c *clusterv1.Connector, h *Health) *adminv1.ConnectorStatus {
	out := &adminv1.ConnectorStatus{
		Name:      c.Name,
		Connector: &adminv1.StateInfo{State: targetName(c.TargetState), WorkerId: s.cfg.NodeID},
		Type:      typeName(c.Type),
	}
	if a := st.Assignment(state.TaskKey{Connector: c.Name, Task: 0}); a != nil {
		out.Connector.WorkerId = a.Node
	}
	out.Connector.Trace = s.clusterTrace(h)
	if c.TargetState == clusterv1.TargetState_TARGET_STATE_STOPPED {
		return out
	}
	for i := range c.Tasks {
		out.Tasks = append(out.Tasks, taskStatus(st, state.TaskKey{Connector: c.Name, Task: int32(i)}, h))
	}
	return out
}

// clusterHealth returns what the node knows of the cluster now, nil when Config.Health is not
// set.
func (s *Service) clusterHealth() *Health {
	if s.cfg.Health == nil {
		return nil
	}
	h := s.cfg.Health()
	return &h
}

// readable refuses a read while this node's replica has not caught up with the leader
// (just restarted): it could say "not found" of a connector that exists. The caller is
// told to retry, or to ask another node.
func (s *Service) readable() error {
	h := s.clusterHealth()
	if h == nil || h.CaughtUp {
		return nil
	}
	return status.Errorf(codes.Unavailable, "node %s is catching up with the cluster's state after a restart and cannot "+
		"answer reads yet; retry in a moment or ask another node", s.cfg.NodeID)
}

// clusterTrace says, for a status answer, why the states in it may not be what runs:
// there is no leader, or this node has lost touch with it. "" when neither.
func (s *Service) clusterTrace(h *Health) string {
	switch {
	case h == nil || h.Known:
		return ""
	case h.Leader == "":
		return fmt.Sprintf("the cluster has no leader (as seen by node %s): no task runs until one is elected, "+
			"since every node stops its tasks when its lease runs out", s.cfg.NodeID)
	default:
		return fmt.Sprintf("node %s has not heard from leader %s within its lease: these states are as this node last "+
			"knew them, and its own tasks have stopped", s.cfg.NodeID, h.Leader)
	}
}

func taskStatus(st *state.State, k state.TaskKey, h *Health) *adminv1.TaskStatus {
	ts := &adminv1.TaskStatus{Id: k.Task, State: "UNASSIGNED"}
	a, rep := st.Assignment(k), st.TaskStatus(k)
	if a == nil || rep == nil {
		if a != nil {
			ts.WorkerId = a.Node
		}
		return ts
	}
	if rep.State != clusterv1.TaskState_TASK_STATE_UNSPECIFIED {
		ts.State = strings.TrimPrefix(rep.State.String(), "TASK_STATE_")
	}
	ts.WorkerId, ts.Trace = rep.WorkerId, rep.Trace
	if ts.WorkerId == "" {
		ts.WorkerId = a.Node
	}
	if ts.State == "FAILED" || h == nil {
		return ts // a failure's trace stays what the task reported
	}
	switch {
	case h.Leader == "":
		ts.State, ts.WorkerId = "UNASSIGNED", a.Node
		ts.Trace = fmt.Sprintf("the cluster has no leader: node %s stopped this task when its lease ran out, "+
			"and no node may run it until a leader is elected", a.Node)
	case h.Known && !h.Live[a.Node]:
		ts.State, ts.WorkerId = "UNASSIGNED", a.Node
		ts.Trace = fmt.Sprintf("node %s has missed its lease (leader %s has not heard from it): the task is "+
			"not running there and moves to a live node", a.Node, h.Leader)
	}
	return ts
}

func targetName(t clusterv1.TargetState) string {
	switch t {
	case clusterv1.TargetState_TARGET_STATE_PAUSED:
		return "PAUSED"
	case clusterv1.TargetState_TARGET_STATE_STOPPED:
		return "STOPPED"
	}
	return "RUNNING"
}

// taskStatusOf returns one task's status (GET /connectors/{name}/tasks/{id}/status).
func (s *Service) taskStatusOf(name string, task int32) (*adminv1.TaskStatus, error) {
	if err := s.readable(); err != nil {
		return nil, err
	}
	var out *adminv1.TaskStatus
	var found bool
	h := s.clusterHealth()
	s.cfg.Store.Read(func(st *state.State) {
		c := st.Connector(name)
		if c == nil {
			return
		}
		found = true
		if task >= 0 && int(task) < len(c.Tasks) && c.TargetState != clusterv1.TargetState_TARGET_STATE_STOPPED {
			out = taskStatus(st, state.TaskKey{Connector: name, Task: task}, h)
		}
	})
	if !found {
		return nil, notFound(name)
	}
	if out == nil {
		return nil, status.Errorf(codes.NotFound, "No status found for task %s-%d", name, task)
	}
	return out, nil
}

// GetTaskConfigs implements adminv1.AdminServer. Secrets are masked.
func (s *Service) GetTaskConfigs(_ context.Context, req *adminv1.ConnectorRequest) (*adminv1.TaskConfigsResponse, error) {
	if err := s.readable(); err != nil {
		return nil, err
	}
	c := s.connector(req.GetName())
	if c == nil {
		return nil, notFound(req.GetName())
	}
	resp := &adminv1.TaskConfigsResponse{}
	if c.TargetState == clusterv1.TargetState_TARGET_STATE_STOPPED {
		return resp, nil
	}
	desc := s.descriptor(c.Plugin)
	for i, t := range c.Tasks {
		cfg := config.Mask(desc, t.Config)
		if cfg == nil {
			cfg = map[string]string{}
		}
		resp.Tasks = append(resp.Tasks, &adminv1.TaskInfo{
			Id: &adminv1.TaskID{Connector: c.Name, Task: int32(i)}, Config: cfg})
	}
	return resp, nil
}

func (s *Service) setTarget(ctx context.Context, name string, t clusterv1.TargetState) (*adminv1.Empty, error) {
	_, err := s.apply(ctx, &clusterv1.Command{Cmd: &clusterv1.Command_SetTargetState{
		SetTargetState: &clusterv1.SetTargetState{Name: name, TargetState: t}}})
	if err != nil {
		return nil, connectorErr(name, err)
	}
	s.log.Info("connector target state set", "connector", name, "state", targetName(t))
	return &adminv1.Empty{}, nil
}

// PauseConnector implements adminv1.AdminServer. Pausing a paused connector is no error.
func (s *Service) PauseConnector(ctx context.Context, req *adminv1.ConnectorRequest) (*adminv1.Empty, error) {
	return s.setTarget(ctx, req.GetName(), clusterv1.TargetState_TARGET_STATE_PAUSED)
}

// ResumeConnector implements adminv1.AdminServer: a PAUSED or STOPPED connector runs
// again; a running one is left as it is.
func (s *Service) ResumeConnector(ctx context.Context, req *adminv1.ConnectorRequest) (*adminv1.Empty, error) {
	return s.setTarget(ctx, req.GetName(), clusterv1.TargetState_TARGET_STATE_RUNNING)
}

// StopConnector implements adminv1.AdminServer: the connector's tasks shut down and it
// lists none until resumed; its config and offsets stay.
func (s *Service) StopConnector(ctx context.Context, req *adminv1.ConnectorRequest) (*adminv1.Empty, error) {
	return s.setTarget(ctx, req.GetName(), clusterv1.TargetState_TARGET_STATE_STOPPED)
}

// RestartConnector implements adminv1.AdminServer with Kafka Connect's semantics
// (RestartRequest): the connector restarts unless only_failed is set (a Tributary
// connector has no instance of its own that could fail, so with only_failed it never
// does); a task restarts when include_tasks is set and, with only_failed, only if it
// FAILED. A task restarts in place, on its node, under a new epoch. The answer is Kafka
// Connect's restart plan: the status with what restarts marked RESTARTING. With neither
// flag the REST API answers 204 and no body, as upstream.
func (s *Service) RestartConnector(ctx context.Context, req *adminv1.RestartConnectorRequest) (*adminv1.ConnectorStatus, error) {
	name := req.GetName()
	var tasks []*clusterv1.TaskID
	var found bool
	s.cfg.Store.Read(func(st *state.State) {
		c := st.Connector(name)
		if c == nil {
			return
		}
		found = true
		if !req.GetIncludeTasks() {
			return
		}
		for i := range c.Tasks {
			k := state.TaskKey{Connector: name, Task: int32(i)}
			if st.Assignment(k) == nil {
				continue // nothing runs to restart; the scheduler will place it
			}
			if req.GetOnlyFailed() {
				if ts := st.TaskStatus(k); ts == nil || ts.State != clusterv1.TaskState_TASK_STATE_FAILED {
					continue
				}
			}
			tasks = append(tasks, k.ID())
		}
	})
	if !found {
		return nil, notFound(name)
	}
	cmd := &clusterv1.RestartTasks{Tasks: tasks}
	if !req.GetOnlyFailed() {
		cmd.Connector = name
	}
	if cmd.Connector != "" || len(cmd.Tasks) > 0 {
		if _, err := s.apply(ctx, &clusterv1.Command{Cmd: &clusterv1.Command_RestartTasks{RestartTasks: cmd}}); err != nil {
			return nil, connectorErr(name, err)
		}
		s.log.Info("connector restart requested", "connector", name, "connector_restarted", cmd.Connector != "", "tasks", len(cmd.Tasks))
	}
	st, err := s.GetConnectorStatus(ctx, &adminv1.ConnectorRequest{Name: name})
	if err != nil {
		return nil, err
	}
	// The plan marks what restarts RESTARTING, as upstream's; the statuses read later show
	// a paused connector's tasks PAUSED throughout (they come back paused).
	if cmd.Connector != "" {
		st.Connector.State = "RESTARTING"
	}
	for _, ts := range st.Tasks {
		if slices.ContainsFunc(tasks, func(id *clusterv1.TaskID) bool { return id.GetTask() == ts.GetId() }) {
			ts.State = "RESTARTING"
		}
	}
	return st, nil
}

// RestartTask implements adminv1.AdminServer.
func (s *Service) RestartTask(ctx context.Context, req *adminv1.TaskRequest) (*adminv1.Empty, error) {
	name, task := req.GetConnector(), req.GetTask()
	c := s.connector(name)
	if c == nil {
		return nil, notFound(name)
	}
	if task < 0 || int(task) >= len(c.Tasks) || c.TargetState == clusterv1.TargetState_TARGET_STATE_STOPPED {
		return nil, status.Errorf(codes.NotFound, "Unknown task: %s-%d", name, task)
	}
	_, err := s.apply(ctx, &clusterv1.Command{Cmd: &clusterv1.Command_RestartTasks{RestartTasks: &clusterv1.RestartTasks{
		Tasks: []*clusterv1.TaskID{{Connector: name, Task: task}}}}})
	if err != nil {
		return nil, connectorErr(name, err)
	}
	s.log.Info("task restart requested", "connector", name, "task", task)
	return &adminv1.Empty{}, nil
}
