package admin

import (
	"sort"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/kernel/state"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// watchRecheck is how often WatchStatus looks again without a state change: a status
// also depends on what the node knows of the leader and of liveness (Config.Health),
// which change without a Raft entry.
const watchRecheck = time.Second

// WatchStatus implements adminv1.AdminServer: the statuses of one connector (req.name) or
// of all, first as they are, then each time one changes, from this node's replica. A
// status is built as GetConnectorStatus builds it, so tasks on a node that missed its
// lease and tasks in a cluster with no leader show UNASSIGNED with the reason as trace.
func (s *Service) WatchStatus(req *adminv1.WatchStatusRequest, stream adminv1.Admin_WatchStatusServer) error {
	if err := s.readable(); err != nil {
		return err
	}
	name := req.GetName()
	if name != "" && s.connector(name) == nil {
		return notFound(name)
	}
	ctx := stream.Context()
	tick := time.NewTicker(watchRecheck)
	defer tick.Stop()
	last := map[string]*adminv1.ConnectorStatus{}
	for first := true; ; first = false {
		// Take the change signal before reading, so a change between the read and the
		// wait is not missed.
		changed := s.cfg.Store.Changed()
		h := s.clusterHealth()
		leader := ""
		if h != nil {
			leader = h.Leader
		}
		var index uint64
		cur := map[string]*adminv1.ConnectorStatus{}
		s.cfg.Store.Read(func(st *state.State) {
			index = st.Index()
			if name != "" {
				if c := st.Connector(name); c != nil {
					cur[name] = s.status(st, c, h)
				}
				return
			}
			for _, c := range st.Connectors() {
				cur[c.Name] = s.status(st, c, h)
			}
		})
		var events []*adminv1.StatusEvent
		for n, st := range cur {
			if prev, ok := last[n]; !ok || !proto.Equal(prev, st) {
				events = append(events, &adminv1.StatusEvent{Status: st, LeaderId: leader, Index: index})
				last[n] = st
			}
		}
		for n := range last {
			if _, ok := cur[n]; !ok {
				events = append(events, &adminv1.StatusEvent{Status: &adminv1.ConnectorStatus{Name: n}, Deleted: true,
					LeaderId: leader, Index: index})
				delete(last, n)
			}
		}
		sort.Slice(events, func(i, j int) bool { return events[i].Status.GetName() < events[j].Status.GetName() })
		if first {
			events = append(events, &adminv1.StatusEvent{InitialDone: true, LeaderId: leader, Index: index})
		}
		for _, e := range events {
			if err := stream.Send(e); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-tick.C:
		}
	}
}
