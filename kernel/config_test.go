package kernel

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/kernel/config"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string // "" for valid
	}{
		{"default bootstrap", func(*Config) {}, ""},
		{"rescan off", func(c *Config) { c.PluginRescanInterval = 0 }, ""},
		{"negative rescan", func(c *Config) { c.PluginRescanInterval = -time.Second },
			"plugin_rescan_interval -1s is negative: use a duration such as 2s, or 0 to rescan only on `tributary plugins reload`"},
		{"no data dir", func(c *Config) { c.DataDir = "" }, "data_dir is empty"},
		{"bad port", func(c *Config) { c.RaftPort = 70000 }, "raft_port 70000 is not a port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Bootstrap = true
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate: %v, want it to say %q", err, tc.want)
			}
		})
	}
}

func TestConfigKafkaProperties(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props map[string]string
		pol   string
		want  string
	}{
		{"secured", map[string]string{"security.protocol": "SASL_SSL", "producer.linger.ms": "5"}, "Principal", ""},
		{"typo", map[string]string{"sasl.jass.config": "x"}, "", "sasl.jass.config is not a Kafka client key"},
		{"per-client difference", map[string]string{"security.protocol": "SSL", "consumer.security.protocol": "PLAINTEXT"}, "", "consumer.security.protocol differs"},
		{"policy", nil, "Sometimes", "connector_client_config_override_policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Bootstrap = true
			c.Kafka.Properties, c.ConnectorClientConfigOverridePolicy = tc.props, tc.pol
			err := c.Validate()
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate: %v, want %q", err, tc.want)
			}
		})
	}
}

// TestKafkaClientsResolvePlaceholders: the runtime's client config carries the JAAS
// password read through ${file:…}, a changed file is picked up by the next client, and
// an unreadable one stops the node from starting.
func TestKafkaClientsResolvePlaceholders(t *testing.T) {
	dir := t.TempDir()
	secrets := filepath.Join(dir, "kafka.properties")
	if err := os.WriteFile(secrets, []byte("pw=first\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.Kafka.ClientID = "node-a"
	c.Kafka.Properties = map[string]string{
		"security.protocol": "SASL_PLAINTEXT",
		"sasl.mechanism":    "SCRAM-SHA-512",
		"sasl.jaas.config":  `org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="${file:` + secrets + `:pw}";`,
	}
	clients, err := c.kafkaClients(config.DefaultProviders(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	sc := clients()
	if sc.Net.SASL.Password != "first" || sc.Net.SASL.Mechanism != "SCRAM-SHA-512" || sc.ClientID != "node-a" || !sc.Producer.Idempotent {
		t.Fatalf("client config: password %q mechanism %s client id %q idempotent %v", sc.Net.SASL.Password, sc.Net.SASL.Mechanism, sc.ClientID, sc.Producer.Idempotent)
	}
	if err := os.WriteFile(secrets, []byte("pw=second\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := clients().Net.SASL.Password; got != "second" {
		t.Fatalf("after the file changed: password %q, want second", got)
	}
	os.Remove(secrets)
	if got := clients().Net.SASL.Password; got != "second" {
		t.Fatalf("after the file went away: password %q, want the last resolved", got)
	}
	if _, err := c.kafkaClients(config.DefaultProviders(), slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "kafka.properties") {
		t.Fatalf("a missing secret file at start: %v", err)
	}
}
