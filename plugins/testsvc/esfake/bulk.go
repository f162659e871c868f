package esfake

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// opKind is a bulk action.
type opKind string

const (
	opIndex  opKind = "index"
	opCreate opKind = "create"
	opUpdate opKind = "update"
	opDelete opKind = "delete"
)

// action is one parsed bulk action (or single-document request).
type action struct {
	op          opKind
	index, id   string
	version     int64
	versionType string
	source      []byte // the document, or an update's body
}

// result is what applying an action answered.
type result struct {
	status  int
	result  string // created, updated, deleted, not_found, noop
	version int64
	seqNo   int64
	err     *esError
}

func (r result) body(a *action) map[string]any {
	m := map[string]any{"_index": a.index, "_id": a.id, "status": r.status}
	if r.err != nil {
		m["error"] = r.err.body(a.index)
		return m
	}
	m["_version"] = r.version
	m["result"] = r.result
	m["_shards"] = shards()
	m["_seq_no"] = r.seqNo
	m["_primary_term"] = 1
	return m
}

// metadata is an action line's object.
type metadata struct {
	Index           string          `json:"_index"`
	ID              json.RawMessage `json:"_id"`
	Version         *int64          `json:"version"`
	VersionType     string          `json:"version_type"`
	RetryOnConflict *int            `json:"retry_on_conflict"`
	Routing         string          `json:"routing"`
	Pipeline        string          `json:"pipeline"`
	RequireAlias    *bool           `json:"require_alias"`
	IfSeqNo         *int64          `json:"if_seq_no"`
	IfPrimaryTerm   *int64          `json:"if_primary_term"`
	DynamicTemplate json.RawMessage `json:"dynamic_templates"`
	Source          json.RawMessage `json:"_source"`
}

// parseBulk splits a _bulk body into actions as Elasticsearch's BulkRequestParser does,
// refusing the whole request when it is malformed.
func parseBulk(body []byte, defIndex string) ([]action, *esError) {
	if len(body) == 0 {
		return nil, errorf(400, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
	}
	if body[len(body)-1] != '\n' {
		return nil, errorf(400, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
	}
	lines := bytes.Split(body[:len(body)-1], []byte("\n"))
	var out []action
	var missing []string
	for i := 0; i < len(lines); i++ {
		line := bytes.TrimSpace(lines[i])
		if len(line) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(line, &obj); err != nil {
			return nil, errorf(400, "x_content_parse_exception", "[%d:1] Malformed action/metadata line [%d]: %v", i+1, i+1, err)
		}
		if len(obj) != 1 {
			return nil, errorf(400, "illegal_argument_exception", "Malformed action/metadata line [%d], expected a simple value for field [_id] but found %d fields", i+1, len(obj))
		}
		var a action
		var raw json.RawMessage
		for k, v := range obj {
			a.op, raw = opKind(k), v
		}
		switch a.op {
		case opIndex, opCreate, opUpdate, opDelete:
		default:
			return nil, errorf(400, "illegal_argument_exception", "Malformed action/metadata line [%d], expected field [create], [delete], [index] or [update] but found [%s]", i+1, a.op)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		var md metadata
		if err := dec.Decode(&md); err != nil {
			return nil, errorf(400, "illegal_argument_exception", "Action/metadata line [%d] contains an unknown parameter or a value of the wrong type: %v", i+1, err)
		}
		a.index = md.Index
		if a.index == "" {
			a.index = defIndex
		}
		if len(md.ID) > 0 && string(md.ID) != "null" {
			var id string
			if err := json.Unmarshal(md.ID, &id); err != nil {
				return nil, errorf(400, "illegal_argument_exception", "Malformed action/metadata line [%d], expected a simple value for field [_id] but found [%s]", i+1, md.ID)
			}
			a.id = id
		}
		if md.Version != nil {
			a.version = *md.Version
			a.versionType = md.VersionType
			if a.versionType == "" {
				a.versionType = "internal"
			}
		} else if md.VersionType != "" {
			a.versionType = md.VersionType
		}
		if a.index == "" {
			missing = append(missing, fmt.Sprintf("%d: index is missing;", len(out)+1))
		}
		if a.op == opUpdate && a.id == "" {
			missing = append(missing, fmt.Sprintf("%d: id is missing;", len(out)+1))
		}
		switch a.versionType {
		case "", "internal":
			if a.version != 0 && a.op != opDelete {
				missing = append(missing, fmt.Sprintf("%d: internal versioning can not be used for optimistic concurrency control. Please use `if_seq_no` and `if_primary_term` instead;", len(out)+1))
			}
		case "external", "external_gte":
			if a.op == opUpdate {
				missing = append(missing, fmt.Sprintf("%d: can't provide version in update request;", len(out)+1))
			}
			if a.op == opCreate {
				missing = append(missing, fmt.Sprintf("%d: create operations only support internal versioning. use index instead;", len(out)+1))
			}
		default:
			return nil, errorf(400, "illegal_argument_exception", "No version type match [%s]", a.versionType)
		}
		if a.op != opDelete {
			i++
			if i >= len(lines) {
				return nil, errorf(400, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
			}
			src := bytes.TrimSpace(lines[i])
			if len(src) == 0 || !json.Valid(src) {
				return nil, errorf(400, "x_content_parse_exception", "[%d:1] source line of action [%s] is not valid JSON", i+1, a.op)
			}
			a.source = src
		}
		out = append(out, a)
	}
	if len(missing) > 0 {
		return nil, errorf(400, "action_request_validation_exception", "Validation Failed: %s", joinSpace(missing))
	}
	if len(out) == 0 {
		return nil, errorf(400, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
	}
	return out, nil
}

func joinSpace(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(x)
	}
	return b.String()
}

func (s *Server) serveBulk(w http.ResponseWriter, r *http.Request, defIndex string) {
	s.bulk.Add(1)
	start := time.Now()
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		s.badRequests.Add(1)
		writeError(w, errorf(405, "method_not_allowed", "Incorrect HTTP method for uri [%s] and method [%s], allowed: [POST, PUT]", r.URL.Path, r.Method), "")
		return
	}
	if err := checkContentType(r, true); err != nil {
		s.badRequests.Add(1)
		writeError(w, err, "")
		return
	}
	var in io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			s.badRequests.Add(1)
			writeError(w, errorf(400, "parse_exception", "cannot read the gzip request body: %v", err), "")
			return
		}
		in = zr
	}
	body, err := io.ReadAll(in)
	if err != nil {
		s.badRequests.Add(1)
		writeError(w, errorf(400, "parse_exception", "cannot read the request body: %v", err), "")
		return
	}
	actions, perr := parseBulk(body, defIndex)
	if perr != nil {
		s.badRequests.Add(1)
		writeError(w, perr, "")
		return
	}
	s.bulkItems.Add(int64(len(actions)))

	s.mu.Lock()
	if s.faults.bulkLeft > 0 {
		s.faults.bulkLeft--
		st := s.faults.bulkStatus
		s.mu.Unlock()
		s.rejected.Add(1)
		writeError(w, injected(st), "")
		return
	}
	items := make([]any, len(actions))
	errs := false
	for i := range actions {
		a := &actions[i]
		var res result
		if s.faults.itemLeft > 0 {
			s.faults.itemLeft--
			s.rejected.Add(1)
			e := injected(s.faults.itemStatus)
			res = result{status: e.status, err: e}
		} else {
			res = s.applyLocked(a)
		}
		if res.err != nil {
			errs = true
		}
		items[i] = map[string]any{string(a.op): res.body(a)}
	}
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"took": time.Since(start).Milliseconds(), "errors": errs, "items": items})
}

// applyLocked applies one action to the store, as Elasticsearch's primary shard would.
// s.mu is held.
func (s *Server) applyLocked(a *action) result {
	if err := checkIndexName(a.index); err != nil {
		return result{status: err.status, err: err}
	}
	ix, ierr := s.indexLocked(a.index, a.op != opDelete)
	if ierr != nil {
		if a.op == opDelete {
			return result{status: 404, err: ierr}
		}
		return result{status: ierr.status, err: ierr}
	}
	if ix.dataStream && a.op != opCreate {
		e := errorf(400, "illegal_argument_exception", "only write ops with an op_type of create are allowed in data streams")
		return result{status: 400, err: e}
	}
	if a.id == "" {
		s.autoID++
		a.id = "esfake-" + strconv.FormatInt(s.autoID, 36)
	}
	cur := ix.docs[a.id]
	exists := cur != nil && !cur.deleted
	curVersion := int64(0)
	if cur != nil {
		curVersion = cur.version
	}
	external := a.versionType == "external" || a.versionType == "external_gte"
	if external && cur != nil {
		ok := a.version > curVersion || (a.versionType == "external_gte" && a.version >= curVersion)
		if !ok {
			e := errorf(409, "version_conflict_engine_exception", "[%s]: version conflict, current version [%d] is higher or equal to the one provided [%d]", a.id, curVersion, a.version)
			return result{status: 409, err: e}
		}
	}
	next := func() int64 {
		if external {
			return a.version
		}
		return curVersion + 1
	}
	store := func(src []byte, res string, status int) result {
		ix.seqNo++
		d := &doc{source: append(json.RawMessage(nil), src...), version: next(), seqNo: ix.seqNo}
		ix.docs[a.id] = d
		if !exists {
			ix.count++
		}
		return result{status: status, result: res, version: d.version, seqNo: d.seqNo}
	}
	switch a.op {
	case opIndex, opCreate:
		if a.op == opCreate && exists {
			e := errorf(409, "version_conflict_engine_exception", "[%s]: version conflict, document already exists (current version [%d])", a.id, curVersion)
			return result{status: 409, err: e}
		}
		if err := ix.checkSource(a.id, a.source); err != nil {
			return result{status: err.status, err: err}
		}
		if exists {
			return store(a.source, "updated", 200)
		}
		return store(a.source, "created", 201)
	case opUpdate:
		var body struct {
			Doc         json.RawMessage `json:"doc"`
			DocAsUpsert bool            `json:"doc_as_upsert"`
			Upsert      json.RawMessage `json:"upsert"`
			Script      json.RawMessage `json:"script"`
		}
		dec := json.NewDecoder(bytes.NewReader(a.source))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			e := errorf(400, "x_content_parse_exception", "[1:2] [UpdateRequest] unknown field or wrong type: %v", err)
			return result{status: 400, err: e}
		}
		if len(body.Script) > 0 {
			e := errorf(400, "illegal_argument_exception", "esfake does not run scripts")
			return result{status: 400, err: e}
		}
		if len(body.Doc) == 0 {
			e := errorf(400, "action_request_validation_exception", "Validation Failed: 1: script or doc is missing;")
			return result{status: 400, err: e}
		}
		if !exists {
			src := body.Upsert
			if body.DocAsUpsert {
				src = body.Doc
			}
			if len(src) == 0 {
				e := errorf(404, "document_missing_exception", "[%s]: document missing", a.id)
				return result{status: 404, err: e}
			}
			if err := ix.checkSource(a.id, src); err != nil {
				return result{status: err.status, err: err}
			}
			return store(src, "created", 201)
		}
		merged, err := merge(cur.source, body.Doc)
		if err != nil {
			e := errorf(400, "document_parsing_exception", "[1:1] failed to parse: %v", err)
			return result{status: 400, err: e}
		}
		if bytes.Equal(compact(merged), compact(cur.source)) {
			return result{status: 200, result: "noop", version: cur.version, seqNo: cur.seqNo}
		}
		if err := ix.checkSource(a.id, merged); err != nil {
			return result{status: err.status, err: err}
		}
		return store(merged, "updated", 200)
	case opDelete:
		if !exists {
			if external {
				ix.seqNo++
				ix.docs[a.id] = &doc{version: a.version, seqNo: ix.seqNo, deleted: true}
				return result{status: 404, result: "not_found", version: a.version, seqNo: ix.seqNo}
			}
			return result{status: 404, result: "not_found", version: curVersion + 1, seqNo: ix.seqNo}
		}
		ix.seqNo++
		d := &doc{version: next(), seqNo: ix.seqNo, deleted: true}
		ix.docs[a.id] = d
		ix.count--
		return result{status: 200, result: "deleted", version: d.version, seqNo: d.seqNo}
	}
	e := errorf(400, "illegal_argument_exception", "unknown action [%s]", a.op)
	return result{status: 400, err: e}
}

// compact returns JSON without insignificant whitespace, with object keys sorted (it
// round-trips through a map), for comparing documents.
func compact(b []byte) []byte {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return b
	}
	out, _ := json.Marshal(v)
	return out
}
