package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// pki writes a CA and two certificates it signs — one for the server (127.0.0.1), one
// for a client — as PEM files, and returns their paths.
type pki struct {
	ca, serverCert, serverKey, clientCert, clientKey, clientBoth string
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, blocks ...*pem.Block) string {
		var b []byte
		for _, bl := range blocks {
			b = append(b, pem.EncodeToMemory(bl)...)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, IsCA: true, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, name string) (*pem.Block, *pem.Block) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := x509.MarshalPKCS8PrivateKey(k)
		return &pem.Block{Type: "CERTIFICATE", Bytes: der}, &pem.Block{Type: "PRIVATE KEY", Bytes: kb}
	}
	sc, sk := leaf(2, "redis")
	cc, ck := leaf(3, "client")
	return pki{
		ca:         write("ca.pem", &pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		serverCert: write("server.pem", sc), serverKey: write("server.key", sk),
		clientCert: write("client.pem", cc), clientKey: write("client.key", ck),
		clientBoth: write("client-both.pem", ck, cc),
	}
}

// TestTLS writes over TLS with a client certificate, with both classes' keys: Redis
// Inc's rediss:// URI with redis.cacert, redis.key.file and redis.key.cert, and
// jcustenborder's redis.ssl.enabled with PEM trust and key stores. A CA that did not sign
// the server's certificate fails Open, and a Java key store is refused naming its key.
func TestTLS(t *testing.T) {
	p := newPKI(t)
	r := testsvc.StartRedis(t, testsvc.RedisOptions{TLS: &testsvc.RedisTLS{CertFile: p.serverCert, KeyFile: p.serverKey, CAFile: p.ca}})
	tk := openTask(t, redisConnector{}, map[string]string{keyURI: "rediss://" + r.Addr(), keyType: "STRING",
		keyCACert: p.ca, keyKeyFile: p.clientKey, keyKeyCert: p.clientCert})
	put(t, tk, rec(0, "a", "over tls"))
	if out, err := r.CLI("GET", "orders:a"); err != nil || out != "over tls" {
		t.Errorf("GET orders:a = %q, %v; want the value written over TLS", out, err)
	}

	kv := openTask(t, kvConnector{}, map[string]string{keyHosts: r.Addr(), keyDatabase: "0", keySSLEnabled: "true",
		keyTruststorePath: p.ca, keyKeystorePath: p.clientBoth})
	put(t, kv, rec(1, "b", "kv over tls"))
	if out, err := r.CLI("GET", "b"); err != nil || out != "kv over tls" {
		t.Errorf("GET b = %q, %v; want the value jcustenborder's class wrote over TLS", out, err)
	}

	other := newPKI(t)
	_, err := tryOpen(t, redisConnector{}, map[string]string{keyURI: "rediss://" + r.Addr(), keyType: "STRING",
		keyCACert: other.ca, keyKeyFile: p.clientKey, keyKeyCert: p.clientCert, keyTimeout: "2"})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("open trusting another CA: %v; want a certificate error", err)
	}

	jks := filepath.Join(t.TempDir(), "keystore.jks")
	if err := os.WriteFile(jks, []byte{0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2}, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = tryOpen(t, kvConnector{}, map[string]string{keyHosts: r.Addr(), keySSLEnabled: "true", keyTruststorePath: p.ca, keyKeystorePath: jks})
	var ce sdk.ConfigError
	if !errors.As(err, &ce) || ce.Key != keyKeystorePath || !strings.Contains(ce.Message, "PEM") {
		t.Errorf("open with a Java key store: %v; want a config error of %s saying to convert it to PEM", err, keyKeystorePath)
	}
}
