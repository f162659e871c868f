package data

import (
	"fmt"
	"strings"
)

// Struct is a value of a STRUCT schema: one value per field of its schema.
type Struct struct {
	schema *Schema
	values []any
}

// NewStruct returns an empty struct of schema s, which must be a STRUCT schema.
func NewStruct(s *Schema) *Struct {
	if s == nil || s.Type != TypeStruct {
		panic("data: NewStruct needs a STRUCT schema")
	}
	// A struct and its values in one allocation: a source makes a few structs a record.
	switch n := len(s.Fields); {
	case n <= 4:
		p := &struct {
			st   Struct
			vals [4]any
		}{}
		p.st = Struct{schema: s, values: p.vals[:n:n]}
		return &p.st
	case n <= 8:
		p := &struct {
			st   Struct
			vals [8]any
		}{}
		p.st = Struct{schema: s, values: p.vals[:n:n]}
		return &p.st
	case n <= 12:
		p := &struct {
			st   Struct
			vals [12]any
		}{}
		p.st = Struct{schema: s, values: p.vals[:n:n]}
		return &p.st
	case n <= 16:
		p := &struct {
			st   Struct
			vals [16]any
		}{}
		p.st = Struct{schema: s, values: p.vals[:n:n]}
		return &p.st
	}
	return &Struct{schema: s, values: make([]any, len(s.Fields))}
}

// Schema returns the struct's schema.
func (st *Struct) Schema() *Schema { return st.schema }

// Put sets field name to v and returns st, so puts chain. A name the schema does not
// have panics, as Kafka Connect's Struct.put throws: it is a bug in the connector.
// Values are checked against the schema by [Struct.Validate] (the SDK validates every
// record it sends).
func (st *Struct) Put(name string, v any) *Struct {
	f, ok := st.schema.Field(name)
	if !ok {
		panic(fmt.Sprintf("data: struct %s has no field %q", st.name(), name))
	}
	st.values[f.Index] = v
	return st
}

// PutAt sets the field at index i (the schema's field order).
func (st *Struct) PutAt(i int, v any) *Struct { st.values[i] = v; return st }

// Get returns field name's value, its schema's default when unset, or nil.
func (st *Struct) Get(name string) any {
	f, ok := st.schema.Field(name)
	if !ok {
		return nil
	}
	return st.At(f.Index)
}

// At returns the value of the field at index i, its default when unset.
func (st *Struct) At(i int) any {
	if v := st.values[i]; v != nil {
		return v
	}
	return st.schema.Fields[i].Schema.defaultValue()
}

func (s *Schema) defaultValue() any {
	if s == nil {
		return nil
	}
	return s.Default
}

// String returns field name's value as a string ("" if it is not one).
func (st *Struct) String(name string) string { v, _ := st.Get(name).(string); return v }

// Bytes returns field name's value as bytes (nil if it is not).
func (st *Struct) Bytes(name string) []byte { v, _ := st.Get(name).([]byte); return v }

// Bool returns field name's value as a bool (false if it is not one).
func (st *Struct) Bool(name string) bool { v, _ := st.Get(name).(bool); return v }

// Int64 returns field name's value as an int64 if it is an integer of any width.
func (st *Struct) Int64(name string) (int64, bool) { return asInt64(st.Get(name)) }

// Float64 returns field name's value as a float64 if it is a float of either width.
func (st *Struct) Float64(name string) (float64, bool) {
	switch v := st.Get(name).(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	}
	return 0, false
}

// Struct returns field name's value as a struct (nil if it is not one).
func (st *Struct) Struct(name string) *Struct { v, _ := st.Get(name).(*Struct); return v }

// Validate checks every field's value against its schema.
func (st *Struct) Validate() error { return Validate(st.schema, st) }

func (st *Struct) name() string {
	if st.schema.Name != "" {
		return st.schema.Name
	}
	return "(unnamed)"
}

// Map is a map value whose keys are not all strings, in entry order. Maps with string
// keys may be a map[string]any instead.
type Map []MapEntry

// MapEntry is one key and value of a [Map].
type MapEntry struct {
	Key, Value any
}

func asInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case int:
		return int64(n), true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint64:
		if n <= 1<<63-1 {
			return int64(n), true
		}
	case uint:
		if uint64(n) <= 1<<63-1 {
			return int64(n), true
		}
	}
	return 0, false
}

// AsInt64 returns v as an int64 when it is a Go integer of any width that fits.
func AsInt64(v any) (int64, bool) { return asInt64(v) }

// path joins a field path for error messages.
func path(parent, child string) string {
	if parent == "" {
		return child
	}
	if strings.HasPrefix(child, "[") {
		return parent + child
	}
	return parent + "." + child
}
