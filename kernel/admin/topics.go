package admin

import (
	"context"
	"net/http"
	"slices"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// GetConnectorTopics implements adminv1.AdminServer: the topics a connector's tasks have
// produced to or consumed from since it was created or they were reset (KIP-558).
func (s *Service) GetConnectorTopics(_ context.Context, req *adminv1.ConnectorRequest) (*adminv1.ConnectorTopics, error) {
	if err := s.readable(); err != nil {
		return nil, err
	}
	c := s.connector(req.GetName())
	if c == nil {
		return nil, notFound(req.GetName())
	}
	return &adminv1.ConnectorTopics{Name: c.Name, Topics: slices.Clone(c.ActiveTopics)}, nil
}

// ResetConnectorTopics implements adminv1.AdminServer: it empties the connector's active
// topics; its tasks record the topics they use from their next records on.
func (s *Service) ResetConnectorTopics(ctx context.Context, req *adminv1.ConnectorRequest) (*adminv1.Empty, error) {
	_, err := s.apply(ctx, &clusterv1.Command{Cmd: &clusterv1.Command_ResetActiveTopics{
		ResetActiveTopics: &clusterv1.ResetActiveTopics{Connector: req.GetName()}}})
	if err != nil {
		return nil, connectorErr(req.GetName(), err)
	}
	return &adminv1.Empty{}, nil
}

// getTopics is GET /connectors/{name}/topics: {"<name>":{"topics":[…]}}.
func (r *rest) getTopics(w http.ResponseWriter, req *http.Request) error {
	resp, err := r.s.GetConnectorTopics(req.Context(), &adminv1.ConnectorRequest{Name: req.PathValue("name")})
	if err != nil {
		return err
	}
	topics := resp.GetTopics()
	if topics == nil {
		topics = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]map[string][]string{resp.GetName(): {"topics": topics}})
	return nil
}

// resetTopics is PUT /connectors/{name}/topics/reset: 202, no body.
func (r *rest) resetTopics(w http.ResponseWriter, req *http.Request) error {
	if _, err := r.s.ResetConnectorTopics(req.Context(), &adminv1.ConnectorRequest{Name: req.PathValue("name")}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}
