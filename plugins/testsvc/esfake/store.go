package esfake

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// index is one index (or data stream) and its documents.
type index struct {
	name       string
	dataStream bool
	docs       map[string]*doc
	// mapping is the declared type of top-level fields ("integer", "long", "double",
	// "boolean", "keyword", "text", "date"); undeclared fields are accepted as they come.
	mapping map[string]string
	seqNo   int64
	count   int // live documents
}

// doc is one stored document. A deleted document stays as a tombstone (deleted set) so
// that external versions keep working as in Elasticsearch.
type doc struct {
	source  json.RawMessage
	version int64
	seqNo   int64
	deleted bool
}

// esError is an Elasticsearch error: its type, reason and the HTTP status it answers.
type esError struct {
	status int
	typ    string
	reason string
}

func (e *esError) Error() string { return e.typ + ": " + e.reason }

func (e *esError) body(index string) map[string]any {
	m := map[string]any{"type": e.typ, "reason": e.reason}
	if index != "" {
		m["index"] = index
	}
	return m
}

func errorf(status int, typ, format string, args ...any) *esError {
	return &esError{status: status, typ: typ, reason: fmt.Sprintf(format, args...)}
}

// dataStreamPatterns are the index templates Elasticsearch 8 ships that make a name a
// data stream: logs-*-*, metrics-*-*, synthetics-*-*, traces-*-*.
var dataStreamPatterns = []string{"logs-", "metrics-", "synthetics-", "traces-"}

func isDataStreamName(name string) bool {
	for _, p := range dataStreamPatterns {
		if strings.HasPrefix(name, p) && strings.Contains(name[len(p):], "-") {
			return true
		}
	}
	return false
}

// checkIndexName refuses names Elasticsearch refuses.
func checkIndexName(name string) *esError {
	switch {
	case name == "":
		return errorf(400, "action_request_validation_exception", "Validation Failed: 1: index is missing;")
	case strings.ToLower(name) != name:
		return errorf(400, "invalid_index_name_exception", "Invalid index name [%s], must be lowercase", name)
	case strings.HasPrefix(name, "_") || strings.HasPrefix(name, "-") || strings.HasPrefix(name, "+"):
		return errorf(400, "invalid_index_name_exception", "Invalid index name [%s], must not start with '_', '-', or '+'", name)
	case strings.ContainsAny(name, "\\/*?\"<>| ,#:"):
		return errorf(400, "invalid_index_name_exception", "Invalid index name [%s], must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?]", name)
	case len(name) > 255:
		return errorf(400, "invalid_index_name_exception", "Invalid index name [%s], index name is too long", name)
	}
	return nil
}

func newIndex(name string) *index {
	return &index{name: name, docs: map[string]*doc{}, mapping: map[string]string{}, dataStream: isDataStreamName(name)}
}

// checkSource checks a document against the index's mapping, as Elasticsearch's
// document parsing does: the source must be a JSON object, a data stream's must carry
// @timestamp, and a declared field must hold a value of its type.
func (ix *index) checkSource(id string, src []byte) *esError {
	if len(ix.mapping) == 0 && !ix.dataStream {
		// Nothing to check but the shape: the bulk parser has checked it is JSON.
		if t := strings.TrimSpace(string(src)); len(t) == 0 || t[0] != '{' {
			return errorf(400, "document_parsing_exception", "[1:1] failed to parse: the document for id '%s' is not a JSON object", id)
		}
		return nil
	}
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(src)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return errorf(400, "document_parsing_exception", "[1:1] failed to parse: the document for id '%s' is not a JSON object", id)
	}
	if ix.dataStream {
		if _, ok := m["@timestamp"]; !ok {
			return errorf(400, "document_parsing_exception", "[1:1] failed to parse: data stream timestamp field [@timestamp] is missing")
		}
	}
	for field, typ := range ix.mapping {
		v, ok := m[field]
		if !ok || v == nil {
			continue
		}
		if !fitsType(typ, v) {
			return errorf(400, "mapper_parsing_exception",
				"failed to parse field [%s] of type [%s] in document with id '%s'. Preview of field's value: '%v'", field, typ, id, v)
		}
	}
	return nil
}

// fitsType says whether v (decoded with UseNumber) is accepted by a field of type typ,
// coercing numeric strings as Elasticsearch does by default.
func fitsType(typ string, v any) bool {
	num := func() (float64, bool) {
		switch x := v.(type) {
		case json.Number:
			f, err := x.Float64()
			return f, err == nil
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			return f, err == nil
		}
		return 0, false
	}
	switch typ {
	case "integer", "long", "short", "byte":
		f, ok := num()
		if !ok || f != math.Trunc(f) {
			return false
		}
		if typ == "integer" {
			return f >= math.MinInt32 && f <= math.MaxInt32
		}
		return true
	case "double", "float":
		_, ok := num()
		return ok
	case "boolean":
		switch x := v.(type) {
		case bool:
			return true
		case string:
			return x == "true" || x == "false" || x == ""
		}
		return false
	case "keyword", "text":
		switch v.(type) {
		case map[string]any:
			return false
		}
		return true
	case "date":
		switch v.(type) {
		case json.Number, string:
			return true
		}
		return false
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return true
}

// merge applies a partial document to src, as an update's doc does: top-level fields of
// patch replace those of src, objects merged recursively.
func merge(src, patch []byte) ([]byte, error) {
	var a, b map[string]any
	if err := json.Unmarshal(src, &a); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(patch, &b); err != nil {
		return nil, err
	}
	mergeMaps(a, b)
	return json.Marshal(a)
}

func mergeMaps(a, b map[string]any) {
	for k, bv := range b {
		if bm, ok := bv.(map[string]any); ok {
			if am, ok := a[k].(map[string]any); ok {
				mergeMaps(am, bm)
				continue
			}
		}
		a[k] = bv
	}
}

// live returns the index's documents that are not deleted, by id.
func (ix *index) live() map[string]*doc {
	out := make(map[string]*doc, len(ix.docs))
	for id, d := range ix.docs {
		if !d.deleted {
			out[id] = d
		}
	}
	return out
}
