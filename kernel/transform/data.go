package transform

import (
	"fmt"
	"maps"
	"sync"

	"github.com/tributary-dev/tributary/kernel/convert"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// This file holds the Connect data helpers every transform shares: null tests, the two
// sides of a record, schemaless objects (Kafka Connect's Map<String,Object>), struct field
// access by schema, schema copies, and the small schema cache.

type (
	value  = pluginv1.Value
	schema = pluginv1.Schema

	valueBool   = pluginv1.Value_BoolValue
	valueInt    = pluginv1.Value_IntValue
	valueDouble = pluginv1.Value_DoubleValue
	valueString = pluginv1.Value_StringValue
	valueBytes  = pluginv1.Value_BytesValue
	valueStruct = pluginv1.Value_StructValue
	valueList   = pluginv1.Value_ListValue
	valueMap    = pluginv1.Value_MapValue
)

const (
	sInt8    = pluginv1.Schema_TYPE_INT8
	sInt16   = pluginv1.Schema_TYPE_INT16
	sInt32   = pluginv1.Schema_TYPE_INT32
	sInt64   = pluginv1.Schema_TYPE_INT64
	sFloat32 = pluginv1.Schema_TYPE_FLOAT32
	sFloat64 = pluginv1.Schema_TYPE_FLOAT64
	sBoolean = pluginv1.Schema_TYPE_BOOLEAN
	sString  = pluginv1.Schema_TYPE_STRING
	sBytes   = pluginv1.Schema_TYPE_BYTES
	sArray   = pluginv1.Schema_TYPE_ARRAY
	sMap     = pluginv1.Schema_TYPE_MAP
	sStruct  = pluginv1.Schema_TYPE_STRUCT
)

const msPerDay = 24 * 60 * 60 * 1000

func isNull(v *value) bool { return v == nil || v.Kind == nil }

func stringValue(s string) *value {
	return &value{Kind: &pluginv1.Value_StringValue{StringValue: s}}
}
func intValue(i int64) *value { return &value{Kind: &pluginv1.Value_IntValue{IntValue: i}} }
func doubleValue(f float64) *value {
	return &value{Kind: &pluginv1.Value_DoubleValue{DoubleValue: f}}
}
func boolValue(b bool) *value { return &value{Kind: &pluginv1.Value_BoolValue{BoolValue: b}} }
func bytesValue(b []byte) *value {
	return &value{Kind: &pluginv1.Value_BytesValue{BytesValue: b}}
}
func structValue(fields []*pluginv1.Field) *value {
	return &value{Kind: &pluginv1.Value_StructValue{StructValue: &pluginv1.Struct{Fields: fields}}}
}
func mapValue(entries []*pluginv1.MapEntry) *value {
	return &value{Kind: &pluginv1.Value_MapValue{MapValue: &pluginv1.Map{Entries: entries}}}
}

// element returns v as a list element or map value must hold it: a Value with no kind for
// null, since a repeated message field cannot hold nil.
func element(v *value) *value {
	if v == nil {
		return &value{}
	}
	return v
}

// fieldVal returns v as a struct field holds it: nil for null.
func fieldVal(v *value) *value {
	if isNull(v) {
		return nil
	}
	return v
}

// kindName names a Value's kind for error messages, as the converters do.
func kindName(v *value) string { return convert.KindName(v) }

// typeName is the upstream Schema.Type name of t: INT8, FLOAT32, STRUCT, …
func typeName(t pluginv1.Schema_Type) string {
	switch t {
	case sInt8:
		return "INT8"
	case sInt16:
		return "INT16"
	case sInt32:
		return "INT32"
	case sInt64:
		return "INT64"
	case sFloat32:
		return "FLOAT32"
	case sFloat64:
		return "FLOAT64"
	case sBoolean:
		return "BOOLEAN"
	case sString:
		return "STRING"
	case sBytes:
		return "BYTES"
	case sArray:
		return "ARRAY"
	case sMap:
		return "MAP"
	case sStruct:
		return "STRUCT"
	}
	return t.String()
}

// describe names a schema for error messages: its type and, when it has one, its name.
func describe(s *schema) string {
	if s.GetName() != "" {
		return fmt.Sprintf("%s schema %q", typeName(s.GetType()), s.GetName())
	}
	return typeName(s.GetType()) + " schema"
}

// ---- the two sides of a record ----

// side says which half of a record a $Key or $Value transform works on.
type side bool

const (
	keySide   side = true
	valueSide side = false
)

// schema returns the side's schema; a schema with no type counts as none.
func (sd side) schema(r *pluginv1.Record) *schema {
	s := r.ValueSchema
	if sd == keySide {
		s = r.KeySchema
	}
	if s == nil || s.Type == pluginv1.Schema_TYPE_UNSPECIFIED {
		return nil
	}
	return s
}

func (sd side) value(r *pluginv1.Record) *value {
	if sd == keySide {
		return r.Key
	}
	return r.Value
}

func (sd side) set(r *pluginv1.Record, s *schema, v *value) *pluginv1.Record {
	if sd == keySide {
		r.KeySchema, r.Key = s, v
	} else {
		r.ValueSchema, r.Value = s, v
	}
	return r
}

// ---- requirements, as upstream's Requirements ----

func errNotMap(v *value, purpose string) error {
	return fmt.Errorf("Only Map objects supported in absence of schema for [%s], found: %s", purpose, kindName(v))
}

func errNotStruct(v *value, purpose string) error {
	return fmt.Errorf("Only Struct objects supported for [%s], found: %s", purpose, kindName(v))
}

// requireStruct returns the Struct a schema'd value holds; s must be a struct schema.
func requireStruct(s *schema, v *value, purpose string) (*pluginv1.Struct, error) {
	st, ok := v.GetKind().(*pluginv1.Value_StructValue)
	if !ok {
		return nil, errNotStruct(v, purpose)
	}
	if s.GetType() != sStruct {
		return nil, fmt.Errorf("a struct value needs a struct schema for [%s], found: %s", purpose, describe(s))
	}
	if st.StructValue == nil {
		return &pluginv1.Struct{}, nil
	}
	return st.StructValue, nil
}

// ---- struct fields by schema ----

// fieldIndex finds a schema field by name.
func fieldIndex(s *schema, name string) int {
	for i, f := range s.GetFields() {
		if f.GetName() == name {
			return i
		}
	}
	return -1
}

// structGet returns the value of field name, trying position i first (struct fields are
// normally in schema order). Absent and null fields are nil.
func structGet(st *pluginv1.Struct, i int, name string) *value {
	fs := st.GetFields()
	if i >= 0 && i < len(fs) && fs[i].GetName() == name {
		return fieldVal(fs[i].GetValue())
	}
	for _, f := range fs {
		if f.GetName() == name {
			return fieldVal(f.GetValue())
		}
	}
	return nil
}

// structField returns the Field message for name, position i first, so an unchanged field
// can be shared by a new Struct.
func structField(st *pluginv1.Struct, i int, name string) *pluginv1.Field {
	fs := st.GetFields()
	if i >= 0 && i < len(fs) && fs[i].GetName() == name {
		return fs[i]
	}
	for _, f := range fs {
		if f.GetName() == name {
			return f
		}
	}
	return nil
}

// withDefault is Struct.get: a null field reads as its schema's default when replace is
// set (replace.null.with.default), else as null.
func withDefault(v *value, fs *schema, replace bool) *value {
	if isNull(v) && replace && !isNull(fs.GetDefaultValue()) {
		return fs.GetDefaultValue()
	}
	return v
}

// keepField returns the Field to put under name in a rebuilt Struct: the old one when it
// already says exactly that, else a new one.
func keepField(old *pluginv1.Field, name string, v *value) *pluginv1.Field {
	v = fieldVal(v)
	if old != nil && old.GetName() == name && fieldVal(old.GetValue()) == v {
		return old
	}
	return &pluginv1.Field{Name: name, Value: v}
}

// checkRequired refuses a null for a required field, as Struct.put validates.
func checkRequired(name string, fs *schema, v *value) error {
	if isNull(v) && !fs.GetOptional() {
		return fmt.Errorf("Invalid value: null used for required field: %q, schema type: %s", name, typeName(fs.GetType()))
	}
	return nil
}

// ---- schemas ----

// copyBasics is SchemaUtil.copySchemaBasics: a schema of type t with s's name, version,
// doc and parameters (not its optional flag, default or children).
func copyBasics(s *schema, t pluginv1.Schema_Type) *schema {
	return &schema{Type: t, Name: s.GetName(), Version: s.GetVersion(), Doc: s.GetDoc(),
		Parameters: maps.Clone(s.GetParameters())}
}

// copyFull is SchemaUtil.copySchemaBasics(source) for a leaf: type, basics and, for arrays
// and maps, the element schemas.
func copyFull(s *schema) *schema {
	c := copyBasics(s, s.GetType())
	c.KeySchema, c.ValueSchema = s.GetKeySchema(), s.GetValueSchema()
	return c
}

// structLike starts a struct schema that replaces s: its basics and optional flag.
func structLike(s *schema, fields []*pluginv1.SchemaField) *schema {
	n := copyBasics(s, sStruct)
	n.Optional = s.GetOptional()
	n.Fields = fields
	return n
}

// appendSchemaField appends a field, refusing a duplicate name as SchemaBuilder does.
func appendSchemaField(fields []*pluginv1.SchemaField, name string, s *schema) ([]*pluginv1.SchemaField, error) {
	for _, f := range fields {
		if f.GetName() == name {
			return fields, fmt.Errorf("Cannot create field because of field name duplication %s", name)
		}
	}
	return append(fields, &pluginv1.SchemaField{Name: name, Schema: s}), nil
}

func primitive(t pluginv1.Schema_Type, optional bool) *schema {
	return &schema{Type: t, Optional: optional}
}

func isLogical(s *schema) bool {
	switch s.GetName() {
	case convert.DecimalName, convert.DateName, convert.TimeName, convert.TimestampName:
		return true
	}
	return false
}

// schemaCache remembers the schema a transform derived from an input schema, by pointer,
// as upstream's 16-entry SchemaUpdateCache. Schemas are immutable, so a pointer names one.
type schemaCache struct {
	mu sync.Mutex
	m  map[*schema]*schema
}

const schemaCacheSize = 16

func (c *schemaCache) get(s *schema) *schema {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[s]
}

func (c *schemaCache) put(s, derived *schema) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= schemaCacheSize {
		c.m = make(map[*schema]*schema, schemaCacheSize)
	}
	c.m[s] = derived
}

// derive returns the cached schema derived from s, building it with build on a miss.
func (c *schemaCache) derive(s *schema, build func(*schema) (*schema, error)) (*schema, error) {
	if d := c.get(s); d != nil {
		return d, nil
	}
	d, err := build(s)
	if err != nil {
		return nil, err
	}
	c.put(s, d)
	return d, nil
}

// ---- schemaless objects ----

// object is a schemaless Map<String,Object>: a Map (entries whose keys are strings are its
// fields) or a Struct carried without a schema.
type object struct {
	st *pluginv1.Struct
	m  *pluginv1.Map
}

// asObject views v as a schemaless object; ok is false for anything but a map or struct.
func asObject(v *value) (object, bool) {
	switch k := v.GetKind().(type) {
	case *pluginv1.Value_MapValue:
		if k.MapValue == nil {
			return object{m: &pluginv1.Map{}}, true
		}
		return object{m: k.MapValue}, true
	case *pluginv1.Value_StructValue:
		if k.StructValue == nil {
			return object{st: &pluginv1.Struct{}}, true
		}
		return object{st: k.StructValue}, true
	}
	return object{}, false
}

// requireObject is upstream's requireMap.
func requireObject(v *value, purpose string) (object, error) {
	o, ok := asObject(v)
	if !ok {
		return o, errNotMap(v, purpose)
	}
	return o, nil
}

// get returns the value under name (nil when absent or null) and whether it is present.
func (o object) get(name string) (*value, bool) {
	if o.st != nil {
		for _, f := range o.st.Fields {
			if f.GetName() == name {
				return fieldVal(f.GetValue()), true
			}
		}
		return nil, false
	}
	for _, e := range o.m.GetEntries() {
		if k, ok := e.GetKey().GetKind().(*pluginv1.Value_StringValue); ok && k.StringValue == name {
			return fieldVal(e.GetValue()), true
		}
	}
	return nil, false
}

// objEntry is one entry of an object being rebuilt. orig, when set, is the message it came
// from, reused when the entry comes out unchanged.
type objEntry struct {
	name  string
	key   *value // a map entry's key that is not a string; nil otherwise
	value *value
	field *pluginv1.Field
	entry *pluginv1.MapEntry
}

// objBuilder rebuilds an object, keeping its kind (Map or Struct) and entry order; put
// replaces an entry in place or appends, as a LinkedHashMap.
type objBuilder struct {
	isStruct bool
	entries  []objEntry
	index    map[string]int // built once the object is large; nil after a remove
}

const objIndexAbove = 16

// builder starts a rebuild of o with all its entries.
func (o object) builder() *objBuilder {
	b := &objBuilder{isStruct: o.st != nil}
	if o.st != nil {
		b.entries = make([]objEntry, 0, len(o.st.Fields)+1)
		for _, f := range o.st.Fields {
			b.entries = append(b.entries, objEntry{name: f.GetName(), value: fieldVal(f.GetValue()), field: f})
		}
		return b
	}
	b.entries = make([]objEntry, 0, len(o.m.GetEntries())+1)
	for _, e := range o.m.GetEntries() {
		oe := objEntry{value: fieldVal(e.GetValue()), entry: e}
		if k, ok := e.GetKey().GetKind().(*pluginv1.Value_StringValue); ok {
			oe.name = k.StringValue
		} else {
			oe.key = element(e.GetKey())
		}
		b.entries = append(b.entries, oe)
	}
	return b
}

// emptyLike starts an empty object of o's kind.
func (o object) emptyLike(capacity int) *objBuilder {
	return &objBuilder{isStruct: o.st != nil, entries: make([]objEntry, 0, capacity)}
}

func (b *objBuilder) find(name string) int {
	if len(b.entries) > objIndexAbove {
		if b.index == nil {
			b.index = make(map[string]int, len(b.entries))
			for i := range b.entries {
				if e := &b.entries[i]; e.key == nil {
					if _, dup := b.index[e.name]; !dup {
						b.index[e.name] = i
					}
				}
			}
		}
		if i, ok := b.index[name]; ok {
			return i
		}
		return -1
	}
	for i := range b.entries {
		if b.entries[i].key == nil && b.entries[i].name == name {
			return i
		}
	}
	return -1
}

func (b *objBuilder) put(name string, v *value) {
	if i := b.find(name); i >= 0 {
		b.entries[i].value = v
		return
	}
	b.entries = append(b.entries, objEntry{name: name, value: v})
	if b.index != nil {
		b.index[name] = len(b.entries) - 1
	}
}

// add appends an entry taken from another builder, replacing one of the same name.
func (b *objBuilder) add(e objEntry) {
	if e.key == nil {
		if i := b.find(e.name); i >= 0 {
			b.entries[i].value = e.value
			return
		}
	}
	b.entries = append(b.entries, e)
	if b.index != nil && e.key == nil {
		b.index[e.name] = len(b.entries) - 1
	}
}

func (b *objBuilder) remove(name string) {
	if i := b.find(name); i >= 0 {
		b.entries = append(b.entries[:i], b.entries[i+1:]...)
		b.index = nil
	}
}

// value builds the object.
func (b *objBuilder) value() *value {
	if b.isStruct {
		fields := make([]*pluginv1.Field, len(b.entries))
		for i, e := range b.entries {
			fields[i] = keepField(e.field, e.name, e.value)
		}
		return structValue(fields)
	}
	entries := make([]*pluginv1.MapEntry, len(b.entries))
	for i, e := range b.entries {
		if e.entry != nil && fieldVal(e.entry.GetValue()) == fieldVal(e.value) {
			k, isString := e.entry.GetKey().GetKind().(*valueString)
			if e.key != nil && e.key == element(e.entry.GetKey()) || e.key == nil && isString && k.StringValue == e.name {
				entries[i] = e.entry
				continue
			}
		}
		k := e.key
		if k == nil {
			k = stringValue(e.name)
		}
		entries[i] = &pluginv1.MapEntry{Key: k, Value: element(e.value)}
	}
	return mapValue(entries)
}

// newMap builds a schemaless Map<String,Object> from names and values; a repeated name
// keeps its first place and its last value, as HashMap.put.
func newMap(names []string, values []*value) *value {
	b := &objBuilder{entries: make([]objEntry, 0, len(names))}
	for i, n := range names {
		b.put(n, values[i])
	}
	return b.value()
}
