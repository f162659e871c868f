package main

// Tests of the built tributary-elasticsearch binary, and against a real cluster.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/kernel/conformance"
	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// TestBinaryConforms runs the kernel's conformance kit against the built binary writing
// to esfake: every check passes, and the kit's records reach the server.
func TestBinaryConforms(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the plugin process")
	}
	es := startES(t)
	results := conformance.Run(context.Background(), pluginBinary(t), conformance.Options{
		Class: "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
		// The kit's first record is a bare string, which Elasticsearch refuses as a
		// document: warn skips it, as a user would configure for such a topic.
		Config: map[string]string{keyConnectionURL: es.URL, keyMalformed: "warn"},
	})
	for _, r := range results {
		if r.Status != conformance.Pass {
			t.Errorf("%s %s: %s: %s", r.Class, r.Check, r.Status, r.Detail)
		}
	}
	if len(results) == 0 {
		t.Fatal("the kit ran no checks")
	}
	if docs := es.Docs("tributary-conformance"); docs["k1"] == nil {
		t.Errorf("the kit's struct record (key k1) is not in index tributary-conformance: %v", keys(docs))
	}
}

// TestRealCluster writes to the cluster at ELASTICSEARCH_URL (with ELASTICSEARCH_USERNAME
// and ELASTICSEARCH_PASSWORD when it needs them) and reads the documents back. It is
// opt-in: no Elasticsearch can be installed on our machines (TESTBED.md).
func TestRealCluster(t *testing.T) {
	url := os.Getenv("ELASTICSEARCH_URL")
	if url == "" {
		t.Skip("ELASTICSEARCH_URL is not set: this test runs only against a real cluster you point it at")
	}
	index := fmt.Sprintf("tributary-it-%d", time.Now().UnixNano())
	extra := map[string]string{keyWriteMethod: "upsert", keyNullValues: "delete"}
	if u := os.Getenv("ELASTICSEARCH_USERNAME"); u != "" {
		extra[keyUsername], extra[keyPassword] = u, os.Getenv("ELASTICSEARCH_PASSWORD")
	}
	tk := openTask(t, baseConfig(url, extra))
	recs := []sdk.SinkRecord{row(0, "a", 1, "x"), row(1, "b", 2, "y"), row(2, "a", 1, "z"), tombstone(3, "b")}
	for i := range recs {
		recs[i].Topic = index
	}
	put(t, tk, recs...)
	t.Cleanup(func() {
		req, _ := http.NewRequest("DELETE", strings.TrimRight(url, "/")+"/"+index, nil)
		if u := extra[keyUsername]; u != "" {
			req.SetBasicAuth(u, extra[keyPassword])
		}
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	})
	get := func(id string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", strings.TrimRight(url, "/")+"/"+index+"/_doc/"+id, nil)
		if u := extra[keyUsername]; u != "" {
			req.SetBasicAuth(u, extra[keyPassword])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		src, _ := m["_source"].(map[string]any)
		return res.StatusCode, src
	}
	if st, src := get("a"); st != 200 || src["name"] != "z" {
		t.Errorf("document a: status %d source %v, want 200 with name z", st, src)
	}
	if st, _ := get("b"); st != 404 {
		t.Errorf("document b after its tombstone: status %d, want 404", st)
	}
}

// pluginBinary returns the tributary-elasticsearch binary under test (see testsvc.Built).
func pluginBinary(tb testing.TB) string {
	tb.Helper()
	return testsvc.Built(tb, "plugins/tributary-elasticsearch", ".")
}

func TestMain(m *testing.M) {
	code := m.Run()
	testsvc.RemoveBuilt()
	os.Exit(code)
}
