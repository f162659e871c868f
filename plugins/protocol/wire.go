package protocol

import (
	"google.golang.org/protobuf/encoding/protowire"
)

// PlainValue reads the Value message b as the SDKs write one: no field (null, num 0) or
// exactly one kind field and nothing else. It returns the kind's field number (ValBool,
// ValInt, ValDouble, ValString, ValBytes or ValStruct) and its content: payload for a
// string, bytes or struct (the Struct message), bits for a varint or a fixed64. ok is
// false for anything else (lists, maps, a repeated or unknown field, malformed bytes),
// which only the generated code decodes as protobuf would.
func PlainValue(b []byte) (num protowire.Number, payload []byte, bits uint64, ok bool) {
	if len(b) == 0 {
		return 0, nil, 0, true
	}
	num, typ, l := protowire.ConsumeTag(b)
	if l < 0 {
		return 0, nil, 0, false
	}
	b = b[l:]
	m := -1
	switch {
	case typ == protowire.BytesType && (num == ValString || num == ValBytes || num == ValStruct):
		payload, m = protowire.ConsumeBytes(b)
	case typ == protowire.VarintType && (num == ValInt || num == ValBool):
		bits, m = protowire.ConsumeVarint(b)
	case typ == protowire.Fixed64Type && num == ValDouble:
		bits, m = protowire.ConsumeFixed64(b)
	}
	if m < 0 || m != len(b) {
		return 0, nil, 0, false
	}
	return num, payload, bits, true
}

// NextField reads the first Field of the Struct message b: its name, its Value message
// (nil when it has none: null) and the rest of b. ok is false when b does not start with
// a field as the SDKs write one: a name and at most one value, nothing else.
func NextField(b []byte) (name string, value, rest []byte, ok bool) {
	num, typ, l := protowire.ConsumeTag(b)
	if l < 0 || num != StructFields || typ != protowire.BytesType {
		return "", nil, nil, false
	}
	fb, m := protowire.ConsumeBytes(b[l:])
	if m < 0 {
		return "", nil, nil, false
	}
	rest = b[l+m:]
	var named bool
	for len(fb) > 0 {
		num, typ, l := protowire.ConsumeTag(fb)
		if l < 0 || typ != protowire.BytesType {
			return "", nil, nil, false
		}
		v, m := protowire.ConsumeBytes(fb[l:])
		if m < 0 {
			return "", nil, nil, false
		}
		fb = fb[l+m:]
		switch {
		case num == FieldName && !named:
			name, named = unsafeString(v), true
		case num == FieldValue && value == nil:
			value = v[:len(v):len(v)]
		default:
			return "", nil, nil, false
		}
	}
	return name, value, rest, named
}
