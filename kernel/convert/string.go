package convert

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// optionalString is the schema StringConverter gives everything it reads, as Kafka
// Connect's Schema.OPTIONAL_STRING_SCHEMA.
var optionalString = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRING, Optional: true}

// stringConverter is Kafka Connect's StringConverter: UTF-8 text both ways. Values that are
// not strings are written as Java's toString would write them; bytes are written unchanged.
type stringConverter struct{}

func newString(props map[string]string, _ bool) (Converter, error) {
	for _, k := range []string{"converter.encoding", "serializer.encoding", "deserializer.encoding"} {
		if v, ok := props[k]; ok {
			switch strings.ToUpper(strings.TrimSpace(v)) {
			case "UTF8", "UTF-8":
			default:
				return nil, fmt.Errorf("%s %q is not supported; only UTF-8 is", k, v)
			}
		}
	}
	return stringConverter{}, nil
}

func (stringConverter) FromConnect(_ string, _ *pluginv1.Schema, v *pluginv1.Value) ([]byte, error) {
	switch k := v.GetKind().(type) {
	case nil:
		return nil, nil
	case *pluginv1.Value_StringValue:
		// The string's own bytes, not a copy (FromConnect's result is read-only): a
		// string value is the whole message, so this saves a copy per record.
		if k.StringValue == "" {
			return []byte{}, nil
		}
		return unsafe.Slice(unsafe.StringData(k.StringValue), len(k.StringValue)), nil
	case *pluginv1.Value_BytesValue:
		return k.BytesValue, nil
	}
	return appendJavaString(nil, v), nil
}

func (stringConverter) ToConnect(_ string, data []byte) (*pluginv1.Schema, *pluginv1.Value, error) {
	if data == nil {
		return optionalString, nil, nil
	}
	s := string(data)
	if !utf8.ValidString(s) {
		// Java's decoder replaces malformed input; a protobuf string must be valid UTF-8.
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return optionalString, &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: s}}, nil
}

// appendJavaString appends v as Java's toString renders the Kafka Connect data it mirrors:
// Struct{a=1,b=x} (null fields left out), [1, 2], {k=v}.
func appendJavaString(dst []byte, v *pluginv1.Value) []byte {
	switch k := v.GetKind().(type) {
	case nil:
		return append(dst, "null"...)
	case *pluginv1.Value_BoolValue:
		return strconv.AppendBool(dst, k.BoolValue)
	case *pluginv1.Value_IntValue:
		return strconv.AppendInt(dst, k.IntValue, 10)
	case *pluginv1.Value_DoubleValue:
		return appendJavaDouble(dst, k.DoubleValue, 64)
	case *pluginv1.Value_StringValue:
		return append(dst, k.StringValue...)
	case *pluginv1.Value_BytesValue:
		return append(dst, k.BytesValue...)
	case *pluginv1.Value_StructValue:
		dst = append(dst, "Struct{"...)
		first := true
		for _, f := range k.StructValue.GetFields() {
			if isNull(f.GetValue()) {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(dst, f.GetName()...)
			dst = append(dst, '=')
			dst = appendJavaString(dst, f.GetValue())
		}
		return append(dst, '}')
	case *pluginv1.Value_ListValue:
		dst = append(dst, '[')
		for i, e := range k.ListValue.GetValues() {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = appendJavaString(dst, e)
		}
		return append(dst, ']')
	case *pluginv1.Value_MapValue:
		dst = append(dst, '{')
		for i, e := range k.MapValue.GetEntries() {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = appendJavaString(dst, e.GetKey())
			dst = append(dst, '=')
			dst = appendJavaString(dst, e.GetValue())
		}
		return append(dst, '}')
	}
	return dst
}
