package sdk

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// StringValue returns a string Value.
func StringValue(s string) *pluginv1.Value {
	return &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: s}}
}

// BytesValue returns a bytes Value.
func BytesValue(b []byte) *pluginv1.Value {
	return &pluginv1.Value{Kind: &pluginv1.Value_BytesValue{BytesValue: b}}
}

// Int64Value returns an integer Value.
func Int64Value(i int64) *pluginv1.Value {
	return &pluginv1.Value{Kind: &pluginv1.Value_IntValue{IntValue: i}}
}

// DoubleValue returns a floating-point Value.
func DoubleValue(f float64) *pluginv1.Value {
	return &pluginv1.Value{Kind: &pluginv1.Value_DoubleValue{DoubleValue: f}}
}

// BoolValue returns a boolean Value.
func BoolValue(b bool) *pluginv1.Value {
	return &pluginv1.Value{Kind: &pluginv1.Value_BoolValue{BoolValue: b}}
}

// NullValue returns a null Value (no kind set). A nil *Value is null too.
func NullValue() *pluginv1.Value { return &pluginv1.Value{} }

// Field returns a struct field for [StructValue].
func Field(name string, v *pluginv1.Value) *pluginv1.Field {
	return &pluginv1.Field{Name: name, Value: v}
}

// StructValue returns a struct Value with the given fields, in order.
func StructValue(fields ...*pluginv1.Field) *pluginv1.Value {
	return &pluginv1.Value{Kind: &pluginv1.Value_StructValue{StructValue: &pluginv1.Struct{Fields: fields}}}
}

// ListValue returns a list Value.
func ListValue(items ...*pluginv1.Value) *pluginv1.Value {
	return &pluginv1.Value{Kind: &pluginv1.Value_ListValue{ListValue: &pluginv1.List{Values: items}}}
}

// PrimitiveSchema returns a schema of a primitive type, e.g.
// PrimitiveSchema(pluginv1.Schema_TYPE_STRING, false) for a required string.
func PrimitiveSchema(t pluginv1.Schema_Type, optional bool) *pluginv1.Schema {
	return &pluginv1.Schema{Type: t, Optional: optional}
}

// SchemaField returns a struct schema field for [StructSchema].
func SchemaField(name string, s *pluginv1.Schema) *pluginv1.SchemaField {
	return &pluginv1.SchemaField{Name: name, Schema: s}
}

// StructSchema returns a required struct schema with the given name and fields.
func StructSchema(name string, fields ...*pluginv1.SchemaField) *pluginv1.Schema {
	return &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRUCT, Name: name, Fields: fields}
}

// AppendText appends v as a line of text would show it: a string as is, bytes raw,
// null as "null", anything else as JSON (see [AppendJSON]).
func AppendText(dst []byte, v *pluginv1.Value) []byte {
	switch k := v.GetKind().(type) {
	case *pluginv1.Value_StringValue:
		return append(dst, k.StringValue...)
	case *pluginv1.Value_BytesValue:
		return append(dst, k.BytesValue...)
	}
	return AppendJSON(dst, v)
}

// AppendJSON appends v as JSON: structs and maps with string keys as objects (struct
// fields in order), lists and other maps as arrays (a map entry as [key, value]), bytes
// as base64 strings (as Kafka's JsonConverter writes them), NaN and infinities as the
// strings "NaN", "Infinity" and "-Infinity", null as null.
func AppendJSON(dst []byte, v *pluginv1.Value) []byte {
	switch k := v.GetKind().(type) {
	case nil:
		return append(dst, "null"...)
	case *pluginv1.Value_BoolValue:
		return strconv.AppendBool(dst, k.BoolValue)
	case *pluginv1.Value_IntValue:
		return strconv.AppendInt(dst, k.IntValue, 10)
	case *pluginv1.Value_DoubleValue:
		f := k.DoubleValue
		switch {
		case math.IsNaN(f):
			return append(dst, `"NaN"`...)
		case math.IsInf(f, 1):
			return append(dst, `"Infinity"`...)
		case math.IsInf(f, -1):
			return append(dst, `"-Infinity"`...)
		}
		return strconv.AppendFloat(dst, f, 'g', -1, 64)
	case *pluginv1.Value_StringValue:
		return appendJSONString(dst, k.StringValue)
	case *pluginv1.Value_BytesValue:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, k.BytesValue)
		return append(dst, '"')
	case *pluginv1.Value_StructValue:
		dst = append(dst, '{')
		for i, f := range k.StructValue.GetFields() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, f.GetName())
			dst = append(dst, ':')
			dst = AppendJSON(dst, f.GetValue())
		}
		return append(dst, '}')
	case *pluginv1.Value_ListValue:
		dst = append(dst, '[')
		for i, item := range k.ListValue.GetValues() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSON(dst, item)
		}
		return append(dst, ']')
	case *pluginv1.Value_MapValue:
		entries := k.MapValue.GetEntries()
		stringKeys := true
		for _, e := range entries {
			if _, ok := e.GetKey().GetKind().(*pluginv1.Value_StringValue); !ok {
				stringKeys = false
				break
			}
		}
		if stringKeys {
			dst = append(dst, '{')
			for i, e := range entries {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendJSONString(dst, e.GetKey().GetStringValue())
				dst = append(dst, ':')
				dst = AppendJSON(dst, e.GetValue())
			}
			return append(dst, '}')
		}
		dst = append(dst, '[')
		for i, e := range entries {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '[')
			dst = AppendJSON(dst, e.GetKey())
			dst = append(dst, ',')
			dst = AppendJSON(dst, e.GetValue())
			dst = append(dst, ']')
		}
		return append(dst, ']')
	}
	return append(dst, "null"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaping as encoding/json does (without
// HTML escaping); invalid UTF-8 becomes U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// SourceMap encodes a source partition or source offset — Kafka Connect's
// sourcePartition / sourceOffset maps — as the JSON object bytes the protocol carries.
// Keys are sorted, so equal maps give equal bytes.
func SourceMap(m map[string]any) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode source map: %w", err)
	}
	return b, nil
}

// ParseSourceMap decodes source partition or offset bytes. Numbers come back as
// json.Number, so 64-bit positions survive; use [json.Number.Int64].
func ParseSourceMap(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode source map %q: %w", b, err)
	}
	return m, nil
}

// FindOffset returns the decoded offset committed for partition among offsets, comparing
// partitions by JSON content (not byte for byte, so offsets written by other tools still
// match). ok is false when there is none.
func FindOffset(offsets []*pluginv1.SourceOffset, partition map[string]any) (offset map[string]any, ok bool, err error) {
	want, err := SourceMap(partition)
	if err != nil {
		return nil, false, err
	}
	for _, o := range offsets {
		p, err := ParseSourceMap(o.GetPartition())
		if err != nil {
			continue // another task's partition in a format we do not read
		}
		got, err := json.Marshal(p)
		if err != nil || !bytes.Equal(got, want) {
			continue
		}
		off, err := ParseSourceMap(o.GetOffset())
		if err != nil {
			return nil, false, err
		}
		return off, true, nil
	}
	return nil, false, nil
}
