package admin

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tributary-dev/tributary/kernel/state"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// firstSeen remembers when this node first read each incarnation of a connector, for
// ages: the replicated state holds no clocks.
type firstSeen struct {
	mu sync.Mutex
	at map[string]time.Time // name@created_index → time
}

func (f *firstSeen) get(name string, created uint64, now time.Time) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.at == nil {
		f.at = map[string]time.Time{}
	}
	k := fmt.Sprintf("%s@%d", name, created)
	t, ok := f.at[k]
	if !ok {
		t = now
		f.at[k] = t
	}
	return t
}

// DescribeConnectors implements adminv1.AdminServer.
func (s *Service) DescribeConnectors(_ context.Context, req *adminv1.DescribeConnectorsRequest) (*adminv1.DescribeConnectorsResponse, error) {
	if err := s.readable(); err != nil {
		return nil, err
	}
	h := s.clusterHealth()
	now := time.Now()
	resp := &adminv1.DescribeConnectorsResponse{}
	s.cfg.Store.Read(func(st *state.State) {
		for _, c := range st.Connectors() {
			if req.GetName() != "" && c.Name != req.GetName() {
				continue
			}
			sum := &adminv1.ConnectorSummary{Info: s.info(c), Status: s.status(st, c, h), TargetState: targetName(c.TargetState),
				Restarts: c.RestartCount, Generation: c.Generation,
				AgeMs: now.Sub(s.seen.get(c.Name, c.CreatedIndex, now)).Milliseconds()}
			for i := range c.Tasks {
				if a := st.Assignment(state.TaskKey{Connector: c.Name, Task: int32(i)}); a != nil {
					sum.Restarts += a.Restarts
				}
			}
			resp.Connectors = append(resp.Connectors, sum)
		}
	})
	if req.GetName() != "" && len(resp.Connectors) == 0 {
		return nil, notFound(req.GetName())
	}
	return resp, nil
}
