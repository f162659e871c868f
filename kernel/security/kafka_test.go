package security_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/youmark/pkcs8"

	"github.com/tributary-dev/tributary/kernel/config"
	"github.com/tributary-dev/tributary/kernel/security"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// pki is a private CA written to a temp dir, and what it issued.
type pki struct {
	dir    string
	ca     *security.CA
	caFile string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	ca, _, err := security.NewCA("test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{dir: t.TempDir(), ca: ca}
	p.caFile = p.write(t, "ca.pem", ca.CertPEM)
	return p
}

func (p *pki) write(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// serverTLS is a broker's TLS config with a certificate from the CA for o.
func (p *pki) serverTLS(t *testing.T, o security.CertOptions) *tls.Config {
	t.Helper()
	o.Server = true
	certPEM, keyPEM, err := p.ca.Issue(o)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// produce sends one record to topic with a client configured from props, returning the
// first error.
func produce(t *testing.T, addrs []string, props map[string]string, topic, value string) error {
	t.Helper()
	c := sarama.NewConfig()
	c.Version = sarama.V3_6_0_0
	c.Producer.Return.Successes = true
	c.Net.DialTimeout = 5 * time.Second
	c.Metadata.Retry.Max = 1
	c.Metadata.Retry.Backoff = 10 * time.Millisecond
	if err := security.Apply(c, props); err != nil {
		t.Fatalf("apply %v: %v", props, err)
	}
	p, err := sarama.NewSyncProducer(addrs, c)
	if err != nil {
		return err
	}
	defer p.Close()
	_, _, err = p.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(value)})
	return err
}

// TestSASLOverTLSAgainstKfake: PLAIN and SCRAM-SHA-512 users over a TLS listener signed
// by a private CA; sarama configured only through Kafka's keys produces; a wrong password
// or a missing truststore does not.
func TestSASLOverTLSAgainstKfake(t *testing.T) {
	p := newPKI(t)
	addrs := testsvc.StartKafka(t, testsvc.KafkaOptions{
		TLS: p.serverTLS(t, security.CertOptions{CommonName: "broker"}),
		Users: []testsvc.KafkaUser{
			{Mechanism: "PLAIN", User: "alice", Password: "alice-secret"},
			{Mechanism: "SCRAM-SHA-512", User: "bob", Password: "bob-secret"},
			{Mechanism: "SCRAM-SHA-256", User: "carol", Password: "carol-secret"},
		},
	})
	base := map[string]string{"security.protocol": "SASL_SSL", "ssl.truststore.location": p.caFile, "ssl.truststore.type": "PEM"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	plain := `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";`
	scram := func(u, pw string) string {
		return `org.apache.kafka.common.security.scram.ScramLoginModule required username="` + u + `" password="` + pw + `";`
	}
	for _, tc := range []struct {
		name  string
		props map[string]string
		ok    bool
	}{
		{"PLAIN", with("sasl.mechanism", "PLAIN", "sasl.jaas.config", plain), true},
		{"PLAIN without sasl.mechanism", with("sasl.jaas.config", plain), true},
		{"SCRAM-SHA-512", with("sasl.mechanism", "SCRAM-SHA-512", "sasl.jaas.config", scram("bob", "bob-secret")), true},
		{"SCRAM-SHA-256", with("sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config", scram("carol", "carol-secret")), true},
		{"SCRAM-SHA-512 wrong password", with("sasl.mechanism", "SCRAM-SHA-512", "sasl.jaas.config", scram("bob", "nope")), false},
		{"PLAIN wrong password", with("sasl.mechanism", "PLAIN", "sasl.jaas.config", strings.Replace(plain, "alice-secret", "nope", 1)), false},
		{"no truststore (system roots)", map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", "sasl.jaas.config": plain}, false},
		{"SASL_PLAINTEXT against a TLS listener", map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.jaas.config": plain}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := produce(t, addrs, tc.props, "secured", "v")
			if tc.ok && err != nil {
				t.Fatalf("produce: %v", err)
			}
			if !tc.ok && err == nil {
				t.Fatal("produce succeeded; want it refused")
			}
		})
	}
}

// TestHostNameCheck: ssl.endpoint.identification.algorithm=https (the default) refuses a
// broker whose certificate does not name the address dialled; an empty value accepts it
// as long as the chain is the CA's, and a foreign CA is refused either way.
func TestHostNameCheck(t *testing.T) {
	p := newPKI(t)
	addrs := testsvc.StartKafka(t, testsvc.KafkaOptions{
		TLS: p.serverTLS(t, security.CertOptions{CommonName: "broker", DNSNames: []string{"broker.example"}, OnlyGivenNames: true}),
	})
	props := map[string]string{"security.protocol": "SSL", "ssl.truststore.location": p.caFile}
	if err := produce(t, addrs, props, "t", "v"); err == nil {
		t.Fatal("default https check: a broker whose certificate does not name 127.0.0.1 was accepted")
	}
	cfg, err := security.KafkaTLSConfig(props)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tls.Dial("tcp", addrs[0], cfg)
	var hostErr x509.HostnameError
	if !errors.As(err, &hostErr) {
		t.Fatalf("dial with the default https check: got %v, want an x509.HostnameError", err)
	}
	props["ssl.endpoint.identification.algorithm"] = ""
	if err := produce(t, addrs, props, "t", "v"); err != nil {
		t.Fatalf("with the host name check off: %v", err)
	}
	other := newPKI(t)
	props["ssl.truststore.location"] = other.caFile
	if err := produce(t, addrs, props, "t", "v"); err == nil {
		t.Fatal("a broker signed by a CA not in the truststore was accepted with the host name check off")
	}
}

// TestClientCertificate: a broker that requires client certificates accepts the client's
// PEM keystore given as a file, inline, and as an encrypted PKCS#8 key with
// ssl.key.password; with no keystore it refuses.
func TestClientCertificate(t *testing.T) {
	p := newPKI(t)
	srv := p.serverTLS(t, security.CertOptions{CommonName: "broker"})
	srv.ClientAuth = tls.RequireAndVerifyClientCert
	srv.ClientCAs = x509.NewCertPool()
	srv.ClientCAs.AddCert(p.ca.Cert)
	addrs := testsvc.StartKafka(t, testsvc.KafkaOptions{TLS: srv})

	certPEM, keyPEM, err := p.ca.Issue(security.CertOptions{CommonName: "connect", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	keystore := p.write(t, "client.pem", append(append([]byte{}, certPEM...), keyPEM...))
	block, _ := pem.Decode(keyPEM)
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	encDER, err := pkcs8.MarshalPrivateKey(key, []byte("key-pass"), nil)
	if err != nil {
		t.Fatal(err)
	}
	encPEM := string(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: encDER}))

	base := func(kv ...string) map[string]string {
		m := map[string]string{"security.protocol": "SSL", "ssl.truststore.certificates": string(p.ca.CertPEM)}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for name, props := range map[string]map[string]string{
		"keystore file":  base("ssl.keystore.location", keystore, "ssl.keystore.type", "PEM"),
		"inline":         base("ssl.keystore.certificate.chain", string(certPEM), "ssl.keystore.key", string(keyPEM)),
		"encrypted key":  base("ssl.keystore.certificate.chain", string(certPEM), "ssl.keystore.key", encPEM, "ssl.key.password", "key-pass"),
		"no certificate": base(),
	} {
		t.Run(name, func(t *testing.T) {
			err := produce(t, addrs, props, "mtls", "v")
			if name == "no certificate" {
				if err == nil {
					t.Fatal("a client without a certificate was accepted by a broker that requires one")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("wrong key password", func(t *testing.T) {
		c := sarama.NewConfig()
		err := security.Apply(c, base("ssl.keystore.certificate.chain", string(certPEM), "ssl.keystore.key", encPEM, "ssl.key.password", "wrong"))
		if err == nil || !strings.Contains(err.Error(), "ssl.key.password") {
			t.Fatalf("got %v, want an error naming ssl.key.password", err)
		}
		if strings.Contains(err.Error(), "wrong") {
			t.Fatalf("the error shows the password: %v", err)
		}
	})
}

// TestPlaceholdersInJAAS: a password given as ${file:…} is resolved by kernel/config's
// providers before Apply, as the node does.
func TestPlaceholdersInJAAS(t *testing.T) {
	p := newPKI(t)
	addrs := testsvc.StartKafka(t, testsvc.KafkaOptions{
		TLS:   p.serverTLS(t, security.CertOptions{CommonName: "broker"}),
		Users: []testsvc.KafkaUser{{Mechanism: "SCRAM-SHA-512", User: "bob", Password: "from-a-file"}},
	})
	secrets := p.write(t, "kafka.properties", []byte("password=from-a-file\n"))
	props, err := config.Resolve(map[string]string{
		"security.protocol":       "SASL_SSL",
		"sasl.mechanism":          "SCRAM-SHA-512",
		"sasl.jaas.config":        `org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="${file:` + secrets + `:password}";`,
		"ssl.truststore.location": p.caFile,
	}, config.DefaultProviders())
	if err != nil {
		t.Fatal(err)
	}
	if err := produce(t, addrs, props, "t", "v"); err != nil {
		t.Fatal(err)
	}
}

// TestKcatReadsTLSListener: kcat, a client nobody here wrote, reads back over the same
// TLS listener what sarama (configured through the Kafka keys) wrote.
func TestKcatReadsTLSListener(t *testing.T) {
	kcat := testsvc.RequireCommand(t, "kcat", "apt-get install kcat")
	p := newPKI(t)
	addrs := testsvc.StartKafka(t, testsvc.KafkaOptions{TLS: p.serverTLS(t, security.CertOptions{CommonName: "broker"})})
	props := map[string]string{"security.protocol": "SSL", "ssl.truststore.location": p.caFile}
	if err := produce(t, addrs, props, "kcat-topic", "hello over tls"); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(kcat, "-b", addrs[0], "-X", "security.protocol=SSL", "-X", "ssl.ca.location="+p.caFile,
		"-C", "-t", "kcat-topic", "-e", "-q").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "hello over tls" {
		t.Fatalf("kcat: %v: %q, want %q", err, out, "hello over tls")
	}
	// And kcat with a CA that did not sign the broker is refused.
	other := newPKI(t)
	out, err = exec.Command(kcat, "-b", addrs[0], "-X", "security.protocol=SSL", "-X", "ssl.ca.location="+other.caFile,
		"-C", "-t", "kcat-topic", "-e", "-q", "-m", "5").CombinedOutput()
	if err == nil && strings.Contains(string(out), "hello over tls") {
		t.Fatalf("kcat read the topic with a foreign CA: %q", out)
	}
}

func TestStoresMustBePEM(t *testing.T) {
	p := newPKI(t)
	jks := p.write(t, "truststore.jks", []byte{0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2})
	for name, tc := range map[string]struct {
		props map[string]string
		want  []string
	}{
		"JKS type":          {map[string]string{"security.protocol": "SSL", "ssl.truststore.location": jks, "ssl.truststore.type": "JKS"}, []string{"ssl.truststore.type=JKS", "keytool -importkeystore", "openssl pkcs12"}},
		"PKCS12 keystore":   {map[string]string{"security.protocol": "SSL", "ssl.keystore.location": jks, "ssl.keystore.type": "PKCS12"}, []string{"ssl.keystore.type=PKCS12", "openssl pkcs12"}},
		"binary, no type":   {map[string]string{"security.protocol": "SSL", "ssl.truststore.location": jks}, []string{"ssl.truststore.location", "not PEM", "keytool"}},
		"unknown protocol":  {map[string]string{"security.protocol": "TLS"}, []string{"security.protocol=TLS", "SASL_SSL"}},
		"GSSAPI":            {map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "GSSAPI", "sasl.jaas.config": "com.sun.security.auth.module.Krb5LoginModule required;"}, []string{"GSSAPI"}},
		"no jaas":           {map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"}, []string{"sasl.jaas.config"}},
		"module mismatch":   {map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-512", "sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";`}, []string{"ScramLoginModule"}},
		"scram no mech":     {map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.jaas.config": `org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";`}, []string{"sasl.mechanism is not set"}},
		"unknown key":       {map[string]string{"ssl.keystore.passwrd": "x"}, []string{"ssl.keystore.passwrd"}},
		"host check value":  {map[string]string{"security.protocol": "SSL", "ssl.endpoint.identification.algorithm": "ldap"}, []string{"ssl.endpoint.identification.algorithm=ldap"}},
		"chain without key": {map[string]string{"security.protocol": "SSL", "ssl.keystore.certificate.chain": string(p.ca.CertPEM)}, []string{"ssl.keystore.key"}},
	} {
		t.Run(name, func(t *testing.T) {
			err := security.Apply(sarama.NewConfig(), tc.props)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestApplySetsEveryField: applying PLAINTEXT over a config that carried SASL_SSL clears
// TLS and SASL, so a client's keys decide its security alone.
func TestApplySetsEveryField(t *testing.T) {
	c := sarama.NewConfig()
	props := map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-256",
		"sasl.jaas.config": `org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";`}
	if err := security.Apply(c, props); err != nil {
		t.Fatal(err)
	}
	if !c.Net.TLS.Enable || !c.Net.SASL.Enable || c.Net.SASL.Mechanism != sarama.SASLTypeSCRAMSHA256 || c.Net.SASL.User != "u" || c.Net.SASL.SCRAMClientGeneratorFunc == nil {
		t.Fatalf("SASL_SSL not applied: tls %v sasl %v %s %q", c.Net.TLS.Enable, c.Net.SASL.Enable, c.Net.SASL.Mechanism, c.Net.SASL.User)
	}
	if err := security.Apply(c, map[string]string{"linger.ms": "7", "client.id": "x"}); err != nil {
		t.Fatal(err)
	}
	if c.Net.TLS.Enable || c.Net.SASL.Enable || c.Net.SASL.Password != "" {
		t.Fatal("PLAINTEXT left TLS or SASL on")
	}
	if c.Producer.Flush.Frequency != 7*time.Millisecond || c.ClientID != "x" {
		t.Fatalf("tuning keys not applied: linger %s client.id %q", c.Producer.Flush.Frequency, c.ClientID)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestDiagnoseKafka names the failing step: SASL refused (authentication, with the user
// and not the password), a foreign CA (TLS), and nothing when the client is right.
func TestDiagnoseKafka(t *testing.T) {
	p := newPKI(t)
	addrs := testsvc.StartKafka(t, testsvc.KafkaOptions{
		TLS:   p.serverTLS(t, security.CertOptions{CommonName: "broker"}),
		Users: []testsvc.KafkaUser{{Mechanism: "SCRAM-SHA-512", User: "bob", Password: "bob-secret"}},
	})
	cfg := func(pw, caFile string) *sarama.Config {
		c := sarama.NewConfig()
		c.Version = sarama.V3_6_0_0
		c.Net.DialTimeout = 5 * time.Second
		if err := security.Apply(c, map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
			"sasl.jaas.config":        `org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="` + pw + `";`,
			"ssl.truststore.location": caFile}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if err := security.DiagnoseKafka(addrs, cfg("bob-secret", p.caFile)); err != nil {
		t.Fatalf("right credentials: %v", err)
	}
	err := security.DiagnoseKafka(addrs, cfg("wrong-pw", p.caFile))
	if !errors.Is(err, security.ErrKafkaAuthentication) || !strings.Contains(err.Error(), `"bob"`) || !strings.Contains(err.Error(), "SCRAM-SHA-512") {
		t.Fatalf("wrong password: %v, want an authentication error naming the user and mechanism", err)
	}
	if strings.Contains(err.Error(), "wrong-pw") {
		t.Fatalf("the diagnosis shows the password: %v", err)
	}
	// What a task's client would have failed with, explained.
	wrong := cfg("wrong-pw", p.caFile)
	wrong.Metadata.Retry.Max = 0
	_, clientErr := sarama.NewClient(addrs, wrong)
	if !errors.Is(clientErr, sarama.ErrOutOfBrokers) {
		t.Fatalf("sarama with a wrong password: %v, want ErrOutOfBrokers", clientErr)
	}
	explained := security.ExplainKafkaError(clientErr, addrs, wrong)
	if !errors.Is(explained, sarama.ErrOutOfBrokers) || !errors.Is(explained, security.ErrKafkaAuthentication) ||
		!strings.Contains(explained.Error(), "kafka authentication failed") {
		t.Fatalf("explained: %v", explained)
	}
	if other := errors.New("boom"); security.ExplainKafkaError(other, addrs, wrong) != other {
		t.Fatal("an unrelated error was changed")
	}
	err = security.DiagnoseKafka(addrs, cfg("bob-secret", newPKI(t).caFile))
	if err == nil || errors.Is(err, security.ErrKafkaAuthentication) || !strings.Contains(err.Error(), "TLS handshake failed") {
		t.Fatalf("foreign CA: %v, want a TLS handshake failure", err)
	}
}
