package admin

import (
	"context"
	"sort"
	"strings"

	"github.com/IBM/sarama"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/kernel/state"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// GetLag implements adminv1.AdminServer.
func (s *Service) GetLag(ctx context.Context, req *adminv1.ConnectorRequest) (*adminv1.LagResponse, error) {
	if err := s.readable(); err != nil {
		return nil, err
	}
	var conn *clusterv1.Connector
	committed := map[string]map[int32]int64{}
	s.cfg.Store.Read(func(st *state.State) {
		if conn = st.Connector(req.GetName()); conn == nil {
			return
		}
		for _, o := range st.SinkOffsets(conn.Name) {
			if committed[o.Topic] == nil {
				committed[o.Topic] = map[int32]int64{}
			}
			committed[o.Topic][o.Partition] = o.Offset
		}
	})
	if conn == nil {
		return nil, notFound(req.GetName())
	}
	resp := &adminv1.LagResponse{}
	if conn.Type != clusterv1.ConnectorType_CONNECTOR_TYPE_SINK {
		return resp, nil
	}
	if s.cfg.Kafka == nil {
		return nil, status.Errorf(codes.Unimplemented, "node %s has no Kafka client to read end offsets with", s.cfg.NodeID)
	}
	client, err := s.cfg.Kafka()
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "reach Kafka for end offsets: %v", err)
	}
	defer client.Close()
	// The topics the config names, and any the connector has committed offsets for
	// (topics.regex matches).
	topics := map[string]bool{}
	for _, t := range strings.Split(conn.Config["topics"], ",") {
		if t = strings.TrimSpace(t); t != "" {
			topics[t] = true
		}
	}
	for t := range committed {
		topics[t] = true
	}
	names := make([]string, 0, len(topics))
	for t := range topics {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		parts, err := client.Partitions(t)
		if err != nil {
			continue // not created yet: nothing to lag behind
		}
		for _, p := range parts {
			end, err := client.GetOffset(t, p, sarama.OffsetNewest)
			if err != nil {
				return nil, status.Errorf(codes.Unavailable, "end offset of %s-%d: %v", t, p, err)
			}
			pl := &adminv1.PartitionLag{Topic: t, Partition: p, Committed: -1, End: end}
			from, ok := committed[t][p]
			if ok {
				pl.Committed = from
			} else if from, err = client.GetOffset(t, p, sarama.OffsetOldest); err != nil {
				return nil, status.Errorf(codes.Unavailable, "earliest offset of %s-%d: %v", t, p, err)
			}
			pl.Lag = max(0, end-from)
			resp.Total += pl.Lag
			resp.Partitions = append(resp.Partitions, pl)
		}
	}
	return resp, nil
}
