package convert

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tributary-dev/tributary/plugins/kc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// HeaderConverter turns one record header's value between Kafka bytes and Connect data, as
// Kafka Connect's HeaderConverter. A HeaderConverter is safe for concurrent use.
type HeaderConverter interface {
	// FromConnectHeader serializes the value of header key, described by schema (nil when
	// schemaless), for topic. A null value is a null header value: nil bytes.
	FromConnectHeader(topic, key string, schema *pluginv1.Schema, v *pluginv1.Value) ([]byte, error)
	// ToConnectHeader parses the value of header key read from topic. A null header value
	// (nil data) yields a nil Value.
	ToConnectHeader(topic, key string, data []byte) (*pluginv1.Schema, *pluginv1.Value, error)
}

// SimpleHeaderConverterClass is Kafka Connect's default header converter.
const SimpleHeaderConverterClass = "org.apache.kafka.connect.storage.SimpleHeaderConverter"

// DefaultHeaderClass is the header converter used when neither the connector nor the worker
// names one, as in Kafka Connect.
const DefaultHeaderClass = SimpleHeaderConverterClass

// HeaderClasses returns the header converter class names NewHeader accepts, sorted,
// followed by their short aliases: SimpleHeaderConverter and every record converter.
func HeaderClasses() []string {
	out := []string{SimpleHeaderConverterClass}
	for c := range classes {
		out = append(out, c)
	}
	sort.Strings(out)
	as := []string{"simple"}
	for a := range aliases {
		as = append(as, a)
	}
	sort.Strings(as)
	return append(out, as...)
}

// NewHeader returns the header converter of the named class (a Kafka Connect class name or a
// short alias: "simple", "string", "json", "bytearray"), configured with props: its settings
// with the "header.converter." prefix stripped. A record converter used for headers treats
// each header value as it would a record value, as upstream's converters do.
func NewHeader(class string, props map[string]string) (HeaderConverter, error) {
	name := strings.TrimSpace(class)
	if strings.EqualFold(name, "simple") || name == SimpleHeaderConverterClass {
		return simpleHeaderConverter{}, nil
	}
	if full, ok := aliases[strings.ToLower(name)]; ok {
		name = full
	}
	if _, ok := classes[name]; !ok {
		return nil, fmt.Errorf("unknown header converter class %q; known: %s", class, strings.Join(HeaderClasses(), ", "))
	}
	c, err := New(name, props, false)
	if err != nil {
		return nil, err
	}
	return converterHeader{c}, nil
}

// ConfigureHeader builds a task's header converter from "header.converter" and the settings
// under "header.converter.", choosing between the connector's config (cfg) and the worker
// defaults as Configure does; DefaultHeaderClass when neither names one.
func ConfigureHeader(cfg, defaults map[string]string) (HeaderConverter, error) {
	const prop = "header.converter"
	props := map[string]string{}
	class := strings.TrimSpace(cfg[prop])
	if class == "" {
		class = strings.TrimSpace(defaults[prop])
		if class == "" {
			class = DefaultHeaderClass
		}
		copyPrefixed(props, defaults, prop+".")
	}
	copyPrefixed(props, cfg, prop+".")
	c, err := NewHeader(class, props)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prop, err)
	}
	return c, nil
}

// converterHeader is a record Converter used as a HeaderConverter.
type converterHeader struct{ c Converter }

func (h converterHeader) FromConnectHeader(topic, _ string, schema *pluginv1.Schema, v *pluginv1.Value) ([]byte, error) {
	return h.c.FromConnect(topic, schema, v)
}

func (h converterHeader) ToConnectHeader(topic, _ string, data []byte) (*pluginv1.Schema, *pluginv1.Value, error) {
	return h.c.ToConnect(topic, data)
}

// simpleHeaderConverter is Kafka Connect's SimpleHeaderConverter: a value is written as the
// text Values.convertToString gives it (a string as it is, numbers and booleans as Java
// prints them, bytes in base64, arrays, maps and structs in a JSON-like form, dates in
// ISO 8601), and read back with the type Values.parseString infers from that text.
type simpleHeaderConverter struct{}

func (simpleHeaderConverter) FromConnectHeader(_, key string, schema *pluginv1.Schema, v *pluginv1.Value) ([]byte, error) {
	if isNull(v) {
		return nil, nil
	}
	out, err := appendValueText(make([]byte, 0, 32), schema, v, false)
	if err != nil {
		return nil, fmt.Errorf("header %q: %w", key, err)
	}
	return out, nil
}

func (simpleHeaderConverter) ToConnectHeader(_, _ string, data []byte) (*pluginv1.Schema, *pluginv1.Value, error) {
	if data == nil {
		return nil, nil, nil
	}
	if !utf8.Valid(data) {
		// Upstream falls back to the raw bytes when the value is not text it can parse.
		return &pluginv1.Schema{Type: pluginv1.Schema_TYPE_BYTES}, &pluginv1.Value{Kind: &pluginv1.Value_BytesValue{BytesValue: data}}, nil
	}
	s, v := ParseString(string(data))
	return s, v, nil
}

// appendValueText appends v as Kafka Connect's Values.convertToString renders it. embedded
// says v is inside an array, map or struct: strings are then quoted and escaped.
func appendValueText(dst []byte, schema *pluginv1.Schema, v *pluginv1.Value, embedded bool) ([]byte, error) {
	switch k := v.GetKind().(type) {
	case nil:
		return append(dst, "null"...), nil
	case *pluginv1.Value_BoolValue:
		return strconv.AppendBool(dst, k.BoolValue), nil
	case *pluginv1.Value_IntValue:
		switch schema.GetName() {
		case TimestampName:
			return appendJavaDate(dst, k.IntValue), nil
		case DateName:
			return appendJavaDate(dst, k.IntValue*msPerDay), nil
		case TimeName:
			return appendJavaDate(dst, k.IntValue), nil
		}
		return strconv.AppendInt(dst, k.IntValue, 10), nil
	case *pluginv1.Value_DoubleValue:
		bits := 64
		if schema.GetType() == pluginv1.Schema_TYPE_FLOAT32 {
			bits = 32
		}
		return appendJavaDouble(dst, k.DoubleValue, bits), nil
	case *pluginv1.Value_StringValue:
		if !embedded {
			return append(dst, k.StringValue...), nil
		}
		return appendQuoted(dst, k.StringValue), nil
	case *pluginv1.Value_BytesValue:
		if schema.GetName() == DecimalName {
			scale, err := decimalScale(schema)
			if err != nil {
				return nil, err
			}
			return kc.AppendDecimal(dst, kc.FromTwosComplement(k.BytesValue), scale), nil
		}
		if embedded {
			dst = append(dst, '"')
		}
		dst = base64.StdEncoding.AppendEncode(dst, k.BytesValue)
		if embedded {
			dst = append(dst, '"')
		}
		return dst, nil
	case *pluginv1.Value_ListValue:
		dst = append(dst, '[')
		var err error
		for i, e := range k.ListValue.GetValues() {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendValueText(dst, schema.GetValueSchema(), e, true); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case *pluginv1.Value_MapValue:
		dst = append(dst, '{')
		var err error
		for i, e := range k.MapValue.GetEntries() {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendValueText(dst, schema.GetKeySchema(), e.GetKey(), true); err != nil {
				return nil, err
			}
			dst = append(dst, ':')
			if dst, err = appendValueText(dst, schema.GetValueSchema(), e.GetValue(), true); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case *pluginv1.Value_StructValue:
		dst = append(dst, '{')
		var err error
		for i, f := range k.StructValue.GetFields() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendQuoted(dst, f.GetName())
			var fs *pluginv1.Schema
			for _, sf := range schema.GetFields() {
				if sf.GetName() == f.GetName() {
					fs = sf.GetSchema()
					break
				}
			}
			dst = append(dst, ':')
			if dst, err = appendValueText(dst, fs, f.GetValue(), true); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	}
	return nil, fmt.Errorf("unsupported type for string conversion: %s", KindName(v))
}

// appendQuoted appends s in double quotes, with quotes and backslashes escaped, as
// Values.convertToString writes a string inside an array, map or struct.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

const msPerDay = 24 * 60 * 60 * 1000

// The ISO 8601 forms Kafka Connect's Values writes and reads dates in (always UTC).
const (
	isoTimestamp = "2006-01-02T15:04:05.000Z"
	isoDate      = "2006-01-02"
	isoTime      = "15:04:05.000Z"
)

// appendJavaDate appends a java.util.Date of ms milliseconds as Values does: a time of day
// below one day, a date on a day boundary, a timestamp otherwise.
func appendJavaDate(dst []byte, ms int64) []byte {
	t := time.UnixMilli(ms).UTC()
	switch {
	case ms < msPerDay:
		return t.AppendFormat(dst, isoTime)
	case ms%msPerDay == 0:
		return t.AppendFormat(dst, isoDate)
	}
	return t.AppendFormat(dst, isoTimestamp)
}

// The schemas Values.parseString infers; never modified.
var (
	parsedBoolean   = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_BOOLEAN}
	parsedString    = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRING}
	parsedInt8      = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT8}
	parsedInt16     = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT16}
	parsedInt32     = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT32}
	parsedInt64     = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT64}
	parsedFloat32   = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_FLOAT32}
	parsedFloat64   = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_FLOAT64}
	parsedTimestamp = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT64, Name: TimestampName, Version: 1}
	parsedDate      = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT32, Name: DateName, Version: 1}
	parsedTime      = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT32, Name: TimeName, Version: 1}
)

// ParseString infers a typed value from text, as Kafka Connect's Values.parseString does
// for the common cases: "" and blank text stay strings; null; true and false; integers as
// the smallest of int8, int16, int32 and int64 that holds them (a number with only zeros
// after the point counts as an integer, beyond int64 it is a Decimal); other numbers as
// float32, else float64, else Decimal; ISO 8601 timestamps (2006-01-02T15:04:05.000Z),
// dates and times (15:04:05.000Z) as the logical types; [a,b] as an array and {k:v} as a
// map of values in the same forms, with strings quoted. Anything else is the string itself.
// A nil Value is null.
func ParseString(s string) (*pluginv1.Schema, *pluginv1.Value) {
	t := strings.TrimSpace(s)
	if t == "" {
		return parsedString, stringValue(s)
	}
	if t[0] == '[' || t[0] == '{' {
		p := &textParser{s: t}
		if sch, v, err := p.value(); err == nil {
			if p.ws(); p.pos == len(p.s) {
				return sch, v
			}
		}
		return parsedString, stringValue(s)
	}
	if sch, v, ok := parseScalar(t); ok {
		return sch, v
	}
	return parsedString, stringValue(s)
}

// parseScalar reads a whole token as null, a boolean, a number or a date.
func parseScalar(t string) (*pluginv1.Schema, *pluginv1.Value, bool) {
	switch t {
	case "null":
		return nil, nil, true
	case "true", "false":
		return parsedBoolean, &pluginv1.Value{Kind: &pluginv1.Value_BoolValue{BoolValue: t == "true"}}, true
	}
	if s, v, ok := parseNumber(t); ok {
		return s, v, true
	}
	return parseTemporal(t)
}

var numberText = regexp.MustCompile(`^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$`)

// parseNumber reads t as Java's BigDecimal would, then picks the type Values would.
func parseNumber(t string) (*pluginv1.Schema, *pluginv1.Value, bool) {
	if c := t[0]; !(c >= '0' && c <= '9') && c != '+' && c != '-' || !numberText.MatchString(t) {
		return nil, nil, false
	}
	mant, exp := t, 0
	if i := strings.IndexAny(t, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(t[i+1:], "+"))
		if err != nil {
			return nil, nil, false // an exponent beyond int range: not a number Java reads either
		}
		mant, exp = t[:i], e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	unscaled, ok := new(big.Int).SetString(strings.TrimLeft(intPart, "+")+frac, 10)
	if !ok {
		return nil, nil, false
	}
	scale := len(frac) - exp
	// An integral value: the unscaled digits divided by 10^scale leave no remainder.
	integral := new(big.Int).Set(unscaled)
	exact := true
	if scale > 0 {
		var rem big.Int
		integral.QuoRem(unscaled, pow10(scale), &rem)
		exact = rem.Sign() == 0
	} else if scale < 0 {
		integral.Mul(unscaled, pow10(-scale))
	}
	if exact && integral.IsInt64() {
		n := integral.Int64()
		s := parsedInt64
		switch {
		case n == int64(int8(n)):
			s = parsedInt8
		case n == int64(int16(n)):
			s = parsedInt16
		case n == int64(int32(n)):
			s = parsedInt32
		}
		return s, &pluginv1.Value{Kind: &pluginv1.Value_IntValue{IntValue: n}}, true
	}
	if scale != 0 {
		if f, err := strconv.ParseFloat(t, 32); err == nil && !math.IsInf(f, 0) {
			return parsedFloat32, &pluginv1.Value{Kind: &pluginv1.Value_DoubleValue{DoubleValue: float64(float32(f))}}, true
		}
		if f, err := strconv.ParseFloat(t, 64); err == nil && !math.IsInf(f, 0) {
			return parsedFloat64, &pluginv1.Value{Kind: &pluginv1.Value_DoubleValue{DoubleValue: f}}, true
		}
	}
	s := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_BYTES, Name: DecimalName, Version: 1,
		Parameters: map[string]string{"scale": strconv.Itoa(scale)}}
	return s, &pluginv1.Value{Kind: &pluginv1.Value_BytesValue{BytesValue: kc.ToTwosComplement(unscaled)}}, true
}

// parseTemporal reads t as an ISO 8601 timestamp, date or time, all UTC.
func parseTemporal(t string) (*pluginv1.Schema, *pluginv1.Value, bool) {
	if t[0] < '0' || t[0] > '9' {
		return nil, nil, false
	}
	if ts, err := time.Parse(isoTimestamp, t); err == nil {
		return parsedTimestamp, &pluginv1.Value{Kind: &pluginv1.Value_IntValue{IntValue: ts.UnixMilli()}}, true
	}
	if d, err := time.Parse(isoDate, t); err == nil {
		return parsedDate, &pluginv1.Value{Kind: &pluginv1.Value_IntValue{IntValue: d.Unix() / 86400}}, true
	}
	if tm, err := time.Parse(isoTime, t); err == nil {
		ms := int64(tm.Hour())*3600000 + int64(tm.Minute())*60000 + int64(tm.Second())*1000 + int64(tm.Nanosecond()/1e6)
		return parsedTime, &pluginv1.Value{Kind: &pluginv1.Value_IntValue{IntValue: ms}}, true
	}
	return nil, nil, false
}

// textParser reads the values embedded in an array or map of Values' text form.
type textParser struct {
	s     string
	pos   int
	depth int
}

var embeddedTemporal = regexp.MustCompile(`^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z|[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z)`)

func (p *textParser) ws() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n' || p.s[p.pos] == '\r') {
		p.pos++
	}
}

func (p *textParser) value() (*pluginv1.Schema, *pluginv1.Value, error) {
	p.ws()
	if p.pos == len(p.s) {
		return nil, nil, fmt.Errorf("unexpected end of text")
	}
	switch p.s[p.pos] {
	case '"':
		return p.quoted()
	case '[':
		return p.array()
	case '{':
		return p.mapValue()
	}
	if m := embeddedTemporal.FindString(p.s[p.pos:]); m != "" {
		p.pos += len(m)
		s, v, _ := parseTemporal(m)
		if s != nil {
			return s, v, nil
		}
		p.pos -= len(m)
	}
	end := p.pos
	for end < len(p.s) && !strings.ContainsRune(",:]}", rune(p.s[end])) {
		end++
	}
	tok := strings.TrimSpace(p.s[p.pos:end])
	if tok == "" {
		return nil, nil, fmt.Errorf("empty element at %d", p.pos)
	}
	s, v, ok := parseScalar(tok)
	if !ok {
		return nil, nil, fmt.Errorf("unquoted string %q in an array or map", tok)
	}
	p.pos = end
	return s, v, nil
}

func (p *textParser) quoted() (*pluginv1.Schema, *pluginv1.Value, error) {
	var b strings.Builder
	for p.pos++; p.pos < len(p.s); p.pos++ {
		switch c := p.s[p.pos]; c {
		case '"':
			p.pos++
			return parsedString, stringValue(b.String()), nil
		case '\\':
			if p.pos+1 < len(p.s) {
				p.pos++
			}
			b.WriteByte(p.s[p.pos])
		default:
			b.WriteByte(c)
		}
	}
	return nil, nil, fmt.Errorf("unterminated string")
}

func (p *textParser) enter() error {
	if p.depth++; p.depth > maxDepth {
		return fmt.Errorf("nested too deeply")
	}
	p.pos++
	return nil
}

func (p *textParser) array() (*pluginv1.Schema, *pluginv1.Value, error) {
	if err := p.enter(); err != nil {
		return nil, nil, err
	}
	defer func() { p.depth-- }()
	list := &pluginv1.List{}
	var elem schemaMerger
	p.ws()
	if p.pos < len(p.s) && p.s[p.pos] == ']' {
		p.pos++
		return nil, &pluginv1.Value{Kind: &pluginv1.Value_ListValue{ListValue: list}}, nil
	}
	for {
		s, v, err := p.value()
		if err != nil {
			return nil, nil, err
		}
		elem.add(s, v)
		if v == nil {
			v = &pluginv1.Value{}
		}
		list.Values = append(list.Values, v)
		p.ws()
		if p.pos == len(p.s) {
			return nil, nil, fmt.Errorf("unterminated array")
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
			continue
		case ']':
			p.pos++
			var s *pluginv1.Schema
			if es := elem.schema(); es != nil {
				s = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_ARRAY, ValueSchema: es}
			}
			return s, &pluginv1.Value{Kind: &pluginv1.Value_ListValue{ListValue: list}}, nil
		}
		return nil, nil, fmt.Errorf("expected , or ] at %d", p.pos)
	}
}

func (p *textParser) mapValue() (*pluginv1.Schema, *pluginv1.Value, error) {
	if err := p.enter(); err != nil {
		return nil, nil, err
	}
	defer func() { p.depth-- }()
	m := &pluginv1.Map{}
	var keys, values schemaMerger
	p.ws()
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		p.pos++
		return nil, &pluginv1.Value{Kind: &pluginv1.Value_MapValue{MapValue: m}}, nil
	}
	for {
		ks, k, err := p.value()
		if err != nil {
			return nil, nil, err
		}
		if p.ws(); p.pos == len(p.s) || p.s[p.pos] != ':' {
			return nil, nil, fmt.Errorf("expected : at %d", p.pos)
		}
		p.pos++
		vs, v, err := p.value()
		if err != nil {
			return nil, nil, err
		}
		keys.add(ks, k)
		values.add(vs, v)
		if k == nil {
			k = &pluginv1.Value{}
		}
		if v == nil {
			v = &pluginv1.Value{}
		}
		m.Entries = append(m.Entries, &pluginv1.MapEntry{Key: k, Value: v})
		p.ws()
		if p.pos == len(p.s) {
			return nil, nil, fmt.Errorf("unterminated map")
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
			continue
		case '}':
			p.pos++
			var s *pluginv1.Schema
			if k, v := keys.schema(), values.schema(); k != nil && v != nil {
				s = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_MAP, KeySchema: k, ValueSchema: v}
			}
			return s, &pluginv1.Value{Kind: &pluginv1.Value_MapValue{MapValue: m}}, nil
		}
		return nil, nil, fmt.Errorf("expected , or } at %d", p.pos)
	}
}

// schemaMerger finds the one schema all elements of an array (or all keys or values of a
// map) share: integers widen to the widest integer type seen; nulls make it optional; a
// mix of other types has none.
type schemaMerger struct {
	s        *pluginv1.Schema
	mixed    bool
	nullSeen bool
}

func (m *schemaMerger) add(s *pluginv1.Schema, v *pluginv1.Value) {
	if v == nil {
		m.nullSeen = true
		return
	}
	switch {
	case m.mixed:
	case s == nil:
		m.mixed = true
	case m.s == nil:
		m.s = s
	case isIntSchema(m.s) && isIntSchema(s):
		if s.Type > m.s.Type {
			m.s = s
		}
	case m.s.Type != s.Type || m.s.Name != s.Name || m.s.Parameters["scale"] != s.Parameters["scale"]:
		m.mixed = true
	}
}

func (m *schemaMerger) schema() *pluginv1.Schema {
	if m.mixed || m.s == nil {
		return nil
	}
	if !m.nullSeen {
		return m.s
	}
	return &pluginv1.Schema{Type: m.s.Type, Optional: true, Name: m.s.Name, Version: m.s.Version,
		Parameters: m.s.Parameters, KeySchema: m.s.KeySchema, ValueSchema: m.s.ValueSchema}
}

func isIntSchema(s *pluginv1.Schema) bool {
	return s.Name == "" && s.Type >= pluginv1.Schema_TYPE_INT8 && s.Type <= pluginv1.Schema_TYPE_INT64
}
