package protocol

import (
	"bytes"
	"fmt"
	"math"
	"sync"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// maxBatchSlabs caps the slabs a batch's records are allocated in.
const maxBatchSlabs = 4096

// decodeBatch decodes the records of a PollResponse or PutRequest from b, which the
// records may alias. It is what the generated UnmarshalVTUnsafe would produce, with the
// records, their values, schemas and the wrappers of string and bytes values allocated
// in slabs per batch instead of one by one; other kinds of values, and headers, go
// through the generated code. other is called with every top-level field that is not a
// record or a schema of the batch's table.
//
// schemasField (0: none) holds the batch's table of schemas, which records name by
// key_schema_ref and value_schema_ref: those records get the table's schema as their
// key_schema or value_schema, so receivers never see a reference, nor the table.
//
// With lazy set, the records' keys and values are left encoded in lazy.Keys and
// lazy.Values (see LazyPoll).
func decodeBatch(b []byte, recordsField, schemasField protowire.Number, other func(num protowire.Number, typ protowire.Type, b []byte) (int, error), lazy *LazyPoll) ([]*pluginv1.Record, error) {
	n := 0
	var table [][]byte
	for rest := b; len(rest) > 0; {
		num, typ, l := protowire.ConsumeTag(rest)
		if l < 0 {
			return nil, protowire.ParseError(l)
		}
		m := protowire.ConsumeFieldValue(num, typ, rest[l:])
		if m < 0 {
			return nil, protowire.ParseError(m)
		}
		if num == recordsField && typ == protowire.BytesType {
			n++
		}
		if num == schemasField && schemasField != 0 && typ == protowire.BytesType {
			sb, _ := protowire.ConsumeBytes(rest[l:])
			table = append(table, sb)
		}
		rest = rest[l+m:]
	}
	s := newSlabs(n)
	if lazy != nil {
		s.lazy = true
		lazy.Keys, lazy.Values = make([][]byte, 0, n), make([][]byte, 0, n)
	}
	if len(table) > 0 {
		s.table = make([]tableSchema, len(table))
		for i, sb := range table {
			s.table[i].b = sb
		}
	}
	out := make([]*pluginv1.Record, 0, n)
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		b = b[l:]
		if num == schemasField && schemasField != 0 && typ == protowire.BytesType {
			b = b[protowire.ConsumeFieldValue(num, typ, b):] // read in the first pass
			continue
		}
		if num != recordsField || typ != protowire.BytesType {
			// Not a record; a records field of another wire type is an unknown field to
			// protobuf, and skipped as one.
			m, err := other(num, typ, b)
			if err != nil {
				return nil, err
			}
			b = b[m:]
			continue
		}
		rb, m := protowire.ConsumeBytes(b)
		b = b[m:]
		r := &s.records[len(out)]
		if err := s.record(r, rb); err != nil {
			return nil, err
		}
		out = append(out, r)
		if lazy != nil {
			lazy.Keys = append(lazy.Keys, s.raw[0])
			lazy.Values = append(lazy.Values, s.raw[1])
		}
	}
	return out, nil
}

// slabs allocates a batch's messages in a few large slices.
type slabs struct {
	records []pluginv1.Record
	schemas []pluginv1.Schema
	hint    int

	values chunks[pluginv1.Value]
	strs   chunks[pluginv1.Value_StringValue]
	bytes  chunks[pluginv1.Value_BytesValue]

	// The messages of struct values (a change event's envelope holds a few dozen per
	// record), in chunks that grow as the batch needs them.
	ints     chunks[pluginv1.Value_IntValue]
	bools    chunks[pluginv1.Value_BoolValue]
	doubles  chunks[pluginv1.Value_DoubleValue]
	structVs chunks[pluginv1.Value_StructValue]
	structs  chunks[pluginv1.Struct]
	fields   chunks[pluginv1.Field]
	fieldPtr []*pluginv1.Field // backing arrays of Struct.Fields
	scratch  []*pluginv1.Field // the fields of the structs being decoded, innermost last

	schemaChunk int
	// The last key and value schema decoded, by their encoding: records of a batch
	// mostly share their schemas, so equal ones are decoded once and shared.
	lastSchema [2]struct {
		b []byte
		s *pluginv1.Schema
	}
	// The batch's table of schemas (PollResponse.schemas), decoded when first named.
	table []tableSchema

	// lazy leaves keys and values encoded: raw holds the key (0) and value (1) of the
	// record being decoded, nil when it has none or they were decoded (see lazyValue).
	lazy bool
	raw  [2][]byte
}

// LazyPoll is a PollResponse decoded but for its records' keys and values, which stay
// encoded: Keys[i] and Values[i] are the Value messages of Records[i], whose Key and
// Value are nil (a record that repeats the field, which protobuf merges, has it decoded
// instead, and a nil encoding). A receiver that only serializes them (the kernel's
// converters, with no transform to run) can read the encodings directly, and
// DecodeValue gives the decoded Value when one is needed. The encodings alias the
// received batch: read them only.
type LazyPoll struct {
	Records      []*pluginv1.Record
	Keys, Values [][]byte
}

// DecodeValue decodes an encoded key or value of a LazyPoll; nil bytes decode to nil, a
// record without one.
func DecodeValue(b []byte) (*pluginv1.Value, error) {
	if b == nil {
		return nil, nil
	}
	return newSlabs(1).decodeValue(nil, b)
}

// lazyValue keeps the first encoding of a record's key or value (which 0 or 1) in
// s.raw; a repeated field is decoded and merged into the first, as protobuf merges it.
func (s *slabs) lazyValue(which int, dst **pluginv1.Value, b []byte) error {
	if *dst == nil && s.raw[which] == nil {
		s.raw[which] = b[:len(b):len(b)]
		return nil
	}
	var err error
	if s.raw[which] != nil {
		if *dst, err = s.decodeValue(nil, s.raw[which]); err != nil {
			return err
		}
		s.raw[which] = nil
	}
	*dst, err = s.decodeValue(*dst, b)
	return err
}

// tableSchema is one schema of a batch's table: its encoding, and what it decoded to as
// a key (0) and as a value (1) schema.
type tableSchema struct {
	b []byte
	s [2]*pluginv1.Schema
}

// ref returns the schema of the table the 1-based ref names, as a key (which 0) or
// value (1) schema.
func (s *slabs) ref(which int, ref uint64) (*pluginv1.Schema, error) {
	if ref == 0 || ref > uint64(len(s.table)) {
		return nil, fmt.Errorf("a record names schema %d of a batch of %d schemas", ref, len(s.table))
	}
	t := &s.table[ref-1]
	if t.s[which] == nil {
		sch, err := schemas[which].get(t.b)
		if err != nil {
			return nil, err
		}
		t.s[which] = sch
	}
	return t.s[which], nil
}

func newSlabs(n int) *slabs {
	return &slabs{records: make([]pluginv1.Record, n), hint: min(max(n, 1), maxBatchSlabs)}
}

// chunks hands out Ts from slices that start at the size first asked for (from the
// batch's record count) and double, up to maxBatchSlabs.
type chunks[T any] struct {
	free []T
	size int
}

func (c *chunks[T]) get(hint int) *T {
	if len(c.free) == 0 {
		c.size = min(max(2*c.size, hint), maxBatchSlabs)
		c.free = make([]T, c.size)
	}
	x := &c.free[0]
	c.free = c.free[1:]
	return x
}

func (s *slabs) value() *pluginv1.Value { return s.values.get(2 * s.hint) } // a key and a value per record

func (s *slabs) schema() *pluginv1.Schema {
	if len(s.schemas) == 0 {
		// Mostly shared (decodeSchema): start small, grow while records bring new ones.
		s.schemaChunk = min(max(2*s.schemaChunk, 4), s.hint)
		s.schemas = make([]pluginv1.Schema, s.schemaChunk)
	}
	v := &s.schemas[0]
	s.schemas = s.schemas[1:]
	return v
}

func (s *slabs) str(v string) *pluginv1.Value_StringValue {
	w := s.strs.get(s.hint)
	w.StringValue = v
	return w
}

func (s *slabs) bytesValue(v []byte) *pluginv1.Value_BytesValue {
	w := s.bytes.get(s.hint)
	w.BytesValue = v
	return w
}

// fieldSlice returns a Struct.Fields of length n, capped at n so that appending to it
// copies instead of overwriting the next struct's fields.
func (s *slabs) fieldSlice(n int) []*pluginv1.Field {
	if n == 0 {
		return nil
	}
	if len(s.fieldPtr) < n {
		s.fieldPtr = make([]*pluginv1.Field, max(n, min(16*s.hint, maxBatchSlabs)))
	}
	f := s.fieldPtr[:n:n]
	s.fieldPtr = s.fieldPtr[n:]
	return f
}

func (s *slabs) record(r *pluginv1.Record, b []byte) error {
	var refs [2]uint64 // key_schema_ref, value_schema_ref
	s.raw = [2][]byte{}
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		var m int
		switch {
		case typ == protowire.BytesType && num != RecPartition && num != RecTimestamp && num != RecKafkaOff:
			var v []byte
			v, m = protowire.ConsumeBytes(b)
			if m < 0 {
				return protowire.ParseError(m)
			}
			var err error
			switch num {
			case RecTopic:
				r.Topic = unsafeString(v)
			case RecKey:
				if s.lazy {
					err = s.lazyValue(0, &r.Key, v)
				} else {
					r.Key, err = s.decodeValue(r.Key, v)
				}
			case RecValue:
				if s.lazy {
					err = s.lazyValue(1, &r.Value, v)
				} else {
					r.Value, err = s.decodeValue(r.Value, v)
				}
			case RecKeySchema:
				r.KeySchema, err = s.decodeSchema(0, r.KeySchema, v)
			case RecValSchema:
				r.ValueSchema, err = s.decodeSchema(1, r.ValueSchema, v)
			case RecHeaders:
				h := &pluginv1.Header{}
				if err = h.UnmarshalVTUnsafe(v); err == nil {
					capValue(h.Value)
					capSchema(h.Schema)
					r.Headers = append(r.Headers, h)
				}
			case RecSrcPart:
				r.SourcePartition = capped(v)
			case RecSrcOffset:
				r.SourceOffset = capped(v)
			}
			if err != nil {
				return err
			}
		case typ == protowire.VarintType && (num == RecPartition || num == RecTimestamp || num == RecKafkaOff || num == RecKeyRef || num == RecValRef):
			var v uint64
			v, m = protowire.ConsumeVarint(b)
			switch num {
			case RecPartition:
				r.Partition = int32(v)
			case RecTimestamp:
				r.TimestampMs = int64(v)
			case RecKafkaOff:
				r.KafkaOffset = int64(v)
			case RecKeyRef:
				refs[0] = uint64(uint32(v))
			case RecValRef:
				refs[1] = uint64(uint32(v))
			}
		default:
			m = protowire.ConsumeFieldValue(num, typ, b)
		}
		if m < 0 {
			return protowire.ParseError(m)
		}
		b = b[m:]
	}
	for which, ref := range refs {
		if ref == 0 {
			continue
		}
		dst := &r.KeySchema
		if which == 1 {
			dst = &r.ValueSchema
		}
		if *dst != nil {
			return fmt.Errorf("a record has both an inline %s schema and a reference to one", [2]string{"key", "value"}[which])
		}
		var err error
		if *dst, err = s.ref(which, ref); err != nil {
			return err
		}
	}
	return nil
}

// decodeValue decodes a Value, merging into prev as protobuf does for a repeated
// singular message field (rare: then the generated code decides).
func (s *slabs) decodeValue(prev *pluginv1.Value, b []byte) (*pluginv1.Value, error) {
	if prev == nil {
		if v, ok := s.plainValue(b, 0); ok {
			return v, nil
		}
		prev = s.value()
	}
	if err := prev.UnmarshalVTUnsafe(b); err != nil {
		return nil, err
	}
	capValue(prev)
	return prev, nil
}

// maxPlainDepth bounds the struct nesting plainValue follows; deeper values go through
// the generated code.
const maxPlainDepth = 32

// plainValue decodes a Value as the SDK writes it: at most one kind field, a scalar or a
// struct of such values, each field's name and value once, no unknown fields. It is
// what the generated UnmarshalVTUnsafe followed by capValue makes of such bytes, with
// the messages taken from the slabs. Anything else (lists, maps, repeated or unknown
// fields, malformed bytes) is not ok, for the generated code to decode or refuse.
func (s *slabs) plainValue(b []byte, depth int) (*pluginv1.Value, bool) {
	if len(b) == 0 {
		return s.value(), true
	}
	num, typ, l := protowire.ConsumeTag(b)
	if l < 0 {
		return nil, false
	}
	b = b[l:]
	val := s.value()
	m := -1
	switch {
	case typ == protowire.BytesType && (num == ValString || num == ValBytes || num == ValStruct):
		var v []byte
		if v, m = protowire.ConsumeBytes(b); m < 0 {
			return nil, false
		}
		switch num {
		case ValString:
			val.Kind = s.str(unsafeString(v))
		case ValBytes:
			val.Kind = s.bytesValue(capped(v))
		default:
			st, ok := s.plainStruct(v, depth+1)
			if !ok {
				return nil, false
			}
			w := s.structVs.get(s.hint)
			w.StructValue = st
			val.Kind = w
		}
	case typ == protowire.VarintType && (num == ValInt || num == ValBool):
		var v uint64
		if v, m = protowire.ConsumeVarint(b); m < 0 {
			return nil, false
		}
		if num == ValInt {
			w := s.ints.get(s.hint)
			w.IntValue = int64(v)
			val.Kind = w
		} else {
			w := s.bools.get(s.hint)
			w.BoolValue = v != 0
			val.Kind = w
		}
	case typ == protowire.Fixed64Type && num == ValDouble:
		var v uint64
		if v, m = protowire.ConsumeFixed64(b); m < 0 {
			return nil, false
		}
		w := s.doubles.get(s.hint)
		w.DoubleValue = math.Float64frombits(v)
		val.Kind = w
	}
	if m < 0 || m != len(b) {
		return nil, false
	}
	return val, true
}

// plainStruct decodes a Struct for plainValue.
func (s *slabs) plainStruct(b []byte, depth int) (*pluginv1.Struct, bool) {
	if depth > maxPlainDepth {
		return nil, false
	}
	start := len(s.scratch)
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 || num != StructFields || typ != protowire.BytesType {
			return nil, false
		}
		fb, m := protowire.ConsumeBytes(b[l:])
		if m < 0 {
			return nil, false
		}
		b = b[l+m:]
		f := s.fields.get(s.hint)
		var named, valued bool
		for len(fb) > 0 {
			num, typ, l := protowire.ConsumeTag(fb)
			if l < 0 || typ != protowire.BytesType {
				return nil, false
			}
			v, m := protowire.ConsumeBytes(fb[l:])
			if m < 0 {
				return nil, false
			}
			fb = fb[l+m:]
			switch {
			case num == FieldName && !named:
				f.Name, named = unsafeString(v), true
			case num == FieldValue && !valued:
				var ok bool
				if f.Value, ok = s.plainValue(v, depth); !ok {
					return nil, false
				}
				valued = true
			default:
				return nil, false
			}
		}
		s.scratch = append(s.scratch, f)
	}
	fields := s.fieldSlice(len(s.scratch) - start)
	copy(fields, s.scratch[start:])
	clear(s.scratch[start:])
	s.scratch = s.scratch[:start]
	st := s.structs.get(s.hint)
	st.Fields = fields
	return st, true
}

// decodeSchema decodes a key (which 0) or value (1) schema. A schema encoded exactly as
// the previous record's is the same *Schema, and so is one encoded as a schema of an
// earlier batch (schemaCache): receivers treat records as read-only. Key and value
// schemas are never the same *Schema.
func (s *slabs) decodeSchema(which int, prev *pluginv1.Schema, b []byte) (*pluginv1.Schema, error) {
	last := &s.lastSchema[which]
	if prev == nil && last.s != nil && bytes.Equal(last.b, b) {
		return last.s, nil
	}
	if prev == nil {
		sch, err := schemas[which].get(b)
		if err != nil {
			return nil, err
		}
		last.b, last.s = b, sch
		return sch, nil
	}
	// The field repeats within one record, so protobuf merges the two. prev may be the
	// previous record's schema, shared: merge into a copy, not into that record.
	c := s.schema()
	proto.Merge(c, prev)
	if err := c.UnmarshalVTUnsafe(b); err != nil {
		return nil, err
	}
	capSchema(c)
	return c, nil
}

// maxCachedSchemas bounds schemaCache; past it, the cache starts over.
const maxCachedSchemas = 256

// schemas holds the key (0) and value (1) schemas batches carried, by encoding, decoded
// from a copy of their bytes (not the batch's): a source sends the same few schemas in
// every batch.
var schemas = [2]*schemaCache{{m: map[string]*pluginv1.Schema{}}, {m: map[string]*pluginv1.Schema{}}}

type schemaCache struct {
	mu sync.Mutex
	m  map[string]*pluginv1.Schema
}

// get returns the schema b encodes.
func (c *schemaCache) get(b []byte) (*pluginv1.Schema, error) {
	c.mu.Lock()
	sch, ok := c.m[string(b)]
	c.mu.Unlock()
	if ok {
		return sch, nil
	}
	own := bytes.Clone(b)
	sch = &pluginv1.Schema{}
	if err := sch.UnmarshalVTUnsafe(own); err != nil {
		return nil, err
	}
	capSchema(sch)
	c.mu.Lock()
	if len(c.m) >= maxCachedSchemas {
		clear(c.m)
	}
	c.m[string(own)] = sch
	c.mu.Unlock()
	return sch, nil
}

// unsafeString is b as a string without a copy: b must never change afterwards.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
