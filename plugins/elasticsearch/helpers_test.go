package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// baseConfig is the smallest config for a server at url, with fast retries.
func baseConfig(url string, extra map[string]string) map[string]string {
	raw := map[string]string{keyConnectionURL: url, keyRetryBackoffMs: "1", keyTopics: "orders"}
	for k, v := range extra {
		raw[k] = v
	}
	return raw
}

// openTask opens a task on raw, closed when the test ends.
func openTask(t *testing.T, raw map[string]string) *task {
	t.Helper()
	cfg, errs := configDef().Parse(raw)
	if len(errs) > 0 {
		t.Fatalf("config %v: %v", raw, errs)
	}
	tk := connector{}.NewSinkTask().(*task)
	tc := sdk.TaskContext{Handle: "h", Connector: "test", Config: cfg, Logger: hclog.NewNullLogger()}
	if err := tk.Open(context.Background(), tc, nil); err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = tk.Close() })
	return tk
}

// rowSchema is a small struct schema with an int id and a name.
var rowSchema = data.StructOf("row", data.NewField("id", data.Int64Schema), data.NewField("name", data.OptionalStringSchema))

// row returns a record of topic orders partition 0 at offset with a string key and a
// struct value.
func row(offset int64, key string, id int64, name string) sdk.SinkRecord {
	v := data.NewStruct(rowSchema).Put("id", id).Put("name", name)
	return sdk.SinkRecord{Topic: "orders", Partition: 0, Offset: offset, Key: key, KeySchema: data.StringSchema,
		Value: v, ValueSchema: rowSchema, Timestamp: time.UnixMilli(1700000000000)}
}

// mapRecord returns a schemaless record with a map value.
func mapRecord(offset int64, key any, value map[string]any) sdk.SinkRecord {
	r := sdk.SinkRecord{Topic: "orders", Partition: 0, Offset: offset, Key: key, Timestamp: time.UnixMilli(1700000000000)}
	if value != nil {
		r.Value = value
	}
	return r
}

func tombstone(offset int64, key string) sdk.SinkRecord {
	return sdk.SinkRecord{Topic: "orders", Partition: 0, Offset: offset, Key: key, KeySchema: data.StringSchema}
}

// docOf decodes a stored document.
func docOf(t *testing.T, es *testsvc.Elasticsearch, index, id string) map[string]any {
	t.Helper()
	src, _, ok := es.Doc(index, id)
	if !ok {
		t.Fatalf("document %s/%s is missing; the index holds %v", index, id, keys(es.Docs(index)))
	}
	var m map[string]any
	if err := json.Unmarshal(src, &m); err != nil {
		t.Fatalf("document %s/%s: %v", index, id, err)
	}
	return m
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func flushOf(t *testing.T, tk *task, offsets map[sdk.TopicPartition]int64) map[sdk.TopicPartition]int64 {
	t.Helper()
	got, err := tk.Flush(context.Background(), offsets)
	if err != nil {
		t.Fatalf("flush: %v", err)
	}
	return got
}

var tp0 = sdk.TopicPartition{Topic: "orders", Partition: 0}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key, returning the
// server's TLS config and the path of the CA PEM.
func selfSigned(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "esfake"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, ca
}

func startES(t testing.TB) *testsvc.Elasticsearch {
	return testsvc.StartElasticsearch(t)
}
