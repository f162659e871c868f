package security_test

import (
	"strings"
	"testing"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/kernel/security"
)

func TestCheckOverrides(t *testing.T) {
	conn := map[string]string{
		"connector.class":                     "FileStreamSource",
		"producer.override.sasl.jaas.config":  "x",
		"producer.override.linger.ms":         "10",
		"consumer.override.security.protocol": "SSL",
	}
	for _, tc := range []struct {
		policy string
		cfg    map[string]string
		want   []string // keys the error names; none means accepted
	}{
		{"", conn, nil},
		{"All", conn, nil},
		{"org.apache.kafka.connect.connector.policy.AllConnectorClientConfigOverridePolicy", conn, nil},
		{"None", conn, []string{"producer.override.sasl.jaas.config", "producer.override.linger.ms", "consumer.override.security.protocol"}},
		{"None", map[string]string{"connector.class": "x", "producer.linger.ms": "1"}, nil},
		{"Principal", conn, []string{"producer.override.linger.ms"}},
		{"principal", map[string]string{"admin.override.sasl.mechanism": "PLAIN"}, nil},
		{"All", map[string]string{"producer.override.acks": "1"}, []string{"producer.override.acks"}},
		{"Some", conn, []string{"connector.client.config.override.policy=Some"}},
	} {
		err := security.CheckOverrides(tc.policy, tc.cfg)
		if len(tc.want) == 0 {
			if err != nil {
				t.Errorf("policy %q, %v: %v", tc.policy, tc.cfg, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("policy %q, %v: accepted, want refusals of %v", tc.policy, tc.cfg, tc.want)
			continue
		}
		for _, k := range tc.want {
			if !strings.Contains(err.Error(), k) {
				t.Errorf("policy %q: error %q does not name %s", tc.policy, err, k)
			}
		}
		if tc.policy == "Principal" && strings.Contains(err.Error(), "producer.override.sasl.jaas.config") {
			t.Errorf("Principal refused sasl.jaas.config: %v", err)
		}
	}
}

// TestClientPropertiesPrecedence: bare worker keys < the worker's client-prefixed keys <
// the connector's overrides, each client seeing only its own.
func TestClientPropertiesPrecedence(t *testing.T) {
	worker := map[string]string{
		"security.protocol":          "SASL_SSL",
		"linger.ms":                  "1",
		"producer.linger.ms":         "2",
		"consumer.fetch.max.wait.ms": "100",
	}
	conn := map[string]string{"producer.override.linger.ms": "3", "consumer.override.client.id": "c"}
	p := security.ClientProperties(worker, security.Producer, conn)
	c := security.ClientProperties(worker, security.Consumer, conn)
	a := security.ClientProperties(worker, security.Admin, nil)
	if p["linger.ms"] != "3" || p["security.protocol"] != "SASL_SSL" || p["client.id"] != "" || p["fetch.max.wait.ms"] != "" {
		t.Errorf("producer: %v", p)
	}
	if c["linger.ms"] != "1" || c["client.id"] != "c" || c["fetch.max.wait.ms"] != "100" {
		t.Errorf("consumer: %v", c)
	}
	if a["linger.ms"] != "1" || len(a) != 2 {
		t.Errorf("admin: %v", a)
	}
}

func TestApplyOverrides(t *testing.T) {
	worker := map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
		"sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="worker" password="w";`}
	conn := map[string]string{
		"producer.override.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="conn" password="c";`,
		"producer.override.compression.type": "zstd",
	}
	pc, cc := sarama.NewConfig(), sarama.NewConfig()
	if err := security.ApplyOverrides(pc, security.Producer, worker, conn); err != nil {
		t.Fatal(err)
	}
	if err := security.ApplyOverrides(cc, security.Consumer, worker, conn); err != nil {
		t.Fatal(err)
	}
	if pc.Net.SASL.User != "conn" || pc.Producer.Compression != sarama.CompressionZSTD {
		t.Errorf("producer: user %q compression %v, want the connector's", pc.Net.SASL.User, pc.Producer.Compression)
	}
	if cc.Net.SASL.User != "worker" || cc.Producer.Compression != sarama.CompressionNone {
		t.Errorf("consumer: user %q compression %v, want the worker's", cc.Net.SASL.User, cc.Producer.Compression)
	}
	err := security.ApplyOverrides(sarama.NewConfig(), security.Producer, worker, map[string]string{"producer.override.security.protocol": "BOGUS"})
	if err == nil || !strings.Contains(err.Error(), "producer client") || !strings.Contains(err.Error(), "security.protocol=BOGUS") {
		t.Errorf("bad override: %v", err)
	}
}

func TestSharedAndWorkerProperties(t *testing.T) {
	if _, err := security.SharedProperties(map[string]string{"producer.security.protocol": "SSL", "consumer.security.protocol": "SSL", "admin.security.protocol": "SSL"}); err != nil {
		t.Errorf("the same value for every client: %v", err)
	}
	_, err := security.SharedProperties(map[string]string{"security.protocol": "SSL", "producer.security.protocol": "SASL_SSL"})
	if err == nil || !strings.Contains(err.Error(), "security.protocol") {
		t.Errorf("differing clients: %v", err)
	}
	err = security.CheckWorkerProperties(map[string]string{"security.protocol": "SSL", "producer.linger.ms": "1", "bootstrap.servers": "x", "consumer.sasl.jass.config": "y"})
	if err == nil || !strings.Contains(err.Error(), "bootstrap.servers") || !strings.Contains(err.Error(), "consumer.sasl.jass.config") || strings.Contains(err.Error(), "producer.linger.ms is") {
		t.Errorf("CheckWorkerProperties: %v", err)
	}
}
