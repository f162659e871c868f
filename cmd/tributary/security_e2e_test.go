package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"os/exec"
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
// source task ends FAILED, its trace naming authentication (the runtime explains sarama's
// "run out of available brokers … EOF" with security.ExplainKafkaError).
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
	if !strings.Contains(trace, "authentication") {
		t.Errorf("the FAILED trace does not name authentication:\n%s", trace)
	}
	line := a.waitOutput(`kafka: the node cannot use the brokers.*`, 30*time.Second)[0]
	if !strings.Contains(line, "kafka authentication failed") || !strings.Contains(line, `SCRAM-SHA-512 as user \"connect\"`) {
		t.Errorf("the agent's log line does not name authentication and the user: %s", line)
	}
	if strings.Contains(a.out.String(), "not-the-password") {
		t.Errorf("the agent's log shows the password")
	}
}

// securedAgent is an agent whose REST API and admin gRPC service need TLS and
// credentials: certificates from `tributary tls`, users admin (admin) and viewer
// (read-only).
type securedAgent struct {
	*agent
	caFile string
}

func startSecuredAgent(t *testing.T) *securedAgent {
	t.Helper()
	dir := t.TempDir()
	tributary := filepath.Join(binDir, "tributary")
	for _, args := range [][]string{{"tls", "ca", "create", "--dir", dir}, {"tls", "cert", "create", "--server", "n1", "--dir", dir,
		"--ca", filepath.Join(dir, "tributary-agent-ca.pem"), "--key", filepath.Join(dir, "tributary-agent-ca-key.pem")}} {
		if out, err := exec.Command(tributary, args...).CombinedOutput(); err != nil {
			t.Fatalf("tributary %v: %v\n%s", args, err, out)
		}
	}
	creds := filepath.Join(dir, "credentials.properties")
	if err := os.WriteFile(creds, []byte("admin: admin-secret,admin\nviewer: viewer-secret,read-only\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(cfg, []byte(`tls:
  ca_file: `+filepath.Join(dir, "tributary-agent-ca.pem")+`
  cert_file: `+filepath.Join(dir, "tributary-server-n1.pem")+`
  key_file: `+filepath.Join(dir, "tributary-server-n1-key.pem")+`
rest:
  listeners: https://127.0.0.1
auth:
  credentials_file: `+creds+`
  realm: connect
`), 0o644); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, agentOpts{id: "n1", broker: startBrokerProc(t), dataDir: filepath.Join(dir, "node"), extra: []string{"--config", cfg}})
	return &securedAgent{agent: a, caFile: filepath.Join(dir, "tributary-agent-ca.pem")}
}

// TestSecuredREST: over https with the private CA, no credentials get 401 with
// WWW-Authenticate, the read-only user 403 on POST and 200 on GET, the admin creates a
// connector; /health needs nothing; plain http is refused.
func TestSecuredREST(t *testing.T) {
	e2e(t)
	a := startSecuredAgent(t)
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(a.caFile)
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	base := "https://" + a.rest
	do := func(method, path, user, pass, body string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(b)
	}
	create := `{"name":"sec-src","config":{"connector.class":"FileStreamSource","file":"` + filepath.Join(t.TempDir(), "in.txt") + `","topic":"t"}}`
	if res, body := do("GET", "/connectors", "", "", ""); res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") == "" || !strings.Contains(body, `"error_code":401`) {
		t.Errorf("GET without credentials: %d %q %s", res.StatusCode, res.Header.Get("WWW-Authenticate"), body)
	}
	if res, _ := do("GET", "/connectors", "admin", "wrong", ""); res.StatusCode != 401 {
		t.Errorf("GET with a wrong password: %d", res.StatusCode)
	}
	if res, body := do("POST", "/connectors", "viewer", "viewer-secret", create); res.StatusCode != 403 {
		t.Errorf("POST as read-only: %d %s", res.StatusCode, body)
	}
	if res, body := do("GET", "/connectors", "viewer", "viewer-secret", ""); res.StatusCode != 200 {
		t.Errorf("GET as read-only: %d %s", res.StatusCode, body)
	}
	if res, body := do("POST", "/connectors", "admin", "admin-secret", create); res.StatusCode != 201 {
		t.Errorf("POST as admin: %d %s", res.StatusCode, body)
	}
	if res, body := do("GET", "/connectors", "viewer", "viewer-secret", ""); !strings.Contains(body, "sec-src") {
		t.Errorf("GET after the admin's POST: %d %s", res.StatusCode, body)
	}
	if res, _ := do("GET", "/health", "", "", ""); res.StatusCode == 401 || res.StatusCode == 403 {
		t.Errorf("/health asked for credentials: %d", res.StatusCode)
	}
	if _, err := http.Get("http://" + a.rest + "/health"); err == nil {
		res, _ := http.Get("http://" + a.rest + "/health")
		if res != nil && res.StatusCode == 200 {
			t.Error("plain http was served on the https listener")
		}
	}
}

// TestSecuredAdminGRPC: grpcurl with the CA and a bearer token lists and invokes the
// admin service; without the token a call is refused as unauthenticated, a read-only
// token may read but not write; the CLI works with --tls-ca and --token (and
// TRIBUTARY_TOKEN) and fails without them.
func TestSecuredAdminGRPC(t *testing.T) {
	e2e(t)
	grpcurl, err := exec.LookPath("grpcurl")
	if err != nil {
		cache := filepath.Join(os.Getenv("HOME"), ".cache", "tributary", "bin", "grpcurl")
		_, serr := os.Stat(cache)
		testsvc.Require(t, serr, "grpcurl (scripts/install-tools.sh grpcurl builds it into the tool cache)")
		grpcurl = cache
	}
	a := startSecuredAgent(t)
	run := func(args ...string) (string, error) {
		out, err := exec.Command(grpcurl, append([]string{"-cacert", a.caFile}, args...)...).CombinedOutput()
		return string(out), err
	}
	if out, err := run(a.admin, "list"); err != nil || !strings.Contains(out, "tributary.admin.v1.Admin") {
		t.Fatalf("grpcurl list (reflection needs no token): %v\n%s", err, out)
	}
	if out, err := run("-H", "authorization: Bearer admin-secret", a.admin, "tributary.admin.v1.Admin/ListPlugins"); err != nil || !strings.Contains(out, "file-source") {
		t.Fatalf("grpcurl ListPlugins with the admin token: %v\n%s", err, out)
	}
	if out, err := run(a.admin, "tributary.admin.v1.Admin/ListPlugins"); err == nil || !strings.Contains(out, "Unauthenticated") {
		t.Fatalf("grpcurl ListPlugins without a token: %v\n%s", err, out)
	}
	if out, err := run("-H", "authorization: Bearer viewer-secret", "-d", `{"name":"x"}`, a.admin, "tributary.admin.v1.Admin/DeleteConnector"); err == nil || !strings.Contains(out, "PermissionDenied") {
		t.Fatalf("grpcurl DeleteConnector as read-only: %v\n%s", err, out)
	}
	if out, err := exec.Command(grpcurl, "-plaintext", a.admin, "list").CombinedOutput(); err == nil {
		t.Fatalf("grpcurl -plaintext against the TLS admin service succeeded:\n%s", out)
	}

	tributary := filepath.Join(binDir, "tributary")
	out, err := exec.Command(tributary, "--addr", a.admin, "--tls-ca", a.caFile, "--token", "admin-secret", "plugins", "list").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "file-source") {
		t.Fatalf("tributary --tls-ca --token plugins list: %v\n%s", err, out)
	}
	cmd := exec.Command(tributary, "--addr", a.admin, "plugins", "list")
	cmd.Env = append(os.Environ(), "TRIBUTARY_CACERT="+a.caFile, "TRIBUTARY_TOKEN=viewer-secret")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "file-source") {
		t.Fatalf("tributary plugins list with TRIBUTARY_CACERT and TRIBUTARY_TOKEN: %v\n%s", err, out)
	}
	if out, err := exec.Command(tributary, "--addr", a.admin, "--tls-ca", a.caFile, "plugins", "list").CombinedOutput(); err == nil || !strings.Contains(string(out), "authentication required") {
		t.Fatalf("tributary without a token: %v\n%s", err, out)
	}
}

// TestMutualTLSClusterRefusesStrangers: three agents with certificates from `tributary
// tls`, a join key and credentials form a cluster over mutual TLS; the CLI, asking a
// follower, lists all three through the leader; a fourth node with the wrong join key and
// a fifth whose certificate another CA signed are refused, both sides logging why.
func TestMutualTLSClusterRefusesStrangers(t *testing.T) {
	e2e(t)
	dir := t.TempDir()
	tributary := filepath.Join(binDir, "tributary")
	tlsCmd := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(tributary, append([]string{"tls"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("tributary tls %v: %v\n%s", args, err, out)
		}
	}
	other := filepath.Join(dir, "other")
	os.MkdirAll(other, 0o755)
	tlsCmd("ca", "create", "--dir", dir)
	tlsCmd("ca", "create", "--dir", other)
	ca, caKey := filepath.Join(dir, "tributary-agent-ca.pem"), filepath.Join(dir, "tributary-agent-ca-key.pem")
	for _, n := range []string{"n1", "n2", "n3", "n4"} {
		tlsCmd("cert", "create", "--server", n, "--dir", dir, "--ca", ca, "--key", caKey)
	}
	tlsCmd("cert", "create", "--server", "n5", "--dir", other, "--ca", filepath.Join(other, "tributary-agent-ca.pem"), "--key", filepath.Join(other, "tributary-agent-ca-key.pem"))
	creds := filepath.Join(dir, "credentials.properties")
	os.WriteFile(creds, []byte("ops: ops-secret,admin\n"), 0o600)
	broker := startBrokerProc(t)
	secure := func(certDir, id, key string) []string {
		return []string{"--tls-ca-file", filepath.Join(certDir, "tributary-agent-ca.pem"),
			"--tls-cert-file", filepath.Join(certDir, "tributary-server-"+id+".pem"),
			"--tls-key-file", filepath.Join(certDir, "tributary-server-"+id+"-key.pem"),
			"--join-key", key, "--auth-credentials-file", creds}
	}
	n1 := startAgent(t, agentOpts{id: "n1", broker: broker, dataDir: filepath.Join(dir, "d1"), extra: secure(dir, "n1", "jk-1")})
	n2 := startAgent(t, agentOpts{id: "n2", broker: broker, dataDir: filepath.Join(dir, "d2"), join: []string{n1.cluster}, extra: secure(dir, "n2", "jk-1")})
	startAgent(t, agentOpts{id: "n3", broker: broker, dataDir: filepath.Join(dir, "d3"), join: []string{n2.cluster}, extra: secure(dir, "n3", "jk-1")})

	var out []byte
	var err error
	if !testsvc.WaitFor(30*time.Second, func() bool {
		out, err = exec.Command(tributary, "--addr", n2.admin, "--tls-ca", ca, "--token", "ops-secret", "members").CombinedOutput()
		return err == nil && allAlive(string(out), "n1", "n2", "n3")
	}) {
		t.Fatalf("tributary members via the follower n2: %v\n%s", err, out)
	}

	wrongKey := newAgent(t, agentOpts{id: "n4", broker: broker, dataDir: filepath.Join(dir, "d4"), extra: secure(dir, "n4", "jk-wrong")})
	wrongKey.setJoin([]string{n1.cluster}, 0)
	wrongKey.launch(t)
	wrongKey.waitOutput(`join failed; retrying.*wrong join key`, 30*time.Second)
	n1.waitOutput(`refused a join: wrong join key`, 30*time.Second)

	stranger := newAgent(t, agentOpts{id: "n5", broker: broker, dataDir: filepath.Join(dir, "d5"), extra: secure(other, "n5", "jk-1")})
	stranger.setJoin([]string{n1.cluster}, 0)
	stranger.launch(t)
	stranger.waitOutput(`join failed; retrying.*certificate`, 30*time.Second)

	out, err = exec.Command(tributary, "--addr", n1.admin, "--tls-ca", ca, "--token", "ops-secret", "members").CombinedOutput()
	if err != nil || strings.Contains(string(out), "n4") || strings.Contains(string(out), "n5") {
		t.Fatalf("members after the refusals: %v\n%s", err, out)
	}
}

// allAlive reports whether the `tributary members` table lists every id as alive.
func allAlive(table string, ids ...string) bool {
	alive := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		if f := strings.Fields(line); len(f) >= 5 && f[4] == "yes" {
			alive[f[0]] = true
		}
	}
	for _, id := range ids {
		if !alive[id] {
			return false
		}
	}
	return true
}

// TestFilePipelineThroughTLSBrokerProcess: `tributary broker` serving TLS with a
// certificate from `tributary tls`, an agent configured by --kafka-property flags alone,
// the file pipeline through it, and kcat reading the topic on the same listener.
func TestFilePipelineThroughTLSBrokerProcess(t *testing.T) {
	e2e(t)
	kcat := testsvc.RequireCommand(t, "kcat", "apt-get install kcat")
	dir := t.TempDir()
	tributary := filepath.Join(binDir, "tributary")
	for _, args := range [][]string{{"tls", "ca", "create", "--dir", dir}, {"tls", "cert", "create", "--server", "broker", "--dir", dir,
		"--ca", filepath.Join(dir, "tributary-agent-ca.pem"), "--key", filepath.Join(dir, "tributary-agent-ca-key.pem")}} {
		if out, err := exec.Command(tributary, args...).CombinedOutput(); err != nil {
			t.Fatalf("tributary %v: %v\n%s", args, err, out)
		}
	}
	ca := filepath.Join(dir, "tributary-agent-ca.pem")
	bp := startProc(t, "broker", "broker", "--port", "0", "--tls-cert-file", filepath.Join(dir, "tributary-server-broker.pem"),
		"--tls-key-file", filepath.Join(dir, "tributary-server-broker-key.pem"))
	broker := bp.waitOutput(`broker ready: (\S+)`, 30*time.Second)[1]

	in, out := filepath.Join(dir, "input.txt"), filepath.Join(dir, "output.txt")
	os.WriteFile(in, nil, 0o644)
	a := startAgent(t, agentOpts{id: "t1", broker: broker, dataDir: filepath.Join(dir, "node"),
		extra: []string{"--kafka-property", "security.protocol=SSL", "--kafka-property", "ssl.truststore.location=" + ca}})
	src, sink := filepath.Join(dir, "source.yaml"), filepath.Join(dir, "sink.yaml")
	os.WriteFile(src, []byte(strings.Replace(strimziSource, "INPUT", in, 1)), 0o644)
	os.WriteFile(sink, []byte(strings.Replace(strimziSink, "OUTPUT", out, 1)), 0o644)
	if o, err := a.cli(t, "apply", "-f", src, "-f", sink); err != nil {
		t.Fatalf("tributary apply: %v\n%s", err, o)
	}
	sent := numbered("tls", 0, 100)
	appendLines(t, in, sent)
	waitDelivered(t, out, sent, 60*time.Second)

	kout, err := exec.Command(kcat, "-b", broker, "-X", "security.protocol=SSL", "-X", "ssl.ca.location="+ca,
		"-C", "-t", "my-topic", "-e", "-q").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat over TLS: %v\n%s", err, kout)
	}
	if n := strings.Count(string(kout), "tls-"); n != len(sent) {
		t.Fatalf("kcat read %d records from my-topic over TLS, want %d:\n%.300s", n, len(sent), kout)
	}
	// Plaintext kcat on the TLS listener reads nothing.
	if pout, err := exec.Command(kcat, "-b", broker, "-C", "-t", "my-topic", "-e", "-q", "-m", "3").CombinedOutput(); err == nil && strings.Contains(string(pout), "tls-") {
		t.Fatalf("plaintext kcat read the TLS listener:\n%.300s", pout)
	}
}
