package admin

import (
	"testing"

	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// KIP-558's endpoints answer as Kafka Connect: the connector's active topics as its tasks
// recorded them, 202 for a reset, 404 for an unknown connector.
func TestRESTActiveTopics(t *testing.T) {
	f, c := newREST(t)
	f.create(t, "src", sourceConfig())
	record := func(topics ...string) {
		f.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_RecordActiveTopics{RecordActiveTopics: &clusterv1.RecordActiveTopics{
			Connector: "src", Topics: topics}}})
	}
	steps := []struct {
		method, path string
		before       func()
		code         int
		want         string
	}{
		{"GET", "/connectors/src/topics", nil, 200, `{"src":{"topics":[]}}`},
		{"GET", "/connectors/src/topics", func() { record("lines", "audit") }, 200, `{"src":{"topics":["audit","lines"]}}`},
		{"PUT", "/connectors/src/topics/reset", nil, 202, ""},
		{"GET", "/connectors/src/topics", nil, 200, `{"src":{"topics":[]}}`},
		{"GET", "/connectors/nope/topics", nil, 404, `{"error_code":404,"message":"Connector nope not found"}`},
		{"PUT", "/connectors/nope/topics/reset", nil, 404, `{"error_code":404,"message":"Connector nope not found"}`},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		code, body, _ := c.do(s.method, s.path, "")
		if code != s.code || body != s.want {
			t.Errorf("%s %s: %d %q; want %d %q", s.method, s.path, code, body, s.code, s.want)
		}
	}
}
