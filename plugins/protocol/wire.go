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
	switch b[0] { // a one-byte tag of a string, bytes or struct: most values
	case ValString<<3 | 2, ValBytes<<3 | 2, ValStruct<<3 | 2:
		num, payload, rest, ok := bytesField(b)
		if !ok || len(rest) > 0 {
			return 0, nil, 0, false
		}
		return num, payload, 0, true
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
	num, fb, rest, ok := bytesField(b)
	if !ok || num != StructFields {
		return "", nil, nil, false
	}
	var named bool
	for len(fb) > 0 {
		num, v, next, ok := bytesField(fb)
		if !ok {
			return "", nil, nil, false
		}
		fb = next
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

// bytesField reads the first field of b, which must be of the bytes wire type: its
// number, its content and the rest of b. A one-byte tag with a length under 128, as
// struct fields, their names and most values have, is read without protowire's calls.
func bytesField(b []byte) (num protowire.Number, v, rest []byte, ok bool) {
	if len(b) >= 2 && b[0] >= 1<<3 && b[0] < 0x80 && b[0]&7 == byte(protowire.BytesType) && b[1] < 0x80 {
		n := int(b[1])
		if n > len(b)-2 {
			return 0, nil, nil, false
		}
		return protowire.Number(b[0] >> 3), b[2 : 2+n], b[2+n:], true
	}
	num, typ, l := protowire.ConsumeTag(b)
	if l < 0 || typ != protowire.BytesType {
		return 0, nil, nil, false
	}
	v, m := protowire.ConsumeBytes(b[l:])
	if m < 0 {
		return 0, nil, nil, false
	}
	return num, v, b[l+m:], true
}
