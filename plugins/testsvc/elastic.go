package testsvc

import (
	"testing"

	"github.com/tributary-dev/tributary/plugins/testsvc/esfake"
)

// Elasticsearch is a running Elasticsearch look-alike (package esfake) and its base URL.
type Elasticsearch struct {
	// URL is the server's base URL, http:// or https:// as its options say.
	URL string
	*esfake.Server
}

// StartElasticsearch serves an esfake server on a free loopback port for the test and
// closes it when the test ends; opts, when given, set its basic auth and TLS. No real
// Elasticsearch can run on our machines (see TESTBED.md), so nothing is required and
// nothing skips.
func StartElasticsearch(t testing.TB, opts ...esfake.Options) *Elasticsearch {
	t.Helper()
	var o esfake.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	s := esfake.New(o)
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start the fake Elasticsearch: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &Elasticsearch{URL: url, Server: s}
}
