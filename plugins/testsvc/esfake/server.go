package esfake

import (
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Version is the Elasticsearch version the server reports at GET /.
const Version = "8.19.7"

// Options configure a Server. The zero value serves plain HTTP without auth.
type Options struct {
	// Username and Password, when Username is set, are required as HTTP basic auth on
	// every request; anything else answers 401 security_exception.
	Username, Password string
	// TLS, when set, makes Start serve HTTPS with this config.
	TLS *tls.Config
}

// Counters are what the server has been asked, for assertions.
type Counters struct {
	// Requests is every request received, answered or not.
	Requests int64
	// Bulk is the _bulk requests received; BulkItems the action lines they held.
	Bulk, BulkItems int64
	// Rejected is the bulk requests and items answered with an injected 429 or 5xx.
	Rejected int64
	// Unauthorized is the requests refused for missing or wrong credentials.
	Unauthorized int64
	// BadRequests is the requests refused as malformed (400 or 406 for the whole request).
	BadRequests int64
}

// Server is the Elasticsearch look-alike. It is an http.Handler; Start serves it on an
// address. Its methods are safe for concurrent use.
type Server struct {
	opts Options

	mu      sync.Mutex
	indices map[string]*index
	// mappings declared before their index exists, applied when it is created.
	pending map[string]map[string]string
	faults  faults
	autoID  int64

	requests, bulk, bulkItems, rejected, unauthorized, badRequests atomic.Int64

	ln  net.Listener
	srv *http.Server
}

// faults are the injected failures still to answer.
type faults struct {
	bulkStatus int // status of whole-bulk failures
	bulkLeft   int
	itemStatus int // status of per-item failures
	itemLeft   int
	delay      time.Duration
	anyStatus  int // status of failures of any request
	anyLeft    int
}

// New returns a server with no indices.
func New(opts Options) *Server {
	return &Server{opts: opts, indices: map[string]*index{}, pending: map[string]map[string]string{}}
}

// Start serves s on addr ("127.0.0.1:0" for any free port) and returns its base URL,
// http:// or https:// as Options.TLS says.
func (s *Server) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("esfake: listen %s: %w", addr, err)
	}
	scheme := "http"
	if s.opts.TLS != nil {
		ln = tls.NewListener(ln, s.opts.TLS)
		scheme = "https"
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return scheme + "://" + ln.Addr().String(), nil
}

// Close stops serving.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// Counters returns the request counters so far.
func (s *Server) Counters() Counters {
	return Counters{Requests: s.requests.Load(), Bulk: s.bulk.Load(), BulkItems: s.bulkItems.Load(),
		Rejected: s.rejected.Load(), Unauthorized: s.unauthorized.Load(), BadRequests: s.badRequests.Load()}
}

// RejectBulk makes the next n _bulk requests answer status as a whole (429
// es_rejected_execution_exception, or a 5xx), without applying any of their items.
func (s *Server) RejectBulk(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.bulkLeft, s.faults.bulkStatus = n, status
}

// RejectItems makes the next n bulk items (across requests) fail alone with status (429
// es_rejected_execution_exception, or a 5xx) and not be applied; the request's other
// items are applied.
func (s *Server) RejectItems(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.itemLeft, s.faults.itemStatus = n, status
}

// FailRequests makes the next n requests of any kind answer status.
func (s *Server) FailRequests(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.anyLeft, s.faults.anyStatus = n, status
}

// SetDelay makes every request wait d before it is answered (0: none).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.delay = d
}

// Map declares the type of a top-level field of an index ("integer", "long", "double",
// "boolean", "keyword", "text", "date", "object"): a document whose field holds a value
// of another type is refused with mapper_parsing_exception (400). The index need not
// exist yet.
func (s *Server) Map(indexName, field, typ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ix, ok := s.indices[indexName]; ok {
		ix.mapping[field] = typ
		return
	}
	if s.pending[indexName] == nil {
		s.pending[indexName] = map[string]string{}
	}
	s.pending[indexName][field] = typ
}

// Doc returns the source of a live document and its version.
func (s *Server) Doc(indexName, id string) (source json.RawMessage, version int64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, found := s.indices[indexName]
	if !found {
		return nil, 0, false
	}
	d, found := ix.docs[id]
	if !found || d.deleted {
		return nil, 0, false
	}
	return append(json.RawMessage(nil), d.source...), d.version, true
}

// Docs returns the live documents of an index by id (nil when it does not exist).
func (s *Server) Docs(indexName string) map[string]json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, ok := s.indices[indexName]
	if !ok {
		return nil
	}
	out := map[string]json.RawMessage{}
	for id, d := range ix.live() {
		out[id] = append(json.RawMessage(nil), d.source...)
	}
	return out
}

// Count returns the number of live documents of an index (0 when it does not exist).
func (s *Server) Count(indexName string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, ok := s.indices[indexName]
	if !ok {
		return 0
	}
	return ix.count
}

// DeleteIndex removes an index and its documents, as DELETE /{index}.
func (s *Server) DeleteIndex(indexName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.indices, indexName)
}

// Indices returns the names of the indices and data streams, sorted.
func (s *Server) Indices() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.indices))
	for n := range s.indices {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// indexLocked returns the index name, creating it when create is set. s.mu is held.
func (s *Server) indexLocked(name string, create bool) (*index, *esError) {
	if ix, ok := s.indices[name]; ok {
		return ix, nil
	}
	if !create {
		return nil, errorf(404, "index_not_found_exception", "no such index [%s]", name)
	}
	if err := checkIndexName(name); err != nil {
		return nil, err
	}
	ix := newIndex(name)
	for f, t := range s.pending[name] {
		ix.mapping[f] = t
	}
	s.indices[name] = ix
	return ix, nil
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	s.mu.Lock()
	delay := s.faults.delay
	failStatus := 0
	if s.faults.anyLeft > 0 {
		s.faults.anyLeft--
		failStatus = s.faults.anyStatus
	}
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if s.opts.Username != "" {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(s.opts.Username)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(s.opts.Password)) != 1 {
			s.unauthorized.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="security" charset="UTF-8"`)
			reason := "missing authentication credentials for REST request [" + r.URL.Path + "]"
			if ok {
				reason = "unable to authenticate user [" + u + "] for REST request [" + r.URL.Path + "]"
			}
			writeError(w, errorf(401, "security_exception", "%s", reason), "")
			return
		}
	}
	if failStatus != 0 {
		s.rejected.Add(1)
		writeError(w, injected(failStatus), "")
		return
	}
	parts := splitPath(r.URL.Path)
	switch {
	case len(parts) == 0:
		s.root(w, r)
	case parts[0] == "_bulk" && len(parts) == 1:
		s.serveBulk(w, r, "")
	case len(parts) == 2 && parts[1] == "_bulk":
		s.serveBulk(w, r, parts[0])
	case parts[0] == "_refresh" && len(parts) == 1, len(parts) == 2 && parts[1] == "_refresh":
		writeJSON(w, 200, map[string]any{"_shards": shards()})
	case parts[0] == "_data_stream" && len(parts) == 2:
		s.dataStream(w, r, parts[1])
	case len(parts) == 1 && !strings.HasPrefix(parts[0], "_"):
		s.indexAPI(w, r, parts[0])
	case len(parts) == 2 && parts[1] == "_count":
		s.count(w, r, parts[0])
	case len(parts) == 2 && parts[1] == "_search":
		s.search(w, r, parts[0])
	case len(parts) == 3 && (parts[1] == "_doc" || parts[1] == "_create"):
		s.docAPI(w, r, parts[0], parts[2], parts[1] == "_create")
	case len(parts) == 2 && parts[1] == "_doc" && r.Method == http.MethodPost:
		s.docAPI(w, r, parts[0], "", false)
	default:
		writeError(w, errorf(400, "illegal_argument_exception", "no handler found for uri [%s] and method [%s]", r.URL.Path, r.Method), "")
	}
}

func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func injected(status int) *esError {
	if status == 429 {
		return errorf(429, "es_rejected_execution_exception", "rejected execution of coordinating operation [injected by esfake]")
	}
	return errorf(status, "esfake_injected_exception", "injected failure with status %d", status)
}

func shards() map[string]any { return map[string]any{"total": 2, "successful": 1, "failed": 0} }

func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, errorf(405, "method_not_allowed", "Incorrect HTTP method for uri [/] and method [%s], allowed: [GET, HEAD]", r.Method), "")
		return
	}
	writeJSON(w, 200, map[string]any{
		"name": "esfake", "cluster_name": "esfake", "cluster_uuid": "esfake-cluster",
		"version": map[string]any{"number": Version, "build_flavor": "default", "build_type": "tar",
			"lucene_version": "9.12.0", "minimum_wire_compatibility_version": "7.17.0",
			"minimum_index_compatibility_version": "7.0.0"},
		"tagline": "You Know, for Search",
	})
}

// checkContentType refuses a body Elasticsearch would not parse: JSON and NDJSON, plain
// or as the compatible-with=8 vendor types the clients send.
func checkContentType(r *http.Request, ndjson bool) *esError {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return errorf(406, "illegal_argument_exception", "Content-Type header is missing")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return errorf(406, "illegal_argument_exception", "Content-Type header [%s] is not supported", ct)
	}
	switch mt {
	case "application/json", "application/x-ndjson":
		if mt == "application/x-ndjson" && !ndjson {
			break
		}
		return nil
	case "application/vnd.elasticsearch+json", "application/vnd.elasticsearch+x-ndjson":
		if v := params["compatible-with"]; v != "8" && v != "7" {
			return errorf(400, "media_type_header_exception", "Invalid media-type value on headers [Content-Type]: compatible-with=%q", v)
		}
		return nil
	}
	return errorf(406, "illegal_argument_exception", "Content-Type header [%s] is not supported", ct)
}

func (s *Server) dataStream(w http.ResponseWriter, r *http.Request, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodPut:
		if !isDataStreamName(name) {
			writeError(w, errorf(400, "illegal_argument_exception", "no matching index template found for data stream [%s]", name), "")
			return
		}
		if _, ok := s.indices[name]; ok {
			writeError(w, errorf(400, "resource_already_exists_exception", "data_stream [%s] already exists", name), name)
			return
		}
		if _, err := s.indexLocked(name, true); err != nil {
			writeError(w, err, name)
			return
		}
		writeJSON(w, 200, map[string]any{"acknowledged": true})
	case http.MethodGet:
		ix, ok := s.indices[name]
		if !ok || !ix.dataStream {
			writeError(w, errorf(404, "index_not_found_exception", "no such index [%s]", name), name)
			return
		}
		writeJSON(w, 200, map[string]any{"data_streams": []any{map[string]any{"name": name}}})
	default:
		writeError(w, errorf(405, "method_not_allowed", "method [%s] not allowed", r.Method), "")
	}
}

// indexAPI answers HEAD, GET, PUT and DELETE /{index}. PUT takes an optional body with
// mappings.properties.<field>.type, which declares the fields' types as Map does.
func (s *Server) indexAPI(w http.ResponseWriter, r *http.Request, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodHead:
		if _, ok := s.indices[name]; !ok {
			w.WriteHeader(404)
			return
		}
		w.WriteHeader(200)
	case http.MethodGet:
		ix, ok := s.indices[name]
		if !ok {
			writeError(w, errorf(404, "index_not_found_exception", "no such index [%s]", name), name)
			return
		}
		props := map[string]any{}
		for f, t := range ix.mapping {
			props[f] = map[string]any{"type": t}
		}
		writeJSON(w, 200, map[string]any{name: map[string]any{"mappings": map[string]any{"properties": props}}})
	case http.MethodPut:
		if _, ok := s.indices[name]; ok {
			writeError(w, errorf(400, "resource_already_exists_exception", "index [%s/esfake] already exists", name), name)
			return
		}
		var body struct {
			Mappings struct {
				Properties map[string]struct {
					Type string `json:"type"`
				} `json:"properties"`
			} `json:"mappings"`
		}
		raw, _ := io.ReadAll(r.Body)
		if len(strings.TrimSpace(string(raw))) > 0 {
			if err := checkContentType(r, false); err != nil {
				s.badRequests.Add(1)
				writeError(w, err, name)
				return
			}
			if err := json.Unmarshal(raw, &body); err != nil {
				s.badRequests.Add(1)
				writeError(w, errorf(400, "parse_exception", "request body is required to be a JSON object: %v", err), name)
				return
			}
		}
		ix, err := s.indexLocked(name, true)
		if err != nil {
			writeError(w, err, name)
			return
		}
		for f, p := range body.Mappings.Properties {
			ix.mapping[f] = p.Type
		}
		writeJSON(w, 200, map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": name})
	case http.MethodDelete:
		if _, ok := s.indices[name]; !ok {
			writeError(w, errorf(404, "index_not_found_exception", "no such index [%s]", name), name)
			return
		}
		delete(s.indices, name)
		writeJSON(w, 200, map[string]any{"acknowledged": true})
	default:
		writeError(w, errorf(405, "method_not_allowed", "method [%s] not allowed", r.Method), "")
	}
}

func (s *Server) count(w http.ResponseWriter, _ *http.Request, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, ok := s.indices[name]
	if !ok {
		writeError(w, errorf(404, "index_not_found_exception", "no such index [%s]", name), name)
		return
	}
	writeJSON(w, 200, map[string]any{"count": ix.count, "_shards": shards()})
}

// search answers a match_all query (the only one it knows): hits sorted by id, from
// "size" (default 10) in the body or query string.
func (s *Server) search(w http.ResponseWriter, r *http.Request, name string) {
	size := 10
	if v := r.URL.Query().Get("size"); v != "" {
		fmt.Sscan(v, &size)
	}
	raw, _ := io.ReadAll(r.Body)
	if len(strings.TrimSpace(string(raw))) > 0 {
		var body struct {
			Query map[string]json.RawMessage `json:"query"`
			Size  *int                       `json:"size"`
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			writeError(w, errorf(400, "parsing_exception", "request body is not JSON: %v", err), name)
			return
		}
		for q := range body.Query {
			if q != "match_all" {
				writeError(w, errorf(400, "parsing_exception", "esfake knows only match_all, not [%s]", q), name)
				return
			}
		}
		if body.Size != nil {
			size = *body.Size
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, ok := s.indices[name]
	if !ok {
		writeError(w, errorf(404, "index_not_found_exception", "no such index [%s]", name), name)
		return
	}
	live := ix.live()
	ids := make([]string, 0, len(live))
	for id := range live {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	hits := []any{}
	for _, id := range ids {
		if len(hits) >= size {
			break
		}
		hits = append(hits, map[string]any{"_index": name, "_id": id, "_score": 1.0, "_source": live[id].source})
	}
	writeJSON(w, 200, map[string]any{"took": 1, "timed_out": false, "_shards": shards(),
		"hits": map[string]any{"total": map[string]any{"value": len(ids), "relation": "eq"}, "max_score": 1.0, "hits": hits}})
}

// docAPI answers GET, HEAD, PUT, POST and DELETE /{index}/_doc/{id} and PUT
// /{index}/_create/{id}.
func (s *Server) docAPI(w http.ResponseWriter, r *http.Request, name, id string, create bool) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.mu.Lock()
		defer s.mu.Unlock()
		ix, ok := s.indices[name]
		if !ok {
			writeError(w, errorf(404, "index_not_found_exception", "no such index [%s]", name), name)
			return
		}
		d, ok := ix.docs[id]
		if !ok || d.deleted {
			writeJSON(w, 404, map[string]any{"_index": name, "_id": id, "found": false})
			return
		}
		writeJSON(w, 200, map[string]any{"_index": name, "_id": id, "_version": d.version, "_seq_no": d.seqNo,
			"_primary_term": 1, "found": true, "_source": d.source})
	case http.MethodPut, http.MethodPost, http.MethodDelete:
		op := opIndex
		var src []byte
		if r.Method == http.MethodDelete {
			op = opDelete
		} else {
			if err := checkContentType(r, false); err != nil {
				s.badRequests.Add(1)
				writeError(w, err, name)
				return
			}
			src, _ = io.ReadAll(r.Body)
			if create || r.URL.Query().Get("op_type") == "create" {
				op = opCreate
			}
		}
		a := action{op: op, index: name, id: id, source: src}
		if v := r.URL.Query().Get("version"); v != "" {
			fmt.Sscan(v, &a.version)
			a.versionType = r.URL.Query().Get("version_type")
		}
		s.mu.Lock()
		res := s.applyLocked(&a)
		s.mu.Unlock()
		if res.err != nil {
			writeError(w, res.err, name)
			return
		}
		writeJSON(w, res.status, res.body(&a))
	default:
		writeError(w, errorf(405, "method_not_allowed", "method [%s] not allowed", r.Method), "")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = 500, []byte(`{"error":"esfake: cannot encode its answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, e *esError, index string) {
	writeJSON(w, e.status, map[string]any{"error": map[string]any{
		"root_cause": []any{e.body(index)}, "type": e.typ, "reason": e.reason}, "status": e.status})
}
