package kernel

import (
	"crypto/tls"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/kernel/config"
	"github.com/tributary-dev/tributary/kernel/security"
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

// TestEndpointsFromConfig: the REST and admin security a config asks for — https from the
// node's certificate or from listeners.https.ssl.keystore.location, client certificates
// when asked, plain http when listeners says so — and the errors that name the key.
func TestEndpointsFromConfig(t *testing.T) {
	dir := t.TempDir()
	ca, _, err := security.NewCA("ca", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.Issue(security.CertOptions{CommonName: "n1", Server: true})
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile, certFile, keyFile := write("ca.pem", ca.CertPEM), write("n1.pem", certPEM), write("n1-key.pem", keyPEM)
	keystore := write("keystore.pem", append(append([]byte{}, certPEM...), keyPEM...))
	creds := write("creds.properties", []byte("a: b,admin\n"))

	c := DefaultConfig()
	es, err := c.endpoints()
	if err != nil || es.restTLS != nil || len(es.adminOpts) != 0 {
		t.Fatalf("default: %v, rest tls %v, admin options %d", err, es.restTLS != nil, len(es.adminOpts))
	}
	c.TLS = TLSConfig{CAFile: caFile, CertFile: certFile, KeyFile: keyFile}
	c.Auth.CredentialsFile = creds
	if es, err = c.endpoints(); err != nil || es.restTLS == nil || es.restTLS.ClientAuth != tls.NoClientCert || len(es.adminOpts) != 3 {
		t.Fatalf("with a certificate and users: %v, rest tls %v, admin options %d", err, es.restTLS, len(es.adminOpts))
	}
	c.REST = map[string]string{"listeners": "http://0.0.0.0:8083"}
	if es, err = c.endpoints(); err != nil || es.restTLS != nil {
		t.Fatalf("listeners=http://: %v, rest tls %v", err, es.restTLS != nil)
	}
	c.TLS = TLSConfig{CAFile: caFile}
	c.REST = map[string]string{"listeners": "https://0.0.0.0:8083", "listeners.https.ssl.keystore.location": keystore,
		"listeners.https.ssl.client.authentication": "required"}
	if es, err = c.endpoints(); err != nil || es.restTLS == nil || len(es.restTLS.Certificates) != 1 || es.restTLS.ClientAuth != tls.RequireAndVerifyClientCert || es.restTLS.ClientCAs == nil {
		t.Fatalf("listeners.https.ssl.*: %v %+v", err, es.restTLS)
	}
	c.REST["listeners.https.ssl.keystore.type"] = "JKS"
	if _, err = c.endpoints(); err == nil || !strings.Contains(err.Error(), "listeners.https.ssl.keystore.type=JKS") {
		t.Fatalf("a JKS REST keystore: %v", err)
	}
	c.REST = map[string]string{"listeners": "https://0.0.0.0:8083"}
	if _, err = c.endpoints(); err == nil || !strings.Contains(err.Error(), "https needs a certificate") {
		t.Fatalf("https without a certificate: %v", err)
	}
	v := DefaultConfig()
	v.Bootstrap = true
	v.REST = map[string]string{"listeners": "https://0.0.0.0:8443", "rest.extension.classes": "x"}
	v.TLS.VerifyIncoming = true
	err = v.Validate()
	for _, want := range []string{"names port 8443 but rest_port is 8083", "rest.extension.classes is not a REST key", "verify_incoming needs ca_file"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want it to say %q", err, want)
		}
	}
}

// rest.advertised.* name the address the node's REST API is known by (its tasks'
// worker_id), as Kafka Connect's keys do; bad values are refused naming the key.
func TestRESTAdvertised(t *testing.T) {
	c := DefaultConfig()
	if got := c.restAdvertised("10.0.0.5", 8083); got != "10.0.0.5:8083" {
		t.Errorf("default: %s; want the advertise address and the listening port", got)
	}
	c.REST = map[string]string{"rest.advertised.host.name": "connect-0.example.com", "rest.advertised.port": "443", "rest.advertised.listener": "https"}
	if got := c.restAdvertised("10.0.0.5", 8083); got != "connect-0.example.com:443" {
		t.Errorf("advertised: %s; want connect-0.example.com:443", got)
	}
	if errs := c.validateEndpoints(); len(errs) > 0 {
		t.Errorf("valid rest.advertised.* refused: %v", errs)
	}
	for key, bad := range map[string]string{"rest.advertised.port": "http", "rest.advertised.listener": "ftp"} {
		c.REST = map[string]string{key: bad}
		errs := c.validateEndpoints()
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), key) {
			t.Errorf("%s=%s: %v; want one error naming the key", key, bad, errs)
		}
	}
}
