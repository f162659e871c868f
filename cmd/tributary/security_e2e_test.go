package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/tributary-dev/tributary/kernel/security"
	"github.com/tributary-dev/tributary/plugins/testsvc"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// securedKafka is a kfake broker with one SASL_SSL listener: SCRAM-SHA-512 over TLS with a
// certificate from a private CA.
type securedKafka struct {
	addrs          []string
	dir, caFile    string
	user, password string
}

func startSecuredKafka(t *testing.T) *securedKafka {
	t.Helper()
	ca, _, err := security.NewCA("test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.Issue(security.CertOptions{CommonName: "broker", Server: true})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	k := &securedKafka{dir: t.TempDir(), user: "connect", password: "scram-secret-512"}
	k.caFile = filepath.Join(k.dir, "ca.pem")
	if err := os.WriteFile(k.caFile, ca.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	k.addrs = testsvc.StartKafka(t, testsvc.KafkaOptions{
		TLS:   &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		Users: []testsvc.KafkaUser{{Mechanism: "SCRAM-SHA-512", User: k.user, Password: k.password}},
	})
	return k
}

// agentConfig writes a node config whose kafka.properties reach the broker as a Kafka
// Connect worker would, the password coming from a properties file through ${file:…}.
func (k *securedKafka) agentConfig(t *testing.T, password string) string {
	t.Helper()
	secrets := filepath.Join(t.TempDir(), "kafka-secrets.properties")
	if err := os.WriteFile(secrets, []byte("password="+password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := `kafka:
  properties:
    security.protocol: SASL_SSL
    sasl.mechanism: SCRAM-SHA-512
    sasl.jaas.config: 'org.apache.kafka.common.security.scram.ScramLoginModule required username="` + k.user + `" password="${file:` + secrets + `:password}";'
    ssl.truststore.type: PEM
    ssl.truststore.location: ` + k.caFile + `
`
	path := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFilePipelineOverSASLSSL: the file → topic → file pipeline through a SASL_SSL
// listener (SCRAM-SHA-512, private CA), the agent configured only with Kafka Connect's
// keys; a second client on the same listener reads the topic.
func TestFilePipelineOverSASLSSL(t *testing.T) {
	e2e(t)
	k := startSecuredKafka(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "input.txt"), filepath.Join(dir, "output.txt")
	if err := os.WriteFile(in, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, agentOpts{id: "s1", broker: k.addrs[0], dataDir: filepath.Join(dir, "node"),
		extra: []string{"--config", k.agentConfig(t, k.password)}})
	src, sink := filepath.Join(dir, "source.yaml"), filepath.Join(dir, "sink.yaml")
	os.WriteFile(src, []byte(strings.Replace(strimziSource, "INPUT", in, 1)), 0o644)
	os.WriteFile(sink, []byte(strings.Replace(strimziSink, "OUTPUT", out, 1)), 0o644)
	if o, err := a.cli(t, "apply", "-f", src, "-f", sink); err != nil {
		t.Fatalf("tributary apply: %v\n%s", err, o)
	}
	sent := numbered("secured", 0, 200)
	appendLines(t, in, sent)
	waitDelivered(t, out, sent, 60*time.Second)

	// A second client, franz-go's kgo with its own SCRAM and the CA, reads the topic on
	// the same listener. (kcat 1.7.1 cannot authenticate to kfake: librdkafka 2.0.2 wants
	// SaslHandshake v0; kernel/security's TestKcatReadsTLSListener runs kcat over TLS.)
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(k.caFile)
	pool.AppendCertsFromPEM(caPEM)
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.addrs...), kgo.ConsumeTopics("my-topic"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DialTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}),
		kgo.SASL(scram.Auth{User: k.user, Pass: k.password}.AsSha512Mechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	got := map[string]bool{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for len(got) < len(sent) && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		for _, e := range fs.Errors() {
			if ctx.Err() == nil {
				t.Fatalf("kgo fetch: %v", e.Err)
			}
		}
		// The worker's value.converter is JsonConverter without schemas: a JSON string.
		fs.EachRecord(func(r *kgo.Record) { got[strings.Trim(string(r.Value), `"`)] = true })
	}
	for _, l := range sent {
		if !got[l] {
			t.Fatalf("kgo did not read %q from my-topic (read %d of %d)", l, len(got), len(sent))
		}
	}
}

// TestWrongKafkaPasswordFailsTask: with a wrong SCRAM password the agent says at start
// that SASL authentication was refused (naming the user, not the password), and the
// source task ends FAILED. The task's own trace is sarama's "run out of available brokers
// … EOF" until the runtime puts security.DiagnoseKafka's answer in it.
func TestWrongKafkaPasswordFailsTask(t *testing.T) {
	e2e(t)
	k := startSecuredKafka(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "input.txt")
	if err := os.WriteFile(in, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, agentOpts{id: "w1", broker: k.addrs[0], dataDir: filepath.Join(dir, "node"),
		extra: []string{"--config", k.agentConfig(t, "not-the-password")}})
	src := filepath.Join(dir, "source.yaml")
	os.WriteFile(src, []byte(strings.Replace(strimziSource, "INPUT", in, 1)), 0o644)
	if o, err := a.cli(t, "apply", "-f", src); err != nil {
		t.Fatalf("tributary apply: %v\n%s", err, o)
	}
	st := waitStatus(t, a.client(t), "my-source-connector", 60*time.Second, "a task FAILED", func(st *adminv1.ConnectorStatus) bool {
		for _, tk := range st.Tasks {
			if tk.State == "FAILED" {
				return true
			}
		}
		return false
	})
	var trace string
	for _, tk := range st.Tasks {
		trace += tk.Trace
	}
	t.Logf("FAILED trace: %s", trace)
	if strings.Contains(trace, "not-the-password") {
		t.Errorf("the trace shows the password:\n%s", trace)
	}
	line := a.waitOutput(`kafka: the node cannot use the brokers.*`, 30*time.Second)[0]
	if !strings.Contains(line, "kafka authentication failed") || !strings.Contains(line, `SCRAM-SHA-512 as user \"connect\"`) {
		t.Errorf("the agent's log line does not name authentication and the user: %s", line)
	}
	if strings.Contains(a.out.String(), "not-the-password") {
		t.Errorf("the agent's log shows the password")
	}
}
