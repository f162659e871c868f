package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// Keys of the source partition and offset each record carries.
const (
	partEntity  = "entityName"
	offOffset   = "offset"
	offIndex    = "index"
	castormTsKV = "timestamp"
	castormKey  = "key"
)

// entity is the position of one entity (one source partition): what its next request
// asks for. Only its own task's poller goroutine touches it.
type entity struct {
	s         *settings
	name      string
	partition sdk.Partition
	topic     string

	offset string // ${offset} of CHAINING and CURSOR_PAGINATION
	count  int64  // SIMPLE_INCREMENTING: records so far, from http.initial.offset
	index  int64  // CURSOR_PAGINATION: records of the current page already delivered
	props  map[string]string
}

// newEntity returns the entity name at its committed offset, or at the initial one.
func newEntity(s *settings, name string, committed func(sdk.Partition) (sdk.Offset, bool)) (*entity, error) {
	e := &entity{s: s, name: name, partition: sdk.Partition{partEntity: name}}
	if s.castorm {
		e.partition = sdk.Partition{}
	}
	e.topic = s.topic.render(func(string) string { return name }, nil)
	off, ok := committed(e.partition)
	switch s.mode {
	case modeIncrementing:
		if v := strings.TrimSpace(s.initialOffset); v != "" {
			e.count, _ = strconv.ParseInt(v, 10, 64)
		}
		if ok {
			n, isInt := off.Int(offOffset)
			if !isInt {
				return nil, fmt.Errorf("entity %q: the committed offset %v has no integer %q; reset the connector's offsets", name, off.Map(), offOffset)
			}
			e.count = n
		}
	case modeChaining, modeCursor:
		e.offset = s.initialOffset
		if ok {
			v, isStr := off.String(offOffset)
			if !isStr {
				return nil, fmt.Errorf("entity %q: the committed offset %v has no string %q; reset the connector's offsets", name, off.Map(), offOffset)
			}
			e.offset = v
			e.index, _ = off.Int(offIndex)
		}
	case modeCastorm:
		e.props = map[string]string{}
		for k, v := range s.initialOffsetMap {
			e.props[k] = v
		}
		if ok {
			for k, v := range off.Map() {
				e.props[k] = text(v)
			}
		}
	}
	return e, nil
}

// vars returns the template variables of the next request.
func (e *entity) vars(name string) string {
	switch e.s.mode {
	case modeCastorm:
		return e.props[strings.TrimPrefix(name, "offset.")]
	case modeIncrementing:
		if name == "offset" {
			return strconv.FormatInt(e.count, 10)
		}
	default:
		if name == "offset" {
			return e.offset
		}
	}
	return e.name // entityName
}

// request renders the next request.
func (e *entity) request() request {
	u := e.s.url.render(e.vars, nil)
	if len(e.s.params) > 0 {
		var q strings.Builder
		for i, p := range e.s.params {
			if i > 0 {
				q.WriteByte('&')
			}
			q.WriteString(url.QueryEscape(p.name))
			q.WriteByte('=')
			q.WriteString(p.value.render(e.vars, url.QueryEscape))
		}
		if strings.Contains(u, "?") {
			u += "&" + q.String()
		} else {
			u += "?" + q.String()
		}
	}
	var body string
	if e.s.method != "GET" {
		body = e.s.body.render(e.vars, nil)
	}
	return request{method: e.s.method, url: u, body: body}
}

// records reads the records of a response to req and moves the entity past them. An
// unreadable or unexpected response is an error naming the request and quoting the body.
func (e *entity) records(req request, res *response) ([]sdk.SourceRecord, error) {
	if res.skip {
		return nil, nil
	}
	doc, err := decodeJSON(res.body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: status %d: the response is not JSON (%v): %s", req.method, maskURL(req.url), res.status, err, preview(res.body))
	}
	found, ok := e.s.dataPointer.lookup(doc)
	if !ok {
		return nil, fmt.Errorf("%s %s: status %d: the response has nothing at the records' pointer %q: %s", req.method, maskURL(req.url), res.status, e.s.dataPointer, preview(res.body))
	}
	var items []any
	switch x := found.(type) {
	case []any:
		items = x
	case nil:
	default:
		items = []any{x}
	}
	switch e.s.mode {
	case modeIncrementing:
		return e.incrementing(items), nil
	case modeChaining:
		return e.chaining(req, res, items)
	case modeCursor:
		return e.cursor(doc, items), nil
	}
	return e.castormRecords(req, res, items)
}

func (e *entity) record(value any, off sdk.Offset) sdk.SourceRecord {
	return sdk.SourceRecord{SourcePartition: e.partition, SourceOffset: off, Topic: e.topic, Value: value}
}

// incrementing: record j of a response at offset n is at n+j+1, the offset of the
// request after it; the next request is at n + the records' count.
func (e *entity) incrementing(items []any) []sdk.SourceRecord {
	out := make([]sdk.SourceRecord, len(items))
	for j, it := range items {
		out[j] = e.record(it, sdk.IntOffset(offOffset, e.count+int64(j)+1))
	}
	e.count += int64(len(items))
	return out
}

// chaining: each record's offset is the value at http.offset.json.pointer in it; the
// next request is at the last record's.
func (e *entity) chaining(req request, res *response, items []any) ([]sdk.SourceRecord, error) {
	out := make([]sdk.SourceRecord, len(items))
	next := e.offset
	for j, it := range items {
		v, ok := e.s.offsetPointer.lookup(it)
		if !ok || v == nil {
			return nil, fmt.Errorf("%s %s: status %d: record %d has no offset at %s %q: %s", req.method, maskURL(req.url), res.status, j, keyOffsetPointer, e.s.offsetPointer, preview(res.body))
		}
		next = text(v)
		out[j] = e.record(it, sdk.StringOffset(offOffset, next))
	}
	e.offset = next
	return out, nil
}

// cursor: the records of the page at cursor c carry {offset: c, index: i}, i the count of
// the page's records delivered with it, except the last of a page that has a next
// cursor n, which carries {offset: n, index: 0}. A page without a next cursor (the last,
// so far) is asked for again, its first index records skipped: records appended to it
// later are delivered once, and a restart resumes inside a page.
func (e *entity) cursor(doc any, items []any) []sdk.SourceRecord {
	next := ""
	if v, ok := e.s.nextPagePointer.lookup(doc); ok {
		next = text(v)
	}
	if next == e.offset {
		next = "" // the same page again: the last page so far
	}
	skip := min(e.index, int64(len(items)))
	out := make([]sdk.SourceRecord, 0, int64(len(items))-skip)
	for j := skip; j < int64(len(items)); j++ {
		off := sdk.OffsetOf(map[string]any{offOffset: e.offset, offIndex: j + 1})
		if next != "" && j == int64(len(items))-1 {
			off = sdk.OffsetOf(map[string]any{offOffset: next, offIndex: int64(0)})
		}
		out = append(out, e.record(items[j], off))
	}
	if next != "" {
		e.offset, e.index = next, 0
	} else {
		e.index = max(e.index, int64(len(items)))
	}
	return out
}

// The schemas of castorm's SchemedKvSourceRecordMapper.
var (
	castormKeySchema = withDoc(data.StructOf("com.github.castorm.kafka.connect.http.Key",
		data.NewField("key", &data.Schema{Type: data.TypeString, Optional: true, Doc: "HTTP Record Key"})), "Message Key")
	castormValueSchema = withDoc(data.StructOf("com.github.castorm.kafka.connect.http.Value",
		data.NewField("value", &data.Schema{Type: data.TypeString, Doc: "HTTP Record Value"}),
		data.NewField("key", &data.Schema{Type: data.TypeString, Optional: true, Doc: "HTTP Record Key"}),
		data.NewField("timestamp", &data.Schema{Type: data.TypeInt64, Optional: true, Doc: "HTTP Record Timestamp"})), "Message Value")
)

func withDoc(s *data.Schema, doc string) *data.Schema { s.Doc = doc; return s }

// castormRecords maps each item as castorm's JacksonKvRecordHttpResponseParser and
// SchemedKvSourceRecordMapper do: key and value structs, the offset the record's offset
// properties (with key and timestamp). Records up to and including the one at the
// current offset, when the response holds it, were delivered before and are skipped.
func (e *entity) castormRecords(req request, res *response, items []any) ([]sdk.SourceRecord, error) {
	type kv struct {
		key   *string
		value string
		ts    time.Time
		off   map[string]any
	}
	parsed := make([]kv, 0, len(items))
	for j, it := range items {
		var r kv
		v, _ := e.s.valuePointer.lookup(it)
		if m, isObj := v.(data.Map); isObj {
			r.value = string(appendJSON(nil, m))
		} else {
			r.value = text(v)
		}
		r.off = map[string]any{}
		if len(e.s.keyPointers) > 0 {
			var parts []string
			for _, p := range e.s.keyPointers {
				if kv, ok := p.lookup(it); ok && text(kv) != "" {
					parts = append(parts, text(kv))
				}
			}
			if len(parts) > 0 {
				k := strings.Join(parts, "+")
				r.key = &k
				r.off[castormKey] = k
			}
		}
		if e.s.tsPointer != nil {
			tv, ok := e.s.tsPointer.lookup(it)
			if !ok {
				return nil, fmt.Errorf("%s %s: record %d has no timestamp at %s %q", req.method, maskURL(req.url), j, keyCTsPointer, e.s.tsPointer)
			}
			ts, err := parseTimestamp(tv)
			if err != nil {
				return nil, fmt.Errorf("%s %s: record %d: %s: %v", req.method, maskURL(req.url), j, keyCTsPointer, err)
			}
			r.ts = ts
			r.off[castormTsKV] = ts.UTC().Format(time.RFC3339Nano)
		}
		for _, np := range e.s.offsetPointers {
			ov, _ := np.ptr.lookup(it)
			r.off[np.name] = text(ov)
		}
		parsed = append(parsed, r)
	}
	// Skip what was delivered: up to the record whose offset is the current one.
	start := 0
	if len(e.props) > 0 {
		for j := len(parsed) - 1; j >= 0; j-- {
			if sameProps(parsed[j].off, e.props) {
				start = j + 1
				break
			}
		}
	}
	out := make([]sdk.SourceRecord, 0, len(parsed)-start)
	for _, r := range parsed[start:] {
		key := data.NewStruct(castormKeySchema)
		value := data.NewStruct(castormValueSchema)
		value.Put("value", r.value)
		if r.key != nil {
			key.Put("key", *r.key)
			value.Put("key", *r.key)
		}
		ts := r.ts
		if ts.IsZero() {
			ts = time.Now()
		}
		value.Put("timestamp", ts.UnixMilli())
		out = append(out, sdk.SourceRecord{SourcePartition: e.partition, SourceOffset: sdk.OffsetOf(r.off), Topic: e.topic,
			Key: key, KeySchema: castormKeySchema, Value: value, ValueSchema: castormValueSchema, Timestamp: ts})
		e.props = map[string]string{}
		for k, v := range r.off {
			e.props[k] = text(v)
		}
	}
	return out, nil
}

// sameProps reports whether a record's offset properties are the current offset's (the
// ones the record has; the initial offset may hold others).
func sameProps(off map[string]any, cur map[string]string) bool {
	if len(off) == 0 {
		return false
	}
	for k, v := range off {
		if cv, ok := cur[k]; !ok || cv != text(v) {
			return false
		}
	}
	return true
}

// parseTimestamp reads castorm's timestamps: epoch milliseconds (a number or digits), or
// ISO-8601 / RFC 3339.
func parseTimestamp(v any) (time.Time, error) {
	switch x := v.(type) {
	case int64:
		return time.UnixMilli(x).UTC(), nil
	case float64:
		return time.UnixMilli(int64(x)).UTC(), nil
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return time.UnixMilli(n).UTC(), nil
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UTC(), nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("%s is neither epoch milliseconds nor an ISO-8601 time", text(v))
}
