package main

// Helpers for tests that read and change a connector's offsets through the Kafka Connect
// REST API of a `tributary dev` node, as a user does.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// connectOffset is one entry of GET /connectors/{name}/offsets (KIP-875's shape).
type connectOffset struct {
	Partition map[string]any `json:"partition"`
	Offset    map[string]any `json:"offset"`
}

// restCall sends a request with a JSON body (or none) and returns the status code and
// the response body.
func restCall(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// mustREST is restCall failing the test unless the answer is 2xx.
func mustREST(t *testing.T, method, url, body string) string {
	t.Helper()
	code, out := restCall(t, method, url, body)
	if code/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, url, code, out)
	}
	return out
}

// committedOffsets returns the offsets the kernel has committed for connector name.
func committedOffsets(t *testing.T, k *testsvc.Dev, name string) []connectOffset {
	t.Helper()
	out := mustREST(t, http.MethodGet, k.REST+"/connectors/"+name+"/offsets", "")
	var resp struct {
		Offsets []connectOffset `json:"offsets"`
	}
	d := json.NewDecoder(bytes.NewReader([]byte(out)))
	d.UseNumber()
	if err := d.Decode(&resp); err != nil {
		t.Fatalf("GET offsets of %s: %v in %s", name, err, out)
	}
	return resp.Offsets
}

// committedIncrementing returns the incrementing value of the one committed offset of
// a source connector reading one table, or -1 when none is committed yet.
func committedIncrementing(t *testing.T, k *testsvc.Dev, name string) int64 {
	t.Helper()
	offs := committedOffsets(t, k, name)
	if len(offs) == 0 {
		return -1
	}
	if len(offs) > 1 {
		t.Fatalf("connector %s has %d committed partitions, want one: %v", name, len(offs), offs)
	}
	n, ok := offs[0].Offset[offIncrementing].(json.Number)
	if !ok {
		t.Fatalf("connector %s's offset %v has no incrementing number", name, offs[0].Offset)
	}
	v, err := n.Int64()
	if err != nil {
		t.Fatal(err)
	}
	return v
}
