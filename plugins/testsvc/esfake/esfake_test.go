package esfake

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func start(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	s := New(opts)
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, url
}

func do(t *testing.T, method, url, ctype, body string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return res.StatusCode, m, res.Header
}

// TestBulkRefusesMalformedRequests checks that the request errors Elasticsearch answers
// for a wrong bulk body are answered, and nothing of the request is applied.
func TestBulkRefusesMalformedRequests(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, body string
		status            int
		errType           string
	}{
		{"no final newline", "application/x-ndjson", `{"index":{"_index":"a","_id":"1"}}` + "\n" + `{"f":1}`, 400, "illegal_argument_exception"},
		{"unknown action", "application/x-ndjson", `{"insert":{"_index":"a","_id":"1"}}` + "\n" + `{"f":1}` + "\n", 400, "illegal_argument_exception"},
		{"missing source", "application/x-ndjson", `{"index":{"_index":"a","_id":"1"}}` + "\n", 400, "illegal_argument_exception"},
		{"missing index", "application/x-ndjson", `{"index":{"_id":"1"}}` + "\n" + `{"f":1}` + "\n", 400, "action_request_validation_exception"},
		{"unknown metadata", "application/x-ndjson", `{"index":{"_index":"a","_idx":"1"}}` + "\n" + `{"f":1}` + "\n", 400, "illegal_argument_exception"},
		{"text/plain", "text/plain", `{"delete":{"_index":"a","_id":"1"}}` + "\n", 406, "illegal_argument_exception"},
		{"update with external version", "application/x-ndjson", `{"update":{"_index":"a","_id":"1","version":3,"version_type":"external"}}` + "\n" + `{"doc":{}}` + "\n", 400, "action_request_validation_exception"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, url := start(t, Options{})
			st, body, hdr := do(t, "POST", url+"/_bulk", tc.ctype, tc.body)
			errObj, _ := body["error"].(map[string]any)
			if st != tc.status || errObj["type"] != tc.errType {
				t.Fatalf("answered %d %v, want %d with error type %s", st, body, tc.status, tc.errType)
			}
			if hdr.Get("X-Elastic-Product") != "Elasticsearch" {
				t.Errorf("X-Elastic-Product header %q, want Elasticsearch", hdr.Get("X-Elastic-Product"))
			}
			if len(s.Indices()) != 0 {
				t.Errorf("indices %v exist after a refused request, want none", s.Indices())
			}
		})
	}
}

// TestBulkItems checks per-item results: created, updated, version conflicts, deletes,
// upserts, mapping errors and injected rejections.
func TestBulkItems(t *testing.T) {
	s, url := start(t, Options{})
	s.Map("a", "n", "integer")
	body := strings.Join([]string{
		`{"index":{"_index":"a","_id":"1","version":5,"version_type":"external"}}`, `{"n":1}`,
		`{"index":{"_index":"a","_id":"1","version":5,"version_type":"external"}}`, `{"n":2}`,
		`{"create":{"_index":"a","_id":"1"}}`, `{"n":3}`,
		`{"update":{"_index":"a","_id":"2"}}`, `{"doc":{"n":4},"doc_as_upsert":true}`,
		`{"update":{"_index":"a","_id":"2"}}`, `{"doc":{"m":"x"}}`,
		`{"index":{"_index":"a","_id":"3"}}`, `{"n":"abc"}`,
		`{"delete":{"_index":"a","_id":"9"}}`,
		`{"index":{"_index":"A","_id":"1"}}`, `{"n":1}`,
	}, "\n") + "\n"
	st, resp, _ := do(t, "POST", url+"/_bulk", "application/vnd.elasticsearch+x-ndjson; compatible-with=8", body)
	if st != 200 || resp["errors"] != true {
		t.Fatalf("answered %d %v, want 200 with errors:true", st, resp)
	}
	want := []struct {
		status int
		detail string
	}{{201, "created"}, {409, "version_conflict_engine_exception"}, {409, "version_conflict_engine_exception"},
		{201, "created"}, {200, "updated"}, {400, "mapper_parsing_exception"}, {404, "not_found"}, {400, "invalid_index_name_exception"}}
	items := resp["items"].([]any)
	if len(items) != len(want) {
		t.Fatalf("%d items, want %d", len(items), len(want))
	}
	for i, it := range items {
		for _, v := range it.(map[string]any) {
			m := v.(map[string]any)
			detail, _ := m["result"].(string)
			if e, ok := m["error"].(map[string]any); ok {
				detail, _ = e["type"].(string)
			}
			if int(m["status"].(float64)) != want[i].status || detail != want[i].detail {
				t.Errorf("item %d: %v %s, want %d %s", i, m["status"], detail, want[i].status, want[i].detail)
			}
		}
	}
	if src, v, _ := s.Doc("a", "1"); string(src) != `{"n":1}` || v != 5 {
		t.Errorf("document 1 = %s version %d, want {\"n\":1} version 5", src, v)
	}
	if src, _, _ := s.Doc("a", "2"); !strings.Contains(string(src), `"m":"x"`) || !strings.Contains(string(src), `"n":4`) {
		t.Errorf("document 2 = %s, want n:4 and m:x merged", src)
	}

	s.RejectItems(1, 429)
	st, resp, _ = do(t, "POST", url+"/a/_bulk", "application/x-ndjson", `{"index":{"_id":"7"}}`+"\n"+`{"n":7}`+"\n"+`{"index":{"_id":"8"}}`+"\n"+`{"n":8}`+"\n")
	items = resp["items"].([]any)
	first := items[0].(map[string]any)["index"].(map[string]any)
	if st != 200 || first["status"] != float64(429) {
		t.Errorf("with one item rejected: answered %d, first item %v, want 200 and a 429 item", st, first)
	}
	if _, _, ok := s.Doc("a", "7"); ok {
		t.Error("the rejected item was applied")
	}
	if _, _, ok := s.Doc("a", "8"); !ok {
		t.Error("the item after the rejected one was not applied")
	}
	if c := s.Counters(); c.Bulk != 2 || c.BulkItems != 10 || c.Rejected != 1 {
		t.Errorf("counters %+v, want 2 bulk requests, 10 items, 1 rejected", c)
	}
}

// TestAuthAndDocAPI checks basic auth and the single-document, count and search APIs.
func TestAuthAndDocAPI(t *testing.T) {
	_, url := start(t, Options{Username: "u", Password: "p"})
	if st, _, _ := do(t, "GET", url+"/", "", ""); st != 401 {
		t.Errorf("GET / without credentials answered %d, want 401", st)
	}
	authURL := strings.Replace(url, "http://", "http://u:p@", 1)
	if st, _, _ := do(t, "PUT", authURL+"/a/_doc/1", "application/json", `{"x":1}`); st != 201 {
		t.Errorf("PUT /a/_doc/1 answered %d, want 201", st)
	}
	st, body, _ := do(t, "GET", authURL+"/a/_doc/1", "", "")
	if st != 200 || body["found"] != true {
		t.Errorf("GET /a/_doc/1 answered %d %v, want 200 found", st, body)
	}
	if _, body, _ = do(t, "GET", authURL+"/a/_count", "", ""); body["count"] != float64(1) {
		t.Errorf("_count = %v, want 1", body)
	}
	_, body, _ = do(t, "POST", authURL+"/a/_search", "application/json", `{"query":{"match_all":{}}}`)
	hits := body["hits"].(map[string]any)["hits"].([]any)
	if len(hits) != 1 {
		t.Errorf("_search hits %v, want 1", hits)
	}
	if st, _, _ = do(t, "DELETE", authURL+"/a/_doc/1", "", ""); st != 200 {
		t.Errorf("DELETE answered %d, want 200", st)
	}
	if st, _, _ = do(t, "GET", authURL+"/a/_doc/1", "", ""); st != 404 {
		t.Errorf("GET after DELETE answered %d, want 404", st)
	}
}
