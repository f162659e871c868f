package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

func TestBasicAuth(t *testing.T) {
	a := newAPI(t)
	a.auth, a.user, a.pass = "basic", "ann", "s3cret"
	a.add("e", 2)
	c := a.base("url", a.srv.URL+"/inc/e?offset=${offset}", "auth.type", "BASIC", "connection.user", "ann", "connection.password", "s3cret")
	if got := ids(t, poll(t, openTask(t, confluentClass, c), 2)); got != want("e", 0, 2) {
		t.Fatalf("ids %s", got)
	}
	// A wrong password is a 401, not retried: the task fails naming the status, never the password.
	bad := with(c, "connection.password", "wrong", "retry.on.status.codes", "500-")
	err := pollErr(t, openTask(t, confluentClass, bad))
	if !strings.Contains(err.Error(), "status 401") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("error %v; want status 401 without the password", err)
	}
}

func TestBearerAuth(t *testing.T) {
	a := newAPI(t)
	a.auth, a.bearer = "bearer", "tok123"
	a.add("e", 3)
	c := a.base("url", a.srv.URL+"/inc/e?offset=${offset}", "auth.type", "BEARER", "bearer.token", "tok123")
	if got := ids(t, poll(t, openTask(t, confluentClass, c), 3)); got != want("e", 0, 3) {
		t.Fatalf("ids %s", got)
	}
}

// TestOAuth2ClientCredentials gets a token from the token endpoint (client
// authentication in the header and in the form), reuses it, and gets a new one when
// the API stops accepting it.
func TestOAuth2ClientCredentials(t *testing.T) {
	for _, mode := range []string{"header", "url"} {
		t.Run(mode, func(t *testing.T) {
			a := newAPI(t)
			a.auth, a.clientID, a.clientSecret = "oauth2", "cid", "csecret"
			a.add("e", 4)
			c := a.base("url", a.srv.URL+"/inc/e?offset=${offset}", "auth.type", "OAUTH2", "oauth2.token.url", a.srv.URL+"/token",
				"oauth2.client.id", "cid", "oauth2.client.secret", "csecret", "oauth2.client.auth.mode", mode, "oauth2.client.scope", "read")
			tk := openTask(t, confluentClass, c)
			if got := ids(t, poll(t, tk, 4)); got != want("e", 0, 4) {
				t.Fatalf("ids %s", got)
			}
			a.mu.Lock()
			calls, scope := a.tokenCalls, a.tokenScope
			a.mu.Unlock()
			if calls != 1 || scope != "read" {
				t.Fatalf("token endpoint called %d times with scope %q; want once, read", calls, scope)
			}
			a.revokeTokens()
			a.add("e", 2)
			if got := ids(t, poll(t, tk, 2)); got != want("e", 4, 6) {
				t.Fatalf("after the token was revoked: %s", got)
			}
		})
	}
	a := newAPI(t)
	a.auth, a.clientID, a.clientSecret = "oauth2", "cid", "csecret"
	bad := a.base("url", a.srv.URL+"/inc/e?offset=${offset}", "auth.type", "OAUTH2", "oauth2.token.url", a.srv.URL+"/token",
		"oauth2.client.id", "cid", "oauth2.client.secret", "not-it", "max.retries", "1")
	err := pollErr(t, openTask(t, confluentClass, bad))
	if !strings.Contains(err.Error(), "invalid_client") || strings.Contains(err.Error(), "not-it") {
		t.Fatalf("error %v; want the token endpoint's invalid_client, without the secret", err)
	}
}

// TestRetryAfter honours a 429's and a 503's Retry-After before asking again: the client
// waits what the header says (recorded through its wait hook, not measured on the clock),
// not its own backoff.
func TestRetryAfter(t *testing.T) {
	a := newAPI(t)
	a.add("e", 2)
	a.queue(fault{status: 429, retryAfter: "1", body: "slow down"}, fault{status: 503, retryAfter: "2", body: "busy"})
	c := a.base("url", a.srv.URL+"/inc/e?offset=${offset}", "retry.backoff.ms", "1", "retry.on.status.codes", "500-502")
	def, errs := confluentDef.Parse(c)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	s, serrs := parseConfluent(def)
	if len(serrs) > 0 {
		t.Fatal(serrs)
	}
	cl, err := newClient(s, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	cl.wait = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	res, err := cl.do(context.Background(), request{method: "GET", url: a.srv.URL + "/inc/e?offset=0"})
	if err != nil || res.status != http.StatusOK {
		t.Fatalf("do = %v, %v; want 200 after the retries", res, err)
	}
	if want := []time.Duration{time.Second, 2 * time.Second}; !slices.Equal(waits, want) {
		t.Fatalf("waits before asking again = %v; want %v (the Retry-After of the 429, then of the 503)", waits, want)
	}
	if d := parseRetryAfter(time.Unix(100, 0).UTC().Format(http.TimeFormat), time.Unix(97, 0)); d != 3*time.Second {
		t.Fatalf("Retry-After as an HTTP date 3s ahead: %v", d)
	}
}

// TestRetriesThenFails retries retry.on.status.codes and network errors, then fails
// with the status, the URL with its credentials masked and the body's first bytes.
func TestRetriesThenFails(t *testing.T) {
	a := newAPI(t)
	a.add("e", 1)
	a.queue(fault{status: 500, body: "oops"}, fault{status: 502, body: "oops"})
	c := a.base("url", a.srv.URL+"/inc/e?offset=${offset}&api_key=SECRETKEY", "max.retries", "2")
	first := openTask(t, confluentClass, c)
	if got := ids(t, poll(t, first, 1)); got != want("e", 0, 1) {
		t.Fatalf("ids %s", got)
	}
	_ = first.Close() // so that it takes none of the faults queued next
	long := fault{status: 500, body: strings.Repeat("x", 1000)}
	a.queue(long, long, long)
	err := pollErr(t, openTask(t, confluentClass, with(c, "max.retries", "2")))
	msg := err.Error()
	for _, s := range []string{"status 500", "/inc/e?", "api_key=xxxxx", "gave up after 2 retries", `"xxxxxxxx`, "first 256 of 1000 bytes"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q lacks %q", msg, s)
		}
	}
	if strings.Contains(msg, "SECRETKEY") {
		t.Errorf("error %q shows the api_key", msg)
	}
	// A status outside retry.on.status.codes fails at once.
	a.queue(fault{status: 404, body: "no such thing"})
	err = pollErr(t, openTask(t, confluentClass, with(c, "retry.on.status.codes", "500-")))
	if !strings.Contains(err.Error(), "status 404") || strings.Contains(err.Error(), "retries") {
		t.Fatalf("error %v; want the 404, not retried", err)
	}
	// A server that is gone is a network error, retried, then the task fails.
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	err = pollErr(t, openTask(t, confluentClass, with(c, "url", gone.URL+"/x?o=${offset}", "max.retries", "1")))
	if !strings.Contains(err.Error(), "connect") || !strings.Contains(err.Error(), "gave up after 1 retries") {
		t.Fatalf("error %v; want connection refused after 1 retry", err)
	}
}

// TestMalformedResponses fails the task on a body that is not JSON, or JSON without the
// records where the pointer says, quoting the status, URL and body.
func TestMalformedResponses(t *testing.T) {
	a := newAPI(t)
	a.add("e", 1)
	a.queue(fault{status: 200, body: "<html>maintenance</html>"})
	c := a.base("url", a.srv.URL+"/chain/e?after=${offset}", "http.offset.mode", "CHAINING", "http.offset.json.pointer", "/id",
		"http.response.data.json.pointer", "/data")
	err := pollErr(t, openTask(t, confluentClass, c))
	if !strings.Contains(err.Error(), "not JSON") || !strings.Contains(err.Error(), "<html>maintenance") || !strings.Contains(err.Error(), "status 200") {
		t.Fatalf("error %v", err)
	}
	a.queue(fault{status: 200, body: `{"items": []}`})
	if err := pollErr(t, openTask(t, confluentClass, c)); !strings.Contains(err.Error(), `nothing at the records' pointer "/data"`) {
		t.Fatalf("error %v", err)
	}
	a.queue(fault{status: 200, body: `{"data": [{"no_id": 1}]}`})
	if err := pollErr(t, openTask(t, confluentClass, c)); !strings.Contains(err.Error(), `record 0 has no offset at http.offset.json.pointer "/id"`) {
		t.Fatalf("error %v", err)
	}
	a.queue(fault{status: 200, body: `{"data": [1]} trailing`})
	if err := pollErr(t, openTask(t, confluentClass, c)); !strings.Contains(err.Error(), "not JSON") {
		t.Fatalf("error %v", err)
	}
}

// TestSlowResponse: Poll returns empty at its deadline while a request is in flight,
// and the records come once the answer does; a response slower than
// http.request.timeout.ms is a retried failure.
func TestSlowResponse(t *testing.T) {
	a := newAPI(t)
	a.add("e", 2)
	release := make(chan struct{})
	a.queue(fault{block: release})
	tk := openTask(t, confluentClass, a.base("url", a.srv.URL+"/inc/e?offset=${offset}"))
	quiet(t, tk) // the first answer is held back: polls come back empty
	close(release)
	if got := ids(t, poll(t, tk, 2)); got != want("e", 0, 2) {
		t.Fatalf("ids %s", got)
	}
	_ = tk.Close()
	hold := make(chan struct{})
	defer close(hold)
	a.queue(fault{block: hold}, fault{block: hold})
	err := pollErr(t, openTask(t, confluentClass, a.base("url", a.srv.URL+"/inc/e?offset=${offset}", "http.request.timeout.ms", "100", "max.retries", "1")))
	if !strings.Contains(err.Error(), "Timeout") && !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("error %v; want a timeout", err)
	}
}

// pki is a CA with a server certificate for 127.0.0.1 and a client certificate.
type pki struct {
	caPEM, serverCert, serverKey, clientCert, clientKey []byte
	pool                                                *x509.CertPool
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, usage x509.ExtKeyUsage, ips ...net.IP) ([]byte, []byte) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "leaf"}, NotBefore: time.Now().Add(-time.Hour),
			NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips, DNSNames: []string{"api.test"}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := x509.MarshalPKCS8PrivateKey(k)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})
	}
	p := &pki{caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.serverCert, p.serverKey = leaf(2, x509.ExtKeyUsageServerAuth, net.ParseIP("127.0.0.1"))
	p.clientCert, p.clientKey = leaf(3, x509.ExtKeyUsageClientAuth)
	return p
}

// TestTLS verifies the API against a CA from a PEM file or inline, presents a client
// certificate where the API requires one, refuses a Java key store naming the
// conversion, and with the host verifier off accepts a certificate for another name.
func TestTLS(t *testing.T) {
	p := newPKI(t)
	a := &api{t: t, pageSize: 10, items: map[string][]item{}, tokens: map[string]bool{}}
	a.srv = httptest.NewUnstartedServer(a)
	cert, err := tls.X509KeyPair(p.serverCert, p.serverKey)
	if err != nil {
		t.Fatal(err)
	}
	a.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: p.pool, ClientAuth: tls.RequireAndVerifyClientCert}
	a.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes below
	a.srv.StartTLS()
	t.Cleanup(a.srv.Close)
	a.add("e", 2)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ca := write("ca.pem", p.caPEM)
	client := write("client.pem", append(append([]byte{}, p.clientCert...), p.clientKey...))
	c := a.base("url", a.srv.URL+"/inc/e?offset=${offset}", "max.retries", "0",
		"https.ssl.truststore.location", ca, "https.ssl.keystore.location", client)
	if got := ids(t, poll(t, openTask(t, confluentClass, c), 2)); got != want("e", 0, 2) {
		t.Fatalf("ids %s", got)
	}
	inline := a.base("url", a.srv.URL+"/inc/e?offset=${offset}", "https.ssl.truststore.certificates", string(p.caPEM),
		"https.ssl.keystore.key", string(p.clientKey), "https.ssl.keystore.certificate.chain", string(p.clientCert))
	if got := ids(t, poll(t, openTask(t, confluentClass, inline), 2)); got != want("e", 0, 2) {
		t.Fatalf("inline PEM: ids %s", got)
	}
	// Without the CA, the server is not trusted.
	err = pollErr(t, openTask(t, confluentClass, with(c, "https.ssl.truststore.location", "")))
	if !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("error %v; want an unknown authority", err)
	}
	// Host verification off: a URL naming localhost, which the certificate does not.
	local := strings.Replace(a.srv.URL, "127.0.0.1", "localhost", 1) + "/inc/e?offset=${offset}"
	err = pollErr(t, openTask(t, confluentClass, with(c, "url", local)))
	if !strings.Contains(err.Error(), "localhost") {
		t.Fatalf("error %v; want the name mismatch", err)
	}
	if got := ids(t, poll(t, openTask(t, confluentClass, with(c, "url", local, "https.host.verifier.enabled", "false")), 2)); got != want("e", 0, 2) {
		t.Fatalf("verifier off: ids %s", got)
	}
	// A JKS trust store is refused at Open, naming the conversion.
	jks := write("trust.jks", []byte{0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2})
	def, _ := confluentDef.Parse(with(c, "https.ssl.truststore.location", jks, "https.ssl.truststore.type", "JKS"))
	s, _ := parseConfluent(def)
	if _, err := newClient(s, nil); err == nil || !strings.Contains(err.Error(), "keytool -exportcert -rfc") || !strings.Contains(err.Error(), "https.ssl.truststore.location") {
		t.Fatalf("a JKS trust store: %v; want the conversion named", err)
	}
}
