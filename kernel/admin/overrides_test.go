package admin

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/kernel/state"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// Client overrides follow the worker's connector.client.config.override.policy before a
// config is written: None refuses every one by name, Principal all but the SASL and
// security.protocol keys, All only keys Tributary cannot apply; a refused config never
// reaches the state.
func TestClientOverridesFollowThePolicy(t *testing.T) {
	cases := []struct {
		policy  string
		cfg     []string
		refused []string // keys the error must name; none: accepted
	}{
		{"", []string{"producer.override.linger.ms", "5"}, nil},
		{"All", []string{"producer.override.sasl.mechanism", "PLAIN", "consumer.override.no.such.key", "1"}, []string{"consumer.override.no.such.key"}},
		{"None", []string{"producer.override.linger.ms", "5", "admin.override.security.protocol", "SSL"},
			[]string{"producer.override.linger.ms", "admin.override.security.protocol"}},
		{"Principal", []string{"producer.override.sasl.jaas.config", `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";`,
			"producer.override.linger.ms", "5"}, []string{"producer.override.linger.ms"}},
		{"org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy", []string{"consumer.override.security.protocol", "SSL"},
			[]string{"consumer.override.security.protocol"}},
	}
	for _, c := range cases {
		f := newFixture(t)
		f.svc = New(Config{NodeID: "node-1", Store: f.store, Plugins: f.plugins, OverridePolicy: c.policy, PluginTimeout: 2 * time.Second})
		_, err := f.svc.CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: "src", Config: sourceConfig(c.cfg...)})
		var exists bool
		f.store.Read(func(s *state.State) { exists = s.Connector("src") != nil })
		if len(c.refused) == 0 {
			if err != nil || !exists {
				t.Errorf("policy %q, %v: %v; want it written", c.policy, c.cfg, err)
			}
			continue
		}
		if status.Code(err) != codes.InvalidArgument || exists {
			t.Errorf("policy %q, %v: %v (written %v); want InvalidArgument and nothing written", c.policy, c.cfg, err, exists)
			continue
		}
		for _, k := range c.refused {
			if !strings.Contains(err.Error(), k) {
				t.Errorf("policy %q: %v; want it to name %s", c.policy, err, k)
			}
		}
	}
}
