package convert

import (
	"errors"
	"math"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tributary-dev/tributary/plugins/kc"
	"github.com/tributary-dev/tributary/plugins/protocol"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// WireConverter is a Converter that can also serialize a key or value straight from its
// encoding in the plugin protocol (a pluginv1.Value message), without decoding it into a
// pluginv1.Value first: a source task with no transform to run hands its converters the
// records as its plugin sent them.
type WireConverter interface {
	Converter
	// FromWire returns what FromConnect returns for the Value message b decoded (nil or
	// empty b: a Kafka null, nil bytes). ok is false when it cannot tell: for values
	// other than the plain ones the SDKs write (scalars and structs of them), and for
	// any value FromConnect would refuse. The caller then decodes b and calls
	// FromConnect, which writes the value or says what is wrong with it. The bytes may
	// share memory with b: read them only.
	FromWire(topic string, schema *pluginv1.Schema, b []byte) (out []byte, ok bool)
}

// maxWireDepth bounds the struct nesting appendWire follows; deeper values are left to
// FromConnect.
const maxWireDepth = 32

// FromWire is FromConnect on the encoded value.
func (c *jsonConverter) FromWire(_ string, schema *pluginv1.Schema, b []byte) ([]byte, bool) {
	if len(b) == 0 {
		return nil, true
	}
	if schema == nil || schema.Type == pluginv1.Schema_TYPE_UNSPECIFIED {
		return nil, false // schemaless: only the decoded value says how to write it
	}
	out, err := c.write(schema, func(buf []byte) ([]byte, error) {
		buf, ok := c.w.appendWire(buf, schema, b, 0)
		if !ok {
			return buf, errNotPlain
		}
		return buf, nil
	})
	return out, err == nil
}

// errNotPlain tells write that appendWire left the value to FromConnect.
var errNotPlain = errors.New("not a plain value")

// appendWire appends the Value message b, described by s (not nil), as appendValue
// appends it decoded. ok is false for a value that is not plain (protocol.PlainValue), a
// struct whose fields are not the schema's in its order, and a value appendValue would
// refuse or that needs its default: the caller lets appendValue write those.
func (w *jsonWriter) appendWire(dst []byte, s *pluginv1.Schema, b []byte, depth int) ([]byte, bool) {
	if s == nil || s.Type == pluginv1.Schema_TYPE_UNSPECIFIED || depth > maxWireDepth {
		return dst, false
	}
	num, payload, bits, ok := protocol.PlainValue(b)
	if !ok {
		return dst, false
	}
	if num == 0 { // null
		if s.Optional && (!w.replaceNull || isNull(s.DefaultValue)) {
			return append(dst, "null"...), true
		}
		return dst, false
	}
	switch s.Type {
	case pluginv1.Schema_TYPE_INT8, pluginv1.Schema_TYPE_INT16, pluginv1.Schema_TYPE_INT32, pluginv1.Schema_TYPE_INT64:
		if num != protocol.ValInt || checkIntRange(s.Type, int64(bits)) != nil {
			return dst, false
		}
		return strconv.AppendInt(dst, int64(bits), 10), true
	case pluginv1.Schema_TYPE_FLOAT32, pluginv1.Schema_TYPE_FLOAT64:
		var f float64
		switch num {
		case protocol.ValDouble:
			f = math.Float64frombits(bits)
		case protocol.ValInt:
			f = float64(int64(bits))
		default:
			return dst, false
		}
		size := 64
		if s.Type == pluginv1.Schema_TYPE_FLOAT32 {
			size = 32
		}
		return appendJSONDouble(dst, f, size), true
	case pluginv1.Schema_TYPE_BOOLEAN:
		if num != protocol.ValBool {
			return dst, false
		}
		return strconv.AppendBool(dst, bits != 0), true
	case pluginv1.Schema_TYPE_STRING:
		if num != protocol.ValString {
			return dst, false
		}
		return appendJSONString(dst, payload), true
	case pluginv1.Schema_TYPE_BYTES:
		if num != protocol.ValBytes {
			return dst, false
		}
		if s.Name == DecimalName && w.numericDecimal {
			scale, err := decimalScale(s)
			if err != nil {
				return dst, false
			}
			return kc.AppendDecimal(dst, kc.FromTwosComplement(payload), scale), true
		}
		return appendBase64(dst, payload), true
	case pluginv1.Schema_TYPE_STRUCT:
		if num != protocol.ValStruct {
			return dst, false
		}
		dst = append(dst, '{')
		rest := payload
		for i, f := range s.Fields {
			name, v, next, ok := protocol.NextField(rest)
			if !ok || name != f.GetName() {
				return dst, false
			}
			rest = next
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, name)
			dst = append(dst, ':')
			if dst, ok = w.appendWire(dst, f.GetSchema(), v, depth+1); !ok {
				return dst, false
			}
		}
		if len(rest) > 0 {
			return dst, false // fields the schema lacks
		}
		return append(dst, '}'), true
	}
	return dst, false
}

// FromWire is FromConnect on the encoded value.
func (stringConverter) FromWire(_ string, _ *pluginv1.Schema, b []byte) ([]byte, bool) {
	// Other kinds are written as Java's toString writes them: FromConnect's business.
	return wireBytes(b, protocol.ValString, protocol.ValBytes)
}

// FromWire is FromConnect on the encoded value.
func (byteArrayConverter) FromWire(_ string, schema *pluginv1.Schema, b []byte) ([]byte, bool) {
	if schema != nil && schema.Type != pluginv1.Schema_TYPE_BYTES && schema.Type != pluginv1.Schema_TYPE_UNSPECIFIED {
		return nil, false
	}
	return wireBytes(b, protocol.ValBytes, protocol.ValBytes)
}

// wireBytes returns the content of the Value message b, a null (nil) or a value of kind k1
// or k2, as StringConverter and ByteArrayConverter return it: a value present but empty is
// []byte{}, not a Kafka null.
func wireBytes(b []byte, k1, k2 protowire.Number) ([]byte, bool) {
	num, payload, _, ok := protocol.PlainValue(b)
	switch {
	case !ok:
		return nil, false
	case num == 0:
		return nil, true
	case num != k1 && num != k2:
		return nil, false
	case len(payload) == 0:
		return []byte{}, true
	}
	return payload[:len(payload):len(payload)], true
}
