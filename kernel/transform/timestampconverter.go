package transform

import (
	"fmt"
	"strings"

	"github.com/tributary-dev/tributary/kernel/convert"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func init() {
	registerKeyValue("TimestampConverter",
		"Convert timestamps between different formats such as Unix epoch, strings, and Connect Date/Timestamp types. "+
			"Applies to individual fields or to the entire value.",
		[]keyDef{
			optional("field", tString, "", high,
				"The field containing the timestamp, or empty if the entire value is a timestamp"),
			required("target.type", tString, high,
				"The desired timestamp representation: string, unix, Date, Time, or Timestamp"),
			optional("format", tString, "", medium,
				"A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when type=string "+
					"or used to parse the input if the input is a string."),
			optional("unix.precision", tString, "milliseconds", low,
				"The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. "+
					"Used to generate the output when type=unix or used to parse the input if the input type is unix. "+
					"This SMT will cause precision loss during conversions from, and to, values with sub-millisecond components."),
			replaceNullKey,
		}, newTimestampConverter)
}

const tsPurpose = "converting timestamp formats"

// The timestamp representations, as upstream names them in target.type.
const (
	tsString    = "string"
	tsUnix      = "unix"
	tsDate      = "Date"
	tsTime      = "Time"
	tsTimestamp = "Timestamp"
)

type timestampConverter struct {
	sd          side
	field       string
	target      string
	format      *simpleDateFormat // nil when no format is configured
	precision   string
	replaceNull bool
	cache       schemaCache
}

func newTimestampConverter(sd side, s *settings) Transformation {
	t := &timestampConverter{sd: sd}
	t.field, _ = s.str("field")
	t.target = s.oneOf("target.type", tsString, tsUnix, tsDate, tsTime, tsTimestamp)
	pattern, _ := s.str("format")
	if strings.TrimSpace(pattern) != "" {
		f, err := newSimpleDateFormat(pattern)
		if err != nil {
			s.invalid("format", pattern, "TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: "+
				pattern+" ("+err.Error()+")")
		}
		t.format = f
	} else if t.target == tsString {
		s.fail("format", "TimestampConverter requires format option to be specified when using string timestamps")
	}
	t.precision = s.oneOf("unix.precision", "seconds", "milliseconds", "microseconds", "nanoseconds")
	t.replaceNull = s.boolean("replace.null.with.default")
	return t
}

// typeSchema is the schema of the target representation.
func (t *timestampConverter) typeSchema(optional bool) *schema {
	switch t.target {
	case tsString:
		return primitive(sString, optional)
	case tsUnix:
		return primitive(sInt64, optional)
	case tsDate:
		return &schema{Type: sInt32, Name: convert.DateName, Version: 1, Optional: optional}
	case tsTime:
		return &schema{Type: sInt32, Name: convert.TimeName, Version: 1, Optional: optional}
	}
	return &schema{Type: sInt64, Name: convert.TimestampName, Version: 1, Optional: optional}
}

func (t *timestampConverter) Apply(r *pluginv1.Record) (*pluginv1.Record, error) {
	s, v := t.sd.schema(r), t.sd.value(r)
	if s == nil {
		if isNull(v) || t.field == "" {
			nv, err := t.convert(nil, v)
			if err != nil {
				return nil, err
			}
			return t.sd.set(r, nil, nv), nil
		}
		o, err := requireObject(v, tsPurpose)
		if err != nil {
			return nil, err
		}
		b := o.builder()
		cur, _ := o.get(t.field)
		nv, err := t.convert(nil, cur)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", t.field, err)
		}
		b.put(t.field, nv)
		return t.sd.set(r, nil, b.value()), nil
	}

	if t.field == "" {
		nv, err := t.convert(s, v)
		if err != nil {
			return nil, err
		}
		ns, _ := t.cache.derive(s, func(s *schema) (*schema, error) { return t.typeSchema(s.GetOptional()), nil })
		return t.sd.set(r, ns, nv), nil
	}
	ns, err := t.cache.derive(s, t.structSchema)
	if err != nil {
		return nil, err
	}
	if isNull(v) {
		return t.sd.set(r, ns, nil), nil
	}
	st, err := requireStruct(s, v, tsPurpose)
	if err != nil {
		return nil, err
	}
	nv, err := t.convertStruct(s, st)
	if err != nil {
		return nil, err
	}
	return t.sd.set(r, ns, nv), nil
}

func (t *timestampConverter) structSchema(s *schema) (*schema, error) {
	if s.GetType() != sStruct {
		return nil, fmt.Errorf("Only Struct objects supported for [%s], found: %s", tsPurpose, describe(s))
	}
	fields := make([]*pluginv1.SchemaField, len(s.Fields))
	for i, f := range s.Fields {
		if f.GetName() == t.field {
			fields[i] = &pluginv1.SchemaField{Name: f.GetName(), Schema: t.typeSchema(f.GetSchema().GetOptional())}
		} else {
			fields[i] = f
		}
	}
	n := structLike(s, fields)
	if d, ok := s.GetDefaultValue().GetKind().(*valueStruct); ok {
		cd, err := t.convertStruct(s, d.StructValue)
		if err != nil {
			return nil, fmt.Errorf("default value: %w", err)
		}
		n.DefaultValue = cd
	}
	return n, nil
}

func (t *timestampConverter) convertStruct(s *schema, st *pluginv1.Struct) (*value, error) {
	out := make([]*pluginv1.Field, len(s.Fields))
	for i, f := range s.Fields {
		name := f.GetName()
		cur := structGet(st, i, name)
		if name != t.field {
			out[i] = keepField(structField(st, i, name), name, cur)
			continue
		}
		nv, err := t.convert(f.GetSchema(), withDefault(cur, f.GetSchema(), t.replaceNull))
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", name, err)
		}
		out[i] = &pluginv1.Field{Name: name, Value: fieldVal(nv)}
	}
	return structValue(out), nil
}

// convert turns v, described by s (nil when schemaless), into the target representation.
func (t *timestampConverter) convert(s *schema, v *value) (*value, error) {
	if isNull(v) {
		return nil, nil
	}
	var from string
	if s != nil {
		switch {
		case s.Name == convert.TimestampName:
			from = tsTimestamp
		case s.Name == convert.DateName:
			from = tsDate
		case s.Name == convert.TimeName:
			from = tsTime
		case s.Type == sInt64:
			from = tsUnix
		case s.Type == sString:
			from = tsString
		default:
			return nil, fmt.Errorf("Schema %s does not correspond to a known timestamp type format", describe(s))
		}
	} else {
		switch v.Kind.(type) {
		case *valueInt:
			from = tsUnix
		case *valueString:
			from = tsString
		default:
			return nil, fmt.Errorf("TimestampConverter does not support %s objects as timestamps", kindName(v))
		}
	}

	var ms int64
	if from == tsString {
		str, ok := v.Kind.(*valueString)
		if !ok {
			return nil, fmt.Errorf("Expected string timestamp to be a String, but found %s", kindName(v))
		}
		if t.format == nil {
			return nil, fmt.Errorf("TimestampConverter requires format option to be specified when using string timestamps")
		}
		var err error
		if ms, err = t.format.parse(str.StringValue); err != nil {
			return nil, err
		}
	} else {
		n, ok := v.Kind.(*valueInt)
		if !ok {
			return nil, fmt.Errorf("Expected %s timestamp to be an integer, but found %s", from, kindName(v))
		}
		switch from {
		case tsDate:
			ms = n.IntValue * msPerDay
		case tsUnix:
			ms = t.fromUnix(n.IntValue)
		default:
			ms = n.IntValue
		}
	}

	switch t.target {
	case tsString:
		return stringValue(t.format.format(ms)), nil
	case tsUnix:
		return intValue(t.toUnix(ms)), nil
	case tsDate:
		return intValue(floorDiv(ms, msPerDay)), nil
	case tsTime:
		return intValue(ms - floorDiv(ms, msPerDay)*msPerDay), nil
	}
	return intValue(ms), nil
}

func (t *timestampConverter) fromUnix(n int64) int64 {
	switch t.precision {
	case "seconds":
		return saturatingMul(n, 1000)
	case "microseconds":
		return n / 1000
	case "nanoseconds":
		return n / 1_000_000
	}
	return n
}

func (t *timestampConverter) toUnix(ms int64) int64 {
	switch t.precision {
	case "seconds":
		return ms / 1000
	case "microseconds":
		return ms * 1000
	case "nanoseconds":
		return ms * 1_000_000
	}
	return ms
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// saturatingMul is TimeUnit's conversion up: overflow clamps to the int64 range.
func saturatingMul(n, m int64) int64 {
	const maxInt64, minInt64 = int64(^uint64(0) >> 1), -int64(^uint64(0)>>1) - 1
	if n > maxInt64/m {
		return maxInt64
	}
	if n < minInt64/m {
		return minInt64
	}
	return n * m
}
