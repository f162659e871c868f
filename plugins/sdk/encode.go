package sdk

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"time"
	"unsafe"
	"weak"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tributary-dev/tributary/plugins/protocol"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// ValidateRecords reports the first record of recs the SDK could not send: a value that
// does not fit its schema, a missing source partition or offset, a Go type that is no
// record value. The SDK runs the same checks on every batch a task polls (and fails the
// task on such a record); tests of a connector can call it on what Poll returned.
func ValidateRecords(recs []SourceRecord) error {
	var e encoder
	_, err := e.encodePoll(recs)
	return err
}

// encoder writes PollResponse bytes for one task. Its partition cache holds only within
// one batch, since a task may reuse and change its maps between polls; schemas must not
// change once a record used them (data.Schema), so their encodings are kept across
// batches.
type encoder struct {
	last  int    // the size of the last batch, to size the next one's buffer
	cache []byte // the cached partition encodings below

	// The encodings of the source partitions seen in this batch, by pointer: the records
	// of a batch mostly share them.
	partitions [2]cached
	next       int

	// The encodings of the schemas seen last, by pointer: a task's records mostly share
	// a few schemas. Weak pointers: an entry keeps no schema alive, and an address reused
	// by another schema is no match.
	schemas    [8]encodedSchema
	nextSchema int
	batch      uint64 // counts encodePoll calls, for encodedSchema.seen
	// table is the batch's PollResponse.schemas, which its records name by
	// key_schema_ref and value_schema_ref: each schema goes over the wire once a batch
	// instead of once a record (a change event's schema is most of its size).
	table [][]byte

	at path // where the value being encoded sits, for errors
}

type cached struct {
	ptr        unsafe.Pointer
	start, end int // the encoding is cache[start:end]
}

type encodedSchema struct {
	addr uintptr // s's address, to pass over other entries without resolving s
	s    weak.Pointer[data.Schema]
	enc  []byte // the Schema message
	// seen is the batch in which s was last found at addr: for the rest of that batch
	// the address is s's (the batch's records hold it), no need to resolve s again.
	seen uint64
	// ref is s's 1-based index in the table of batch refBatch.
	ref, refBatch uint64
}

// encodePoll returns the PollResponse holding recs, in a new buffer: gRPC may still be
// writing a batch when the next poll begins (after a cancelled call), so one is never
// reused.
func (e *encoder) encodePoll(recs []SourceRecord) ([]byte, error) {
	size := e.last + e.last/8
	if size == 0 {
		size = 128 * len(recs) // a first guess; later batches start at the last one's size
	}
	b := make([]byte, 0, size)
	e.cache = e.cache[:0]
	e.partitions = [2]cached{}
	e.batch++
	clear(e.table)
	e.table = e.table[:0]
	for i := range recs {
		var err error
		if b, err = e.record(b, &recs[i]); err != nil {
			return nil, fmt.Errorf("record %d of the batch (topic %q): %w", i, recs[i].Topic, err)
		}
	}
	for _, enc := range e.table {
		b = protowire.AppendTag(b, protocol.PollSchemas, protowire.BytesType)
		b = protowire.AppendBytes(b, enc)
	}
	e.last = min(len(b), 16<<20)
	return b, nil
}

func (e *encoder) record(b []byte, r *SourceRecord) ([]byte, error) {
	b, m := beginMessage(b, protocol.PollRecords)
	if r.Topic != "" {
		b = protowire.AppendTag(b, protocol.RecTopic, protowire.BytesType)
		b = protowire.AppendString(b, r.Topic)
	}
	p := int32(-1)
	if r.KafkaPartition != nil {
		p = *r.KafkaPartition
	}
	if p != 0 {
		b = protowire.AppendTag(b, protocol.RecPartition, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int64(p)))
	}
	var err error
	if r.Key != nil {
		if b, err = appendValueField(b, protocol.RecKey, r.KeySchema, r.Key, e.at.root("key", pathField)); err != nil {
			return nil, err
		}
	} else if !r.KeySchema.IsOptional() {
		return nil, fmt.Errorf("key: a value is required (the schema is not optional)")
	}
	if r.KeySchema != nil {
		b = e.schema(b, protocol.RecKeyRef, r.KeySchema)
	}
	if r.Value != nil {
		if b, err = appendValueField(b, protocol.RecValue, r.ValueSchema, r.Value, e.at.root("value", pathField)); err != nil {
			return nil, err
		}
	} else if !r.ValueSchema.IsOptional() {
		return nil, fmt.Errorf("value: a value is required (the schema is not optional)")
	}
	if r.ValueSchema != nil {
		b = e.schema(b, protocol.RecValRef, r.ValueSchema)
	}
	for i := range r.Headers {
		h := &r.Headers[i]
		var hm int
		b, hm = beginMessage(b, protocol.RecHeaders)
		b = protowire.AppendTag(b, protocol.FieldName, protowire.BytesType)
		b = protowire.AppendString(b, h.Key)
		if h.Value != nil {
			if b, err = appendValueField(b, protocol.FieldValue, h.Schema, h.Value, e.at.root(h.Key, pathHeader)); err != nil {
				return nil, err
			}
		}
		if h.Schema != nil {
			b = appendSchemaField(b, protocol.HeaderSchema, h.Schema)
		}
		b = endMessage(b, hm)
	}
	if !r.Timestamp.IsZero() {
		b = protowire.AppendTag(b, protocol.RecTimestamp, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(r.Timestamp.UnixMilli()))
	}
	if r.SourcePartition == nil || r.SourceOffset.IsZero() {
		return nil, fmt.Errorf("every source record needs a SourcePartition and a SourceOffset")
	}
	if b, err = e.partition(b, r.SourcePartition); err != nil {
		return nil, fmt.Errorf("source partition: %w", err)
	}
	b = protowire.AppendTag(b, protocol.RecSrcOffset, protowire.BytesType)
	var om int
	b, om = beginBytes(b)
	if b, err = r.SourceOffset.appendJSON(b); err != nil {
		return nil, fmt.Errorf("source offset: %w", err)
	}
	b = endMessage(b, om)
	return endMessage(b, m), nil
}

// schema appends field num (key_schema_ref or value_schema_ref) naming s in the batch's
// table of schemas, adding s to the table when it is not there yet.
func (e *encoder) schema(b []byte, num protowire.Number, s *data.Schema) []byte {
	c := e.encoded(s)
	if c.refBatch != e.batch {
		e.table = append(e.table, c.enc)
		c.ref, c.refBatch = uint64(len(e.table)), e.batch
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, c.ref)
}

// encoded returns the cache entry of s, encoding s if it has none.
func (e *encoder) encoded(s *data.Schema) *encodedSchema {
	addr := uintptr(unsafe.Pointer(s))
	for i := range e.schemas {
		if c := &e.schemas[i]; c.addr == addr && (c.seen == e.batch || c.s.Value() == s) {
			c.seen = e.batch
			return c
		}
	}
	c := &e.schemas[e.nextSchema]
	e.nextSchema = (e.nextSchema + 1) % len(e.schemas)
	*c = encodedSchema{addr: addr, s: weak.Make(s), enc: appendSchema(nil, s), seen: e.batch}
	return c
}

func (e *encoder) partition(b []byte, p Partition) ([]byte, error) {
	ptr := reflect.ValueOf(p).UnsafePointer()
	for _, c := range e.partitions {
		if c.ptr == ptr {
			return append(b, e.cache[c.start:c.end]...), nil
		}
	}
	start := len(b)
	b = protowire.AppendTag(b, protocol.RecSrcPart, protowire.BytesType)
	b, m := beginBytes(b)
	b, err := appendSourceMap(b, p)
	if err != nil {
		return nil, err
	}
	b = endMessage(b, m)
	e.partitions[e.next] = e.keep(ptr, b[start:])
	e.next = (e.next + 1) % len(e.partitions)
	return b, nil
}

// keep copies an encoding into the cache. (The batch buffer itself will not do: a
// record's bytes move when its length prefix grows.)
func (e *encoder) keep(ptr unsafe.Pointer, enc []byte) cached {
	start := len(e.cache)
	e.cache = append(e.cache, enc...)
	return cached{ptr, start, len(e.cache)}
}

// beginMessage appends the tag of a length-delimited field num and room for a short
// length; endMessage writes the length once the content is appended.
func beginMessage(b []byte, num protowire.Number) ([]byte, int) {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return beginBytes(b)
}

func beginBytes(b []byte) ([]byte, int) {
	b = append(b, 0)
	return b, len(b)
}

func endMessage(b []byte, start int) []byte {
	n := len(b) - start
	if n < 0x80 {
		b[start-1] = byte(n)
		return b
	}
	extra := protowire.SizeVarint(uint64(n)) - 1
	b = append(b, make([]byte, extra)...)
	copy(b[start+extra:], b[start:start+n])
	protowire.AppendVarint(b[:start-1], uint64(n))
	return b
}

func appendValueField(b []byte, num protowire.Number, s *data.Schema, v any, at *path) ([]byte, error) {
	b, m := beginMessage(b, num)
	b, err := appendValue(b, s, v, at)
	if err != nil {
		return nil, err
	}
	return endMessage(b, m), nil
}

// appendValue appends the fields of a Value message holding v, converted as schema s
// says (nil: by v's Go type).
func appendValue(b []byte, s *data.Schema, v any, at *path) ([]byte, error) {
	if v == nil {
		if s.IsOptional() || s.Default != nil {
			return b, nil
		}
		return nil, fmt.Errorf("%s: a value is required (the schema is not optional)", at)
	}
	if s == nil {
		return appendUntyped(b, v, at)
	}
	switch s.Name {
	case data.DecimalName:
		d, ok := v.(data.Decimal)
		if !ok {
			return nil, mismatch(at, "data.Decimal", v)
		}
		scale, err := data.SchemaScale(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		if d, err = d.Rescale(scale); err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		b = protowire.AppendTag(b, protocol.ValBytes, protowire.BytesType)
		b, m := beginBytes(b)
		b = data.AppendTwosComplement(b, d.Unscaled)
		return endMessage(b, m), nil
	case data.DateName, data.TimeName, data.TimestampName:
		if t, ok := v.(time.Time); ok {
			var n int64
			switch s.Name {
			case data.DateName:
				n = int64(data.DateDays(t))
			case data.TimeName:
				n = int64(data.TimeMillis(t))
			default:
				n = t.UnixMilli()
			}
			return appendInt(b, n), nil
		}
	}
	switch s.Type {
	case data.TypeInt8, data.TypeInt16, data.TypeInt32, data.TypeInt64:
		n, ok := data.AsInt64(v)
		if !ok {
			return nil, mismatch(at, s.Type.String(), v)
		}
		if !fits(s.Type, n) {
			return nil, fmt.Errorf("%s: %d is out of range for %s", at, n, s.Type)
		}
		return appendInt(b, n), nil
	case data.TypeFloat32, data.TypeFloat64:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		default:
			return nil, mismatch(at, s.Type.String(), v)
		}
		b = protowire.AppendTag(b, protocol.ValDouble, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(f)), nil
	case data.TypeBoolean:
		x, ok := v.(bool)
		if !ok {
			return nil, mismatch(at, "BOOLEAN", v)
		}
		return appendBool(b, x), nil
	case data.TypeString:
		x, ok := v.(string)
		if !ok {
			return nil, mismatch(at, "STRING", v)
		}
		b = protowire.AppendTag(b, protocol.ValString, protowire.BytesType)
		return protowire.AppendString(b, x), nil
	case data.TypeBytes:
		x, ok := v.([]byte)
		if !ok {
			return nil, mismatch(at, "BYTES", v)
		}
		b = protowire.AppendTag(b, protocol.ValBytes, protowire.BytesType)
		return protowire.AppendBytes(b, x), nil
	case data.TypeArray:
		items, ok := v.([]any)
		if !ok {
			return nil, mismatch(at, "ARRAY ([]any)", v)
		}
		return appendList(b, s.Value, items, at)
	case data.TypeMap:
		switch m := v.(type) {
		case map[string]any:
			return appendStringMap(b, s.Key, s.Value, m, at)
		case data.Map:
			return appendMap(b, s.Key, s.Value, m, at)
		}
		return nil, mismatch(at, "MAP (map[string]any or data.Map)", v)
	case data.TypeStruct:
		st, ok := v.(*data.Struct)
		if !ok {
			return nil, mismatch(at, "STRUCT (*data.Struct)", v)
		}
		if st.Schema() != s && (st.Schema().Name != s.Name || len(st.Schema().Fields) != len(s.Fields)) {
			return nil, fmt.Errorf("%s: struct of schema %q where the schema is %q", at, st.Schema().Name, s.Name)
		}
		return appendStruct(b, st, at)
	}
	return nil, fmt.Errorf("%s: schema has no valid type (%v)", at, s.Type)
}

func fits(t data.Type, n int64) bool {
	switch t {
	case data.TypeInt8:
		return n >= math.MinInt8 && n <= math.MaxInt8
	case data.TypeInt16:
		return n >= math.MinInt16 && n <= math.MaxInt16
	case data.TypeInt32:
		return n >= math.MinInt32 && n <= math.MaxInt32
	}
	return true
}

// appendUntyped appends a schemaless value by its Go type.
func appendUntyped(b []byte, v any, at *path) ([]byte, error) {
	switch x := v.(type) {
	case string:
		b = protowire.AppendTag(b, protocol.ValString, protowire.BytesType)
		return protowire.AppendString(b, x), nil
	case []byte:
		b = protowire.AppendTag(b, protocol.ValBytes, protowire.BytesType)
		return protowire.AppendBytes(b, x), nil
	case bool:
		return appendBool(b, x), nil
	case float64:
		b = protowire.AppendTag(b, protocol.ValDouble, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(x)), nil
	case float32:
		b = protowire.AppendTag(b, protocol.ValDouble, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(float64(x))), nil
	case []any:
		return appendList(b, nil, x, at)
	case map[string]any:
		return appendStringMap(b, nil, nil, x, at)
	case data.Map:
		return appendMap(b, nil, nil, x, at)
	case *data.Struct:
		return appendStruct(b, x, at)
	case time.Time:
		return appendInt(b, x.UnixMilli()), nil
	case data.Decimal:
		b = protowire.AppendTag(b, protocol.ValBytes, protowire.BytesType)
		b, m := beginBytes(b)
		b = data.AppendTwosComplement(b, x.Unscaled)
		return endMessage(b, m), nil
	}
	if n, ok := data.AsInt64(v); ok {
		return appendInt(b, n), nil
	}
	return nil, fmt.Errorf("%s: a %T cannot be a record value (see package data for the Go types of values)", at, v)
}

func appendInt(b []byte, n int64) []byte {
	b = protowire.AppendTag(b, protocol.ValInt, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(n))
}

func appendBool(b []byte, x bool) []byte {
	b = protowire.AppendTag(b, protocol.ValBool, protowire.VarintType)
	return protowire.AppendVarint(b, protowire.EncodeBool(x))
}

func appendList(b []byte, elem *data.Schema, items []any, at *path) ([]byte, error) {
	b, m := beginMessage(b, protocol.ValList)
	for i, item := range items {
		var err error
		at.push(pathSeg{index: i, kind: pathIndex})
		if b, err = appendValueField(b, protocol.ListValues, elem, item, at); err != nil {
			return nil, err
		}
		at.pop()
	}
	return endMessage(b, m), nil
}

func appendStringMap(b []byte, ks, vs *data.Schema, m map[string]any, at *path) ([]byte, error) {
	if ks != nil && ks.Type != data.TypeString {
		return nil, fmt.Errorf("%s: a map[string]any needs a STRING key schema; use data.Map", at)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b, mm := beginMessage(b, protocol.ValMap)
	for _, k := range keys {
		var em int
		b, em = beginMessage(b, protocol.ListValues)
		var err error
		at.push(pathSeg{name: "key"})
		if b, err = appendValueField(b, protocol.FieldName, ks, k, at); err != nil {
			return nil, err
		}
		at.pop()
		at.push(pathSeg{name: k})
		if b, err = appendValueField(b, protocol.FieldValue, vs, m[k], at); err != nil {
			return nil, err
		}
		at.pop()
		b = endMessage(b, em)
	}
	return endMessage(b, mm), nil
}

func appendMap(b []byte, ks, vs *data.Schema, m data.Map, at *path) ([]byte, error) {
	b, mm := beginMessage(b, protocol.ValMap)
	for i, e := range m {
		var em int
		b, em = beginMessage(b, protocol.ListValues)
		var err error
		at.push(pathSeg{index: i, kind: pathIndex})
		at.push(pathSeg{name: "key"})
		if b, err = appendValueField(b, protocol.FieldName, ks, e.Key, at); err != nil {
			return nil, err
		}
		at.pop()
		if b, err = appendValueField(b, protocol.FieldValue, vs, e.Value, at); err != nil {
			return nil, err
		}
		at.pop()
		b = endMessage(b, em)
	}
	return endMessage(b, mm), nil
}

func appendStruct(b []byte, st *data.Struct, at *path) ([]byte, error) {
	b, sm := beginMessage(b, protocol.ValStruct)
	for i, f := range st.Schema().Fields {
		var fm int
		b, fm = beginMessage(b, protocol.StructFields)
		b = protowire.AppendTag(b, protocol.FieldName, protowire.BytesType)
		b = protowire.AppendString(b, f.Name)
		if v := st.At(i); v != nil {
			var err error
			at.push(pathSeg{name: f.Name})
			if b, err = appendValueField(b, protocol.FieldValue, f.Schema, v, at); err != nil {
				return nil, err
			}
			at.pop()
		} else if !f.Schema.IsOptional() {
			return nil, fmt.Errorf("%s.%s: a value is required (the field is not optional)", at, f.Name)
		}
		b = endMessage(b, fm)
	}
	return endMessage(b, sm), nil
}

func appendSchemaField(b []byte, num protowire.Number, s *data.Schema) []byte {
	b, m := beginMessage(b, num)
	b = appendSchema(b, s)
	return endMessage(b, m)
}

// appendSchema appends the fields of a Schema message. data.Type's values are the
// protocol's Schema.Type numbers.
func appendSchema(b []byte, s *data.Schema) []byte {
	b = protowire.AppendTag(b, protocol.SchType, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(s.Type))
	if s.Optional {
		b = protowire.AppendTag(b, protocol.SchOptional, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
	}
	if s.Name != "" {
		b = protowire.AppendTag(b, protocol.SchName, protowire.BytesType)
		b = protowire.AppendString(b, s.Name)
	}
	if s.Version != 0 {
		b = protowire.AppendTag(b, protocol.SchVersion, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int64(s.Version)))
	}
	if s.Doc != "" {
		b = protowire.AppendTag(b, protocol.SchDoc, protowire.BytesType)
		b = protowire.AppendString(b, s.Doc)
	}
	if len(s.Parameters) > 0 {
		keys := make([]string, 0, len(s.Parameters))
		for k := range s.Parameters {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			var m int
			b, m = beginMessage(b, protocol.SchParams)
			b = protowire.AppendTag(b, 1, protowire.BytesType)
			b = protowire.AppendString(b, k)
			b = protowire.AppendTag(b, 2, protowire.BytesType)
			b = protowire.AppendString(b, s.Parameters[k])
			b = endMessage(b, m)
		}
	}
	if s.Default != nil {
		// A default that does not fit its schema is dropped rather than failing every
		// record; Validate of the schema's users reports it.
		if d, err := appendValueField(b, protocol.SchDefault, withoutDefault(s), s.Default, new(path).root("default", pathField)); err == nil {
			b = d
		}
	}
	for _, f := range s.Fields {
		var m int
		b, m = beginMessage(b, protocol.SchFields)
		b = protowire.AppendTag(b, protocol.FieldName, protowire.BytesType)
		b = protowire.AppendString(b, f.Name)
		if f.Schema != nil {
			b = appendSchemaField(b, 2, f.Schema)
		}
		b = endMessage(b, m)
	}
	if s.Key != nil {
		b = appendSchemaField(b, protocol.SchKey, s.Key)
	}
	if s.Value != nil {
		b = appendSchemaField(b, protocol.SchValue, s.Value)
	}
	return b
}

func withoutDefault(s *data.Schema) *data.Schema {
	c := *s
	c.Default = nil
	return &c
}

func mismatch(at *path, want string, v any) error {
	return fmt.Errorf("%s: expected %s, got %T", at, want, v)
}

// appendSourceMap appends m as the JSON object json.Marshal writes (keys sorted, HTML
// characters escaped), the form source partitions and offsets are stored in: equal maps
// give equal bytes, also across SDK versions.
func appendSourceMap(b []byte, m map[string]any) ([]byte, error) {
	b = append(b, '{')
	var stack [16]string // a source map's keys mostly fit: no allocation to sort them
	keys := stack[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMarshaled(b, k)
		b = append(b, ':')
		switch v := m[k].(type) {
		case string:
			b = appendMarshaled(b, v)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		case int32:
			b = strconv.AppendInt(b, int64(v), 10)
		case uint64:
			b = strconv.AppendUint(b, v, 10)
		case bool:
			b = strconv.AppendBool(b, v)
		case nil:
			b = append(b, "null"...)
		case json.Number:
			b = append(b, v...)
		case Offset:
			if b, err = v.appendJSON(b); err != nil {
				return nil, err
			}
		default:
			j, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("key %q: %w", k, err)
			}
			b = append(b, j...)
		}
	}
	return append(b, '}'), nil
}

// appendMarshaled appends s as json.Marshal quotes it.
func appendMarshaled(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x80 {
			j, _ := json.Marshal(s)
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// path is where in a record the value being encoded sits ("value.after.name",
// "header h", "value.tags[2]"), spelled out only in an error: the encoder pushes and
// pops segments on one stack instead of building every field's name.
type path struct{ segs []pathSeg }

type pathSeg struct {
	name  string
	index int
	kind  pathKind
}

type pathKind uint8

const (
	pathField  pathKind = iota // .name, or name at the top
	pathIndex                  // [index]
	pathHeader                 // "header name", at the top
)

// root empties the path to the one segment name.
func (p *path) root(name string, kind pathKind) *path {
	p.segs = append(p.segs[:0], pathSeg{name: name, kind: kind})
	return p
}

func (p *path) push(s pathSeg) { p.segs = append(p.segs, s) }

func (p *path) pop() { p.segs = p.segs[:len(p.segs)-1] }

// String returns the path as errors name it.
func (p *path) String() string {
	var b []byte
	for i, s := range p.segs {
		switch s.kind {
		case pathIndex:
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(s.index), 10)
			b = append(b, ']')
			continue
		case pathHeader:
			b = append(b, "header "...)
		default:
			if i > 0 {
				b = append(b, '.')
			}
		}
		b = append(b, s.name...)
	}
	return string(b)
}
