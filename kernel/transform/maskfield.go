package transform

import (
	"fmt"
	"strconv"

	"github.com/tributary-dev/tributary/kernel/convert"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func init() {
	registerKeyValue("MaskField",
		"Mask specified fields with a valid null value for the field type (i.e. 0, false, empty string, and so on). "+
			"For numeric and string fields, an optional replacement value can be specified that is converted to the correct type.",
		[]keyDef{
			required("fields", tList, high, "Names of fields to mask."),
			nullable("replacement", tString, low, "Custom value replacement, that will be applied to all 'fields' values "+
				"(numeric or non-empty string values only)."),
			replaceNullKey,
		}, newMaskField)
}

const maskPurpose = "mask fields"

type maskField struct {
	sd          side
	fields      []string
	masked      map[string]bool
	replacement *string
	replaceNull bool
}

func newMaskField(sd side, s *settings) Transformation {
	m := &maskField{sd: sd, fields: s.nonEmptyList("fields"), masked: map[string]bool{}}
	for _, f := range m.fields {
		m.masked[f] = true
	}
	if r, ok := s.str("replacement"); ok {
		if r == "" {
			s.invalid("replacement", r, "String must be non-empty")
		}
		m.replacement = &r
	}
	m.replaceNull = s.boolean("replace.null.with.default")
	return m
}

func (m *maskField) Apply(r *pluginv1.Record) (*pluginv1.Record, error) {
	s, v := m.sd.schema(r), m.sd.value(r)
	if isNull(v) {
		return r, nil
	}
	if s == nil {
		o, err := requireObject(v, maskPurpose)
		if err != nil {
			return nil, err
		}
		b := o.builder()
		for _, f := range m.fields {
			cur, _ := o.get(f)
			mv, err := m.mask(nil, cur)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", f, err)
			}
			b.put(f, mv)
		}
		return m.sd.set(r, nil, b.value()), nil
	}
	st, err := requireStruct(s, v, maskPurpose)
	if err != nil {
		return nil, err
	}
	out := make([]*pluginv1.Field, len(s.Fields))
	for i, fd := range s.Fields {
		name := fd.GetName()
		cur := structGet(st, i, name)
		if !m.masked[name] {
			out[i] = keepField(structField(st, i, name), name, cur)
			continue
		}
		mv, err := m.mask(fd.GetSchema(), withDefault(cur, fd.GetSchema(), m.replaceNull))
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", name, err)
		}
		out[i] = &pluginv1.Field{Name: name, Value: fieldVal(mv)}
	}
	return m.sd.set(r, s, structValue(out)), nil
}

// mask returns the masked form of v, whose schema is s (nil when schemaless).
func (m *maskField) mask(s *schema, v *value) (*value, error) {
	if isNull(v) {
		return nil, nil
	}
	if m.replacement != nil {
		return m.replace(s, v)
	}
	switch v.Kind.(type) {
	case *valueBool:
		return boolValue(false), nil
	case *valueInt:
		return intValue(0), nil
	case *valueDouble:
		return doubleValue(0), nil
	case *valueString:
		return stringValue(""), nil
	case *valueBytes:
		if s.GetName() == convert.DecimalName {
			return bytesValue([]byte{0}), nil
		}
	case *valueList:
		return &value{Kind: &valueList{ListValue: &pluginv1.List{}}}, nil
	case *valueMap:
		return mapValue(nil), nil
	case *valueStruct:
		if s == nil { // a schemaless nested object is a Map: it becomes an empty one
			return &value{Kind: &valueStruct{StructValue: &pluginv1.Struct{}}}, nil
		}
	}
	return nil, fmt.Errorf("Cannot mask value of type: %s", maskedType(s, v))
}

// replace is maskWithCustomReplacement: numbers and strings only.
func (m *maskField) replace(s *schema, v *value) (*value, error) {
	text := *m.replacement
	bad := func(err error) error {
		return fmt.Errorf("Unable to convert %s (string) to number for a %s field: %v", text, maskedType(s, v), err)
	}
	switch v.Kind.(type) {
	case *valueString:
		return stringValue(text), nil
	case *valueInt:
		if isLogical(s) { // Date, Time and Timestamp are java.util.Date upstream
			break
		}
		bits := 64
		switch s.GetType() {
		case sInt8:
			bits = 8
		case sInt16:
			bits = 16
		case sInt32:
			bits = 32
		}
		n, err := strconv.ParseInt(text, 10, bits)
		if err != nil {
			return nil, bad(err)
		}
		return intValue(n), nil
	case *valueDouble:
		bits := 64
		if s.GetType() == sFloat32 {
			bits = 32
		}
		f, err := javaParseFloat(text, bits)
		if err != nil {
			return nil, bad(err)
		}
		return doubleValue(f), nil
	case *valueBytes:
		if s.GetName() != convert.DecimalName {
			break
		}
		scale, err := decimalScale(s)
		if err != nil {
			return nil, err
		}
		n, err := parseDecimalAtScale(text, scale)
		if err != nil {
			return nil, bad(err)
		}
		return bytesValue(decimalBytes(n)), nil
	}
	return nil, fmt.Errorf("Cannot mask value of type %s with custom replacement.", maskedType(s, v))
}

// maskedType names a value's type for MaskField's errors: the logical type or schema type
// when there is a schema, else the value's kind.
func maskedType(s *schema, v *value) string {
	if s != nil {
		if s.GetName() != "" {
			return s.GetName()
		}
		return typeName(s.GetType())
	}
	return kindName(v)
}
