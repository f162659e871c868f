package admin

import (
	"context"
	"maps"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// Worker is what a node is configured with that a Strimzi KafkaConnect resource also
// describes.
type Worker struct {
	BootstrapServers []string
	// Converters are the worker-level converter defaults.
	Converters map[string]string
	// RESTAddr is the node's advertised REST host:port.
	RESTAddr string
}

// GetWorker implements adminv1.AdminServer.
func (s *Service) GetWorker(ctx context.Context, _ *adminv1.GetWorkerRequest) (*adminv1.WorkerInfo, error) {
	w := s.cfg.Worker
	out := &adminv1.WorkerInfo{NodeId: s.cfg.NodeID, BootstrapServers: w.BootstrapServers,
		Converters: maps.Clone(w.Converters), Version: s.cfg.Version}
	if w.RESTAddr != "" {
		out.RestUrl = "http://" + w.RESTAddr
	}
	if s.cfg.KafkaClusterID != nil {
		out.KafkaClusterId = s.cfg.KafkaClusterID()
	}
	ms, _ := s.members()
	if s.cfg.Operator != nil {
		if resp, err := s.cfg.Operator.Members(ctx); err == nil {
			ms = resp.Members
		}
	}
	for _, m := range ms {
		out.Nodes++
		if m.Alive {
			out.NodesAlive++
		}
	}
	plugins, err := s.ListPlugins(ctx, &adminv1.ListPluginsRequest{ConnectorsOnly: true})
	if err != nil {
		return nil, err
	}
	out.Plugins = plugins.Plugins
	return out, nil
}
