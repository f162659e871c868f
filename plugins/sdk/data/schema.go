package data

import (
	"maps"
	"strconv"
)

// Type is a schema type, as Kafka Connect's Schema.Type.
type Type int8

// Schema types.
const (
	TypeInt8 Type = iota + 1
	TypeInt16
	TypeInt32
	TypeInt64
	TypeFloat32
	TypeFloat64
	TypeBoolean
	TypeString
	TypeBytes
	TypeArray
	TypeMap
	TypeStruct
)

var typeNames = [...]string{"", "INT8", "INT16", "INT32", "INT64", "FLOAT32", "FLOAT64", "BOOLEAN", "STRING", "BYTES", "ARRAY", "MAP", "STRUCT"}

// String returns the type's name as Kafka Connect spells it, e.g. "INT32".
func (t Type) String() string {
	if t > 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Schema describes a value, as Kafka Connect's Schema. The Go value of each type is:
//
//	INT8, INT16, INT32, INT64   int8, int16, int32, int64 (any Go integer that fits is accepted)
//	FLOAT32, FLOAT64            float32, float64
//	BOOLEAN                     bool
//	STRING                      string
//	BYTES                       []byte
//	ARRAY                       []any
//	MAP                         map[string]any, or [Map] for keys that are not strings
//	STRUCT                      *[Struct]
//	Decimal (BYTES)             [Decimal]
//	Date, Time (INT32)          time.Time
//	Timestamp (INT64)           time.Time
//
// and nil for an absent optional value. A Schema must not change once a record uses it:
// the SDK encodes a schema shared by many records once, by its pointer.
type Schema struct {
	Type     Type
	Optional bool
	// Name names a struct, or a logical type on top of a primitive one (e.g.
	// "org.apache.kafka.connect.data.Decimal").
	Name       string
	Version    int32
	Doc        string
	Parameters map[string]string
	// Default is the value of an absent optional field.
	Default any
	// Fields are a struct's fields, in order.
	Fields []Field
	// Key is a map's key schema.
	Key *Schema
	// Value is a map's value schema, or an array's element schema.
	Value *Schema
}

// Field is one field of a struct schema.
type Field struct {
	Name   string
	Index  int
	Schema *Schema
}

// The primitive schemas. They are shared: build new schemas from them with [Optional]
// or the With* methods, which copy, and never modify them.
var (
	Int8Schema    = &Schema{Type: TypeInt8}
	Int16Schema   = &Schema{Type: TypeInt16}
	Int32Schema   = &Schema{Type: TypeInt32}
	Int64Schema   = &Schema{Type: TypeInt64}
	Float32Schema = &Schema{Type: TypeFloat32}
	Float64Schema = &Schema{Type: TypeFloat64}
	BooleanSchema = &Schema{Type: TypeBoolean}
	StringSchema  = &Schema{Type: TypeString}
	BytesSchema   = &Schema{Type: TypeBytes}

	OptionalInt8Schema    = &Schema{Type: TypeInt8, Optional: true}
	OptionalInt16Schema   = &Schema{Type: TypeInt16, Optional: true}
	OptionalInt32Schema   = &Schema{Type: TypeInt32, Optional: true}
	OptionalInt64Schema   = &Schema{Type: TypeInt64, Optional: true}
	OptionalFloat32Schema = &Schema{Type: TypeFloat32, Optional: true}
	OptionalFloat64Schema = &Schema{Type: TypeFloat64, Optional: true}
	OptionalBooleanSchema = &Schema{Type: TypeBoolean, Optional: true}
	OptionalStringSchema  = &Schema{Type: TypeString, Optional: true}
	OptionalBytesSchema   = &Schema{Type: TypeBytes, Optional: true}
)

// NewField returns a struct field for [StructOf].
func NewField(name string, s *Schema) Field { return Field{Name: name, Schema: s} }

// StructOf returns a required struct schema named name with the given fields in order
// (their Index is set).
func StructOf(name string, fields ...Field) *Schema {
	fs := make([]Field, len(fields))
	for i, f := range fields {
		f.Index = i
		fs[i] = f
	}
	return &Schema{Type: TypeStruct, Name: name, Fields: fs}
}

// ArrayOf returns a required array schema of elem.
func ArrayOf(elem *Schema) *Schema { return &Schema{Type: TypeArray, Value: elem} }

// MapOf returns a required map schema.
func MapOf(key, value *Schema) *Schema { return &Schema{Type: TypeMap, Key: key, Value: value} }

// Optional returns a copy of s that is optional.
func Optional(s *Schema) *Schema {
	c := s.clone()
	c.Optional = true
	return c
}

// WithName returns a copy of s named name.
func (s *Schema) WithName(name string) *Schema { c := s.clone(); c.Name = name; return c }

// WithVersion returns a copy of s with version v.
func (s *Schema) WithVersion(v int32) *Schema { c := s.clone(); c.Version = v; return c }

// WithDoc returns a copy of s documented by doc.
func (s *Schema) WithDoc(doc string) *Schema { c := s.clone(); c.Doc = doc; return c }

// WithDefault returns a copy of s whose default value is v.
func (s *Schema) WithDefault(v any) *Schema { c := s.clone(); c.Default = v; return c }

// WithParameter returns a copy of s with parameter key set to value.
func (s *Schema) WithParameter(key, value string) *Schema {
	c := s.clone()
	c.Parameters = maps.Clone(c.Parameters)
	if c.Parameters == nil {
		c.Parameters = map[string]string{}
	}
	c.Parameters[key] = value
	return c
}

func (s *Schema) clone() *Schema {
	c := *s
	return &c
}

// Field returns the struct field called name.
func (s *Schema) Field(name string) (Field, bool) {
	if s == nil {
		return Field{}, false
	}
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// IsOptional reports whether s allows a null value; a nil schema does.
func (s *Schema) IsOptional() bool { return s == nil || s.Optional }
