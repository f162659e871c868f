package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// TestTLSCommands: tls ca create and tls cert create make a CA and certificates that
// verify against it, with the names given, keys kept private, and nothing overwritten.
func TestTLSCommands(t *testing.T) {
	dir := t.TempDir()
	if out, err := runCLI(t, "tls", "ca", "create", "--dir", dir); err != nil {
		t.Fatalf("tls ca create: %v\n%s", err, out)
	}
	ca, key := filepath.Join(dir, "tributary-agent-ca.pem"), filepath.Join(dir, "tributary-agent-ca-key.pem")
	if _, err := runCLI(t, "tls", "ca", "create", "--dir", dir); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("a second ca create: %v, want a refusal to overwrite", err)
	}
	if out, err := runCLI(t, "tls", "cert", "create", "--server", "node1", "--dir", dir, "--ca", ca, "--key", key,
		"--additional-dnsname", "node1.example.com", "--additional-ipaddress", "10.0.0.7"); err != nil {
		t.Fatalf("tls cert create --server: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "tls", "cert", "create", "--client", "ops", "--dir", dir, "--ca", ca, "--key", key); err != nil {
		t.Fatalf("tls cert create --client: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "tls", "cert", "create", "node2", "--dir", dir, "--ca", ca, "--key", key); err == nil {
		t.Fatal("cert create without --server or --client was accepted")
	}

	roots := x509.NewCertPool()
	caPEM, _ := os.ReadFile(ca)
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("the CA file holds no certificate")
	}
	load := func(name string) *x509.Certificate {
		t.Helper()
		pair, err := tls.LoadX509KeyPair(filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(filepath.Join(dir, name+"-key.pem")); st.Mode().Perm() != 0o600 {
			t.Errorf("%s-key.pem has mode %v, want 0600", name, st.Mode().Perm())
		}
		return c
	}
	srv := load("tributary-server-node1")
	for _, host := range []string{"node1", "node1.example.com", "server.tributary", "localhost", "127.0.0.1", "10.0.0.7"} {
		if _, err := srv.Verify(x509.VerifyOptions{Roots: roots, DNSName: host, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("server certificate for %s: %v", host, err)
		}
	}
	if _, err := srv.Verify(x509.VerifyOptions{Roots: roots, DNSName: "node2"}); err == nil {
		t.Error("the server certificate verified for a name it was not given")
	}
	cli := load("tributary-client-ops")
	if _, err := cli.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	if _, err := cli.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Error("the client certificate verified as a server's")
	}
	keyPEM, _ := os.ReadFile(key)
	if b, _ := pem.Decode(keyPEM); b == nil || b.Type != "PRIVATE KEY" {
		t.Errorf("the CA key is not a PKCS#8 PEM key")
	}
}
