package transform

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tributary-dev/tributary/kernel/convert"
	"github.com/tributary-dev/tributary/plugins/kc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func init() {
	registerKeyValue("Cast",
		"Cast fields or the entire key or value to a specific type, e.g. to force an integer field to a smaller "+
			"width. Simple primitive types are supported -- integers, floats, boolean, and string.",
		[]keyDef{
			required("spec", tList, high,
				"List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of "+
					"Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, "+
					"int64, float32, float64, boolean, and string."),
			replaceNullKey,
		}, newCast)
}

const castPurpose = "cast types"

var (
	castInputTypes  = []pluginv1.Schema_Type{sInt8, sInt16, sInt32, sInt64, sFloat32, sFloat64, sBoolean, sString, sBytes}
	castOutputTypes = castInputTypes[:len(castInputTypes)-1]
)

type castTransform struct {
	sd          side
	whole       pluginv1.Schema_Type // the type to cast the whole value to, or unspecified
	fields      []string             // the fields to cast, in spec order
	casts       map[string]pluginv1.Schema_Type
	replaceNull bool
	cache       schemaCache
}

func newCast(sd side, s *settings) Transformation {
	c := &castTransform{sd: sd, casts: map[string]pluginv1.Schema_Type{}}
	spec := s.list("spec")
	if _, ok := s.props["spec"]; ok && len(spec) == 0 {
		s.invalid("spec", "", "Must specify at least one field to cast.")
	}
	for _, m := range spec {
		parts := strings.Split(m, ":")
		switch len(parts) {
		case 1:
			t, err := castType(parts[0])
			if err != nil {
				s.invalid("spec", strings.Join(spec, ","), err.Error())
				continue
			}
			c.whole = t
		case 2:
			t, err := castType(parts[1])
			if err != nil {
				s.invalid("spec", strings.Join(spec, ","), err.Error())
				continue
			}
			name := strings.TrimSpace(parts[0])
			if _, dup := c.casts[name]; !dup {
				c.fields = append(c.fields, name)
			}
			c.casts[name] = t
		default:
			s.invalid("spec", strings.Join(spec, ","), "Invalid cast mapping: "+m)
		}
	}
	if c.whole != pluginv1.Schema_TYPE_UNSPECIFIED && len(spec) > 1 {
		s.invalid("spec", strings.Join(spec, ","), "Cast transformations that specify a type to cast the entire "+
			"value to may only specify a single cast in their spec")
	}
	c.replaceNull = s.boolean("replace.null.with.default")
	return c
}

// castType parses a spec type name and checks it is a supported output type.
func castType(name string) (pluginv1.Schema_Type, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	for _, t := range []pluginv1.Schema_Type{sInt8, sInt16, sInt32, sInt64, sFloat32, sFloat64, sBoolean,
		sString, sBytes, sArray, sMap, sStruct} {
		if typeName(t) == n {
			for _, o := range castOutputTypes {
				if o == t {
					return t, nil
				}
			}
			return 0, fmt.Errorf("Cast transformation does not support casting to %s; supported types are %s",
				n, typeList(castOutputTypes))
		}
	}
	return 0, fmt.Errorf("Invalid type found in casting spec: %s", strings.TrimSpace(name))
}

func typeList(ts []pluginv1.Schema_Type) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = typeName(t)
	}
	return "[" + strings.Join(names, ", ") + "]"
}

func (c *castTransform) Apply(r *pluginv1.Record) (*pluginv1.Record, error) {
	s, v := c.sd.schema(r), c.sd.value(r)
	if s == nil {
		if c.whole != pluginv1.Schema_TYPE_UNSPECIFIED {
			nv, err := castValue(nil, v, c.whole)
			if err != nil {
				return nil, err
			}
			return c.sd.set(r, nil, nv), nil
		}
		if isNull(v) {
			return r, nil
		}
		o, err := requireObject(v, castPurpose)
		if err != nil {
			return nil, err
		}
		b := o.builder()
		for _, name := range c.fields {
			cur, _ := o.get(name)
			nv, err := castValue(nil, cur, c.casts[name])
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", name, err)
			}
			b.put(name, nv)
		}
		return c.sd.set(r, nil, b.value()), nil
	}

	if c.whole != pluginv1.Schema_TYPE_UNSPECIFIED {
		ns, err := c.cache.derive(s, c.wholeSchema)
		if err != nil {
			return nil, err
		}
		nv, err := castValue(s, v, c.whole)
		if err != nil {
			return nil, err
		}
		return c.sd.set(r, ns, nv), nil
	}
	if isNull(v) {
		return r, nil
	}
	st, err := requireStruct(s, v, castPurpose)
	if err != nil {
		return nil, err
	}
	ns, err := c.cache.derive(s, c.structSchema)
	if err != nil {
		return nil, err
	}
	nv, err := c.castStruct(s, st)
	if err != nil {
		return nil, err
	}
	return c.sd.set(r, ns, nv), nil
}

func (c *castTransform) castStruct(s *schema, st *pluginv1.Struct) (*value, error) {
	fields := make([]*pluginv1.Field, len(s.GetFields()))
	for i, fs := range s.GetFields() {
		name := fs.GetName()
		cur := structGet(st, i, name)
		t, ok := c.casts[name]
		if !ok {
			fields[i] = keepField(structField(st, i, name), name, cur)
			continue
		}
		nv, err := castValue(fs.GetSchema(), withDefault(cur, fs.GetSchema(), c.replaceNull), t)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", name, err)
		}
		fields[i] = &pluginv1.Field{Name: name, Value: fieldVal(nv)}
	}
	return structValue(fields), nil
}

func (c *castTransform) wholeSchema(s *schema) (*schema, error) {
	n := copyBasics(s, c.whole)
	if isLogical(s) {
		n.Name, n.Parameters = "", nil
	}
	n.Optional = s.GetOptional()
	if !isNull(s.GetDefaultValue()) {
		d, err := castValue(s, s.GetDefaultValue(), c.whole)
		if err != nil {
			return nil, fmt.Errorf("default value: %w", err)
		}
		n.DefaultValue = d
	}
	return n, nil
}

func (c *castTransform) structSchema(s *schema) (*schema, error) {
	if s.GetType() != sStruct {
		return nil, fmt.Errorf("%s is not a supported parent Schema type for the Cast transformation", typeName(s.GetType()))
	}
	fields := make([]*pluginv1.SchemaField, len(s.GetFields()))
	for i, f := range s.GetFields() {
		t, ok := c.casts[f.GetName()]
		if !ok {
			fields[i] = f
			continue
		}
		fsch := primitive(t, f.GetSchema().GetOptional())
		if d := f.GetSchema().GetDefaultValue(); !isNull(d) {
			cd, err := castValue(f.GetSchema(), d, t)
			if err != nil {
				return nil, fmt.Errorf("field %q default value: %w", f.GetName(), err)
			}
			fsch.DefaultValue = cd
		}
		fields[i] = &pluginv1.SchemaField{Name: f.GetName(), Schema: fsch}
	}
	n := structLike(s, fields)
	if d := s.GetDefaultValue(); !isNull(d) {
		if st, ok := d.Kind.(*valueStruct); ok {
			cd, err := c.castStruct(s, st.StructValue)
			if err != nil {
				return nil, fmt.Errorf("default value: %w", err)
			}
			n.DefaultValue = cd
		}
	}
	return n, nil
}

// inferType is ConnectSchema.schemaType for a schemaless value: JSON integers are longs,
// numbers with a fraction doubles.
func inferType(v *value) pluginv1.Schema_Type {
	switch v.GetKind().(type) {
	case *valueBool:
		return sBoolean
	case *valueInt:
		return sInt64
	case *valueDouble:
		return sFloat64
	case *valueString:
		return sString
	case *valueBytes:
		return sBytes
	case *valueList:
		return sArray
	case *valueMap:
		return sMap
	case *valueStruct:
		return sStruct
	}
	return pluginv1.Schema_TYPE_UNSPECIFIED
}

// castValue is Cast.castValueToType: s is v's schema, nil when schemaless.
func castValue(s *schema, v *value, target pluginv1.Schema_Type) (*value, error) {
	if isNull(v) {
		return nil, nil
	}
	in := inferType(v)
	if s != nil {
		in = s.GetType()
	}
	supported := false
	for _, t := range castInputTypes {
		supported = supported || t == in
	}
	if !supported {
		return nil, fmt.Errorf("Cast transformation does not support casting from %s; supported types are %s",
			typeName(in), typeList(castInputTypes))
	}
	if target == sString {
		return stringValue(castString(s, v)), nil
	}

	// The value as a Java Number, Boolean or String.
	var (
		isInt, isFloat bool // else a Decimal
		i              int64
		f              float64
		dec            decimal
	)
	switch k := v.Kind.(type) {
	case *valueInt:
		isInt, i = true, k.IntValue
	case *valueDouble:
		isFloat, f = true, k.DoubleValue
	case *valueBytes:
		if s.GetName() != convert.DecimalName {
			return nil, fmt.Errorf("Unexpected type in Cast transformation: bytes")
		}
		d, err := readDecimal(s, k.BytesValue)
		if err != nil {
			return nil, err
		}
		dec = d
	case *valueBool:
		b := int64(0)
		if k.BoolValue {
			b = 1
		}
		if target == sBoolean {
			return boolValue(k.BoolValue), nil
		}
		isInt, i = true, b
	case *valueString:
		return parseCast(k.StringValue, target)
	default:
		return nil, fmt.Errorf("Unexpected type in Cast transformation: %s", kindName(v))
	}

	// Number.byteValue, shortValue, …: Java's narrowing rules.
	asLong := func() int64 {
		switch {
		case isInt:
			return i
		case isFloat:
			return javaD2L(f)
		}
		return dec.low64()
	}
	asInt := func() int32 {
		if isFloat {
			return javaD2I(f)
		}
		return int32(asLong())
	}
	switch target {
	case sInt8:
		return intValue(int64(int8(asInt()))), nil
	case sInt16:
		return intValue(int64(int16(asInt()))), nil
	case sInt32:
		return intValue(int64(asInt())), nil
	case sInt64:
		return intValue(asLong()), nil
	case sFloat32:
		switch {
		case isInt:
			return doubleValue(float64(float32(i))), nil
		case isFloat:
			return doubleValue(float64(float32(f))), nil
		}
		return doubleValue(float64(dec.float32())), nil
	case sFloat64:
		switch {
		case isInt:
			return doubleValue(float64(i)), nil
		case isFloat:
			return doubleValue(f), nil
		}
		return doubleValue(dec.float64()), nil
	case sBoolean:
		return boolValue(asLong() != 0), nil
	}
	return nil, fmt.Errorf("%s is not supported in the Cast transformation", typeName(target))
}

// castString is Cast.castToString.
func castString(s *schema, v *value) string {
	switch k := v.Kind.(type) {
	case *valueInt:
		if ms, ok := logicalMillis(s, v); ok {
			return javaDateString(ms)
		}
		return strconv.FormatInt(k.IntValue, 10)
	case *valueDouble:
		if s.GetType() == sFloat32 {
			return kc.FormatFloat(float32(k.DoubleValue))
		}
		return kc.FormatDouble(k.DoubleValue)
	case *valueBool:
		return strconv.FormatBool(k.BoolValue)
	case *valueString:
		return k.StringValue
	case *valueBytes:
		if s.GetName() == convert.DecimalName {
			if d, err := readDecimal(s, k.BytesValue); err == nil {
				return d.String()
			}
		}
		return base64.StdEncoding.EncodeToString(k.BytesValue)
	}
	return kindName(v)
}

// parseCast parses a string as Byte.parseByte, Integer.parseInt, Double.parseDouble, … or
// Boolean.parseBoolean would.
func parseCast(text string, target pluginv1.Schema_Type) (*value, error) {
	outOfRange := func(err error) error {
		reason := "not a number"
		if errors.Is(err, strconv.ErrRange) {
			reason = "out of range"
		}
		return fmt.Errorf("Value (%s) was out of range for requested data type %s (%s)", text, typeName(target), reason)
	}
	bits := map[pluginv1.Schema_Type]int{sInt8: 8, sInt16: 16, sInt32: 32, sInt64: 64}
	switch target {
	case sInt8, sInt16, sInt32, sInt64:
		n, err := strconv.ParseInt(text, 10, bits[target])
		if err != nil {
			return nil, outOfRange(err)
		}
		return intValue(n), nil
	case sFloat32, sFloat64:
		size := 64
		if target == sFloat32 {
			size = 32
		}
		f, err := javaParseFloat(text, size)
		if err != nil {
			return nil, outOfRange(err)
		}
		return doubleValue(f), nil
	case sBoolean:
		return boolValue(kc.IsTrue(text)), nil // Boolean.parseBoolean
	}
	return nil, fmt.Errorf("%s is not supported in the Cast transformation", typeName(target))
}

// javaParseFloat is Float.parseFloat (bits 32) or Double.parseDouble (bits 64).
func javaParseFloat(text string, bits int) (float64, error) {
	if bits == 32 {
		if f, ok := kc.ParseFloat(text); ok {
			return float64(f), nil
		}
	} else if f, ok := kc.ParseDouble(text); ok {
		return f, nil
	}
	return 0, strconv.ErrSyntax
}
