package convert

import (
	"encoding/base64"
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/tributary-dev/tributary/plugins/kc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// Logical type names, as Kafka Connect's org.apache.kafka.connect.data classes declare them.
const (
	DecimalName   = "org.apache.kafka.connect.data.Decimal"
	DateName      = "org.apache.kafka.connect.data.Date"
	TimeName      = "org.apache.kafka.connect.data.Time"
	TimestampName = "org.apache.kafka.connect.data.Timestamp"
)

var typeNames = [...]string{
	pluginv1.Schema_TYPE_INT8:    "int8",
	pluginv1.Schema_TYPE_INT16:   "int16",
	pluginv1.Schema_TYPE_INT32:   "int32",
	pluginv1.Schema_TYPE_INT64:   "int64",
	pluginv1.Schema_TYPE_FLOAT32: "float",
	pluginv1.Schema_TYPE_FLOAT64: "double",
	pluginv1.Schema_TYPE_BOOLEAN: "boolean",
	pluginv1.Schema_TYPE_STRING:  "string",
	pluginv1.Schema_TYPE_BYTES:   "bytes",
	pluginv1.Schema_TYPE_ARRAY:   "array",
	pluginv1.Schema_TYPE_MAP:     "map",
	pluginv1.Schema_TYPE_STRUCT:  "struct",
}

// typeName is the JSON schema name of a type ("int32", "float", "struct", …).
func typeName(t pluginv1.Schema_Type) string {
	if int(t) > 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return t.String()
}

// jsonWriter appends Connect data as JsonConverter writes it, byte for byte: schema keys in
// Kafka Connect's order, doubles as Java prints them, strings escaped as Jackson escapes them.
type jsonWriter struct {
	numericDecimal bool // decimal.format=NUMERIC
	replaceNull    bool // replace.null.with.default
}

// appendSchema appends s as JsonConverter.asJsonSchema renders it.
func (w *jsonWriter) appendSchema(dst []byte, s *pluginv1.Schema) ([]byte, error) {
	if s == nil {
		return append(dst, "null"...), nil
	}
	if s.Type <= pluginv1.Schema_TYPE_UNSPECIFIED || int(s.Type) >= len(typeNames) { // a negative enum from a plugin too
		return dst, fmt.Errorf("schema %q has no valid type (%s)", s.Name, s.Type)
	}
	var err error
	dst = append(dst, `{"type":"`...)
	dst = append(dst, typeNames[s.Type]...)
	dst = append(dst, '"')
	switch s.Type {
	case pluginv1.Schema_TYPE_ARRAY:
		dst = append(dst, `,"items":`...)
		if s.ValueSchema == nil {
			return dst, fmt.Errorf("array schema %q has no item schema", s.Name)
		}
		if dst, err = w.appendSchema(dst, s.ValueSchema); err != nil {
			return dst, err
		}
	case pluginv1.Schema_TYPE_MAP:
		if s.KeySchema == nil || s.ValueSchema == nil {
			return dst, fmt.Errorf("map schema %q needs a key and a value schema", s.Name)
		}
		dst = append(dst, `,"keys":`...)
		if dst, err = w.appendSchema(dst, s.KeySchema); err != nil {
			return dst, err
		}
		dst = append(dst, `,"values":`...)
		if dst, err = w.appendSchema(dst, s.ValueSchema); err != nil {
			return dst, err
		}
	case pluginv1.Schema_TYPE_STRUCT:
		dst = append(dst, `,"fields":[`...)
		for i, f := range s.Fields {
			if i > 0 {
				dst = append(dst, ',')
			}
			if f.GetSchema() == nil {
				return dst, fmt.Errorf("struct schema %q: field %q has no schema", s.Name, f.GetName())
			}
			if dst, err = w.appendSchema(dst, f.Schema); err != nil {
				return dst, fmt.Errorf("field %q: %w", f.Name, err)
			}
			dst = dst[:len(dst)-1] // the field's name goes last, inside its schema object
			dst = append(dst, `,"field":`...)
			dst = appendJSONString(dst, f.Name)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"optional":`...)
	dst = strconv.AppendBool(dst, s.Optional)
	if s.Name != "" {
		dst = append(dst, `,"name":`...)
		dst = appendJSONString(dst, s.Name)
	}
	if s.Version != 0 {
		dst = append(dst, `,"version":`...)
		dst = strconv.AppendInt(dst, int64(s.Version), 10)
	}
	if s.Doc != "" {
		dst = append(dst, `,"doc":`...)
		dst = appendJSONString(dst, s.Doc)
	}
	if len(s.Parameters) > 0 {
		keys := make([]string, 0, len(s.Parameters))
		for k := range s.Parameters {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		dst = append(dst, `,"parameters":{`...)
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendJSONString(dst, s.Parameters[k])
		}
		dst = append(dst, '}')
	}
	if !isNull(s.DefaultValue) {
		dst = append(dst, `,"default":`...)
		if dst, err = w.appendValue(dst, s, s.DefaultValue); err != nil {
			return dst, fmt.Errorf("default value: %w", err)
		}
	}
	return append(dst, '}'), nil
}

// appendValue appends v, described by s (nil: schemaless), as JsonConverter.convertToJson.
func (w *jsonWriter) appendValue(dst []byte, s *pluginv1.Schema, v *pluginv1.Value) ([]byte, error) {
	if s != nil && s.Type == pluginv1.Schema_TYPE_UNSPECIFIED {
		s = nil
	}
	if isNull(v) {
		switch {
		case s == nil:
			return append(dst, "null"...), nil
		case w.replaceNull && !isNull(s.DefaultValue):
			return w.appendValue(dst, s, s.DefaultValue)
		case s.Optional:
			return append(dst, "null"...), nil
		}
		return dst, fmt.Errorf("conversion error: null value for field that is required and has no default value")
	}
	if s == nil {
		return w.appendSchemaless(dst, v)
	}
	var err error
	switch s.Type {
	case pluginv1.Schema_TYPE_INT8, pluginv1.Schema_TYPE_INT16, pluginv1.Schema_TYPE_INT32, pluginv1.Schema_TYPE_INT64:
		k, ok := v.Kind.(*pluginv1.Value_IntValue)
		if !ok {
			return dst, mismatch(s, v)
		}
		if err := checkIntRange(s.Type, k.IntValue); err != nil {
			return dst, err
		}
		return strconv.AppendInt(dst, k.IntValue, 10), nil
	case pluginv1.Schema_TYPE_FLOAT32, pluginv1.Schema_TYPE_FLOAT64:
		var f float64
		switch k := v.Kind.(type) {
		case *pluginv1.Value_DoubleValue:
			f = k.DoubleValue
		case *pluginv1.Value_IntValue:
			f = float64(k.IntValue)
		default:
			return dst, mismatch(s, v)
		}
		bits := 64
		if s.Type == pluginv1.Schema_TYPE_FLOAT32 {
			bits = 32
		}
		return appendJSONDouble(dst, f, bits), nil
	case pluginv1.Schema_TYPE_BOOLEAN:
		k, ok := v.Kind.(*pluginv1.Value_BoolValue)
		if !ok {
			return dst, mismatch(s, v)
		}
		return strconv.AppendBool(dst, k.BoolValue), nil
	case pluginv1.Schema_TYPE_STRING:
		k, ok := v.Kind.(*pluginv1.Value_StringValue)
		if !ok {
			return dst, mismatch(s, v)
		}
		return appendJSONString(dst, k.StringValue), nil
	case pluginv1.Schema_TYPE_BYTES:
		k, ok := v.Kind.(*pluginv1.Value_BytesValue)
		if !ok {
			return dst, mismatch(s, v)
		}
		if s.Name == DecimalName && w.numericDecimal {
			scale, err := decimalScale(s)
			if err != nil {
				return dst, err
			}
			return kc.AppendDecimal(dst, kc.FromTwosComplement(k.BytesValue), scale), nil
		}
		return appendBase64(dst, k.BytesValue), nil
	case pluginv1.Schema_TYPE_ARRAY:
		k, ok := v.Kind.(*pluginv1.Value_ListValue)
		if !ok {
			return dst, mismatch(s, v)
		}
		dst = append(dst, '[')
		for i, e := range k.ListValue.GetValues() {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = w.appendValue(dst, s.ValueSchema, e); err != nil {
				return dst, fmt.Errorf("array element %d: %w", i, err)
			}
		}
		return append(dst, ']'), nil
	case pluginv1.Schema_TYPE_MAP:
		k, ok := v.Kind.(*pluginv1.Value_MapValue)
		if !ok {
			return dst, mismatch(s, v)
		}
		if s.KeySchema.GetType() == pluginv1.Schema_TYPE_STRING {
			dst = append(dst, '{')
			for i, e := range k.MapValue.GetEntries() {
				key, ok := e.GetKey().GetKind().(*pluginv1.Value_StringValue)
				if !ok {
					return dst, fmt.Errorf("map key %d: %w", i, mismatch(s.KeySchema, e.GetKey()))
				}
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendJSONString(dst, key.StringValue)
				dst = append(dst, ':')
				if dst, err = w.appendValue(dst, s.ValueSchema, e.GetValue()); err != nil {
					return dst, fmt.Errorf("map value %q: %w", key.StringValue, err)
				}
			}
			return append(dst, '}'), nil
		}
		dst = append(dst, '[')
		for i, e := range k.MapValue.GetEntries() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '[')
			if dst, err = w.appendValue(dst, s.KeySchema, e.GetKey()); err != nil {
				return dst, fmt.Errorf("map key %d: %w", i, err)
			}
			dst = append(dst, ',')
			if dst, err = w.appendValue(dst, s.ValueSchema, e.GetValue()); err != nil {
				return dst, fmt.Errorf("map value %d: %w", i, err)
			}
			dst = append(dst, ']')
		}
		return append(dst, ']'), nil
	case pluginv1.Schema_TYPE_STRUCT:
		k, ok := v.Kind.(*pluginv1.Value_StructValue)
		if !ok {
			return dst, mismatch(s, v)
		}
		fields := k.StructValue.GetFields()
		dst = append(dst, '{')
		for i, f := range s.Fields {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, f.GetName())
			dst = append(dst, ':')
			if dst, err = w.appendValue(dst, f.GetSchema(), fieldValue(fields, i, f.GetName())); err != nil {
				return dst, fmt.Errorf("field %q: %w", f.GetName(), err)
			}
		}
		return append(dst, '}'), nil
	}
	return dst, fmt.Errorf("schema %q has no valid type (%s)", s.Name, s.Type)
}

// fieldValue finds a struct field's value by name, trying the schema's position first.
func fieldValue(fields []*pluginv1.Field, i int, name string) *pluginv1.Value {
	if i < len(fields) && fields[i].GetName() == name {
		return fields[i].GetValue()
	}
	for _, f := range fields {
		if f.GetName() == name {
			return f.GetValue()
		}
	}
	return nil
}

func (w *jsonWriter) appendSchemaless(dst []byte, v *pluginv1.Value) ([]byte, error) {
	var err error
	switch k := v.GetKind().(type) {
	case nil:
		return append(dst, "null"...), nil
	case *pluginv1.Value_BoolValue:
		return strconv.AppendBool(dst, k.BoolValue), nil
	case *pluginv1.Value_IntValue:
		return strconv.AppendInt(dst, k.IntValue, 10), nil
	case *pluginv1.Value_DoubleValue:
		return appendJSONDouble(dst, k.DoubleValue, 64), nil
	case *pluginv1.Value_StringValue:
		return appendJSONString(dst, k.StringValue), nil
	case *pluginv1.Value_BytesValue:
		return appendBase64(dst, k.BytesValue), nil
	case *pluginv1.Value_StructValue:
		dst = append(dst, '{')
		for i, f := range k.StructValue.GetFields() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, f.GetName())
			dst = append(dst, ':')
			if dst, err = w.appendSchemaless(dst, f.GetValue()); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case *pluginv1.Value_ListValue:
		dst = append(dst, '[')
		for i, e := range k.ListValue.GetValues() {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = w.appendSchemaless(dst, e); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case *pluginv1.Value_MapValue:
		entries := k.MapValue.GetEntries()
		objectMode := true
		for _, e := range entries {
			if _, ok := e.GetKey().GetKind().(*pluginv1.Value_StringValue); !ok {
				objectMode = false
				break
			}
		}
		if objectMode {
			dst = append(dst, '{')
			for i, e := range entries {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendJSONString(dst, e.Key.GetStringValue())
				dst = append(dst, ':')
				if dst, err = w.appendSchemaless(dst, e.GetValue()); err != nil {
					return dst, err
				}
			}
			return append(dst, '}'), nil
		}
		dst = append(dst, '[')
		for i, e := range entries {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '[')
			if dst, err = w.appendSchemaless(dst, e.GetKey()); err != nil {
				return dst, err
			}
			dst = append(dst, ',')
			if dst, err = w.appendSchemaless(dst, e.GetValue()); err != nil {
				return dst, err
			}
			dst = append(dst, ']')
		}
		return append(dst, ']'), nil
	}
	return dst, fmt.Errorf("unsupported value kind %T", v.GetKind())
}

func mismatch(s *pluginv1.Schema, v *pluginv1.Value) error {
	return fmt.Errorf("invalid type for %s: %s", typeName(s.GetType()), KindName(v))
}

func checkIntRange(t pluginv1.Schema_Type, n int64) error {
	var lo, hi int64
	switch t {
	case pluginv1.Schema_TYPE_INT8:
		lo, hi = math.MinInt8, math.MaxInt8
	case pluginv1.Schema_TYPE_INT16:
		lo, hi = math.MinInt16, math.MaxInt16
	case pluginv1.Schema_TYPE_INT32:
		lo, hi = math.MinInt32, math.MaxInt32
	default:
		return nil
	}
	if n < lo || n > hi {
		return fmt.Errorf("value %d out of range for %s", n, typeName(t))
	}
	return nil
}

const hexDigits = "0123456789ABCDEF"

// appendJSONString appends s quoted as Jackson writes it: only '"', '\\' and control
// characters are escaped; everything else, including non-ASCII, is written as is.
func appendJSONString[S string | []byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendBase64(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

// appendJSONDouble appends f as Jackson writes a double (bits 64) or float (bits 32).
// NaN and the infinities are not JSON numbers; Jackson writes them as strings.
func appendJSONDouble(dst []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		dst = append(dst, '"')
		dst = appendJavaDouble(dst, f, bits)
		return append(dst, '"')
	}
	return appendJavaDouble(dst, f, bits)
}

// decimalScale reads the scale parameter of a Decimal schema.
func decimalScale(s *pluginv1.Schema) (int, error) {
	p, ok := s.Parameters["scale"]
	if !ok {
		return 0, fmt.Errorf("decimal schema has no scale parameter")
	}
	scale, err := strconv.Atoi(p)
	if err != nil {
		return 0, fmt.Errorf("decimal schema: invalid scale %q", p)
	}
	return scale, nil
}

// appendJavaDouble appends f as Java's Double.toString (bits 64) or Float.toString (bits 32).
func appendJavaDouble(dst []byte, f float64, bits int) []byte {
	if bits == 32 {
		return kc.AppendFloat(dst, float32(f))
	}
	return kc.AppendDouble(dst, f)
}
