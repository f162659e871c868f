package convert

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tributary-dev/tributary/plugins/kc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// maxDepth bounds nesting so hostile input cannot make the reader recurse without end.
const maxDepth = 1000

// jsonReader parses one JSON document straight into Connect data: schemaless (objects
// become maps with string keys, in document order) or guided by a schema.
type jsonReader struct {
	data        []byte
	pos         int
	depth       int
	replaceNull bool
}

func (r *jsonReader) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at offset %d: %s", r.pos, fmt.Sprintf(format, args...))
}

func (r *jsonReader) ws() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// peek returns the next significant byte, or 0 at the end.
func (r *jsonReader) peek() byte {
	r.ws()
	if r.pos >= len(r.data) {
		return 0
	}
	return r.data[r.pos]
}

func (r *jsonReader) expect(c byte) error {
	if r.peek() != c {
		if r.pos >= len(r.data) {
			return r.errorf("expected %q, found end of input", c)
		}
		return r.errorf("expected %q, found %q", c, r.data[r.pos])
	}
	r.pos++
	return nil
}

// end checks that nothing but whitespace follows the document.
func (r *jsonReader) end() error {
	if r.peek() != 0 {
		return r.errorf("unexpected data after the JSON value")
	}
	return nil
}

func (r *jsonReader) literal(lit string) error {
	if len(r.data)-r.pos < len(lit) || string(r.data[r.pos:r.pos+len(lit)]) != lit {
		return r.errorf("invalid literal")
	}
	r.pos += len(lit)
	return nil
}

// optionalStr reads a string into dst, or leaves dst alone when the value is null.
func (r *jsonReader) optionalStr(dst *string) error {
	null, err := r.isNullNext()
	if err != nil || null {
		return err
	}
	*dst, err = r.str()
	return err
}

// isNullNext consumes a null literal if one is next.
func (r *jsonReader) isNullNext() (bool, error) {
	if r.peek() != 'n' {
		return false, nil
	}
	return true, r.literal("null")
}

func (r *jsonReader) enter() error {
	r.depth++
	if r.depth > maxDepth {
		return r.errorf("nested deeper than %d", maxDepth)
	}
	return nil
}

// str reads a string. The returned bytes alias the input when it has no escapes.
func (r *jsonReader) strBytes() ([]byte, error) {
	if err := r.expect('"'); err != nil {
		return nil, err
	}
	start := r.pos
	for i := start; i < len(r.data); i++ {
		switch c := r.data[i]; {
		case c == '"':
			r.pos = i + 1
			if !utf8.Valid(r.data[start:i]) {
				return nil, r.errorf("string is not valid UTF-8")
			}
			return r.data[start:i], nil
		case c == '\\':
			return r.escaped(start, i)
		case c < 0x20:
			r.pos = i
			return nil, r.errorf("control character in string")
		}
	}
	r.pos = len(r.data)
	return nil, r.errorf("unterminated string")
}

func (r *jsonReader) escaped(start, i int) ([]byte, error) {
	out := append([]byte(nil), r.data[start:i]...)
	for i < len(r.data) {
		c := r.data[i]
		switch {
		case c == '"':
			r.pos = i + 1
			if !utf8.Valid(out) {
				return nil, r.errorf("string is not valid UTF-8")
			}
			return out, nil
		case c < 0x20:
			r.pos = i
			return nil, r.errorf("control character in string")
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(r.data) {
			break
		}
		e := r.data[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r1, ok := hex4(r.data, i)
			if !ok {
				r.pos = i
				return nil, r.errorf("invalid \\u escape")
			}
			i += 4
			if utf16.IsSurrogate(r1) {
				if r2, ok := hex4(r.data, i+2); ok && i+1 < len(r.data) && r.data[i] == '\\' && r.data[i+1] == 'u' {
					if d := utf16.DecodeRune(r1, r2); d != utf8.RuneError {
						i += 6
						out = utf8.AppendRune(out, d)
						continue
					}
				}
				r1 = utf8.RuneError
			}
			out = utf8.AppendRune(out, r1)
		default:
			r.pos = i - 1
			return nil, r.errorf("invalid escape %q", e)
		}
	}
	r.pos = len(r.data)
	return nil, r.errorf("unterminated string")
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func (r *jsonReader) str() (string, error) {
	b, err := r.strBytes()
	return string(b), err
}

// number reads a number: integral ones that fit an int64 as ints, the rest as doubles.
// text is the number as written (it aliases the input).
func (r *jsonReader) number() (n int64, f float64, isInt bool, text []byte, err error) {
	r.ws()
	start := r.pos
	i := start
	if i < len(r.data) && r.data[i] == '-' {
		i++
	}
	digits := i
	for i < len(r.data) && r.data[i] >= '0' && r.data[i] <= '9' {
		i++
	}
	if i == digits || (r.data[digits] == '0' && i-digits > 1) {
		return 0, 0, false, nil, r.errorf("invalid number")
	}
	integral := true
	if i < len(r.data) && r.data[i] == '.' {
		integral = false
		i++
		d := i
		for i < len(r.data) && r.data[i] >= '0' && r.data[i] <= '9' {
			i++
		}
		if i == d {
			return 0, 0, false, nil, r.errorf("invalid number")
		}
	}
	if i < len(r.data) && (r.data[i] == 'e' || r.data[i] == 'E') {
		integral = false
		i++
		if i < len(r.data) && (r.data[i] == '+' || r.data[i] == '-') {
			i++
		}
		d := i
		for i < len(r.data) && r.data[i] >= '0' && r.data[i] <= '9' {
			i++
		}
		if i == d {
			return 0, 0, false, nil, r.errorf("invalid number")
		}
	}
	r.pos = i
	text = r.data[start:i]
	if integral {
		if n, ok := parseInt(text); ok {
			return n, float64(n), true, text, nil
		}
	}
	f, perr := strconv.ParseFloat(string(text), 64)
	if perr != nil && !math.IsInf(f, 0) {
		return 0, 0, false, nil, r.errorf("invalid number %q", text)
	}
	return int64(f), f, false, text, nil
}

// parseInt parses a validated optionally-negative decimal integer without allocating.
func parseInt(b []byte) (int64, bool) {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var u uint64
	for _, c := range b {
		if u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// skip passes over one value of any kind and returns its text.
func (r *jsonReader) skip() ([]byte, error) {
	r.ws()
	start := r.pos
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer func() { r.depth-- }()
	switch r.peek() {
	case '{':
		r.pos++
		if r.peek() == '}' {
			r.pos++
			break
		}
		for {
			if _, err := r.strBytes(); err != nil {
				return nil, err
			}
			if err := r.expect(':'); err != nil {
				return nil, err
			}
			if _, err := r.skip(); err != nil {
				return nil, err
			}
			if r.peek() == ',' {
				r.pos++
				continue
			}
			if err := r.expect('}'); err != nil {
				return nil, err
			}
			break
		}
	case '[':
		r.pos++
		if r.peek() == ']' {
			r.pos++
			break
		}
		for {
			if _, err := r.skip(); err != nil {
				return nil, err
			}
			if r.peek() == ',' {
				r.pos++
				continue
			}
			if err := r.expect(']'); err != nil {
				return nil, err
			}
			break
		}
	case '"':
		if _, err := r.strBytes(); err != nil {
			return nil, err
		}
	case 't':
		if err := r.literal("true"); err != nil {
			return nil, err
		}
	case 'f':
		if err := r.literal("false"); err != nil {
			return nil, err
		}
	case 'n':
		if err := r.literal("null"); err != nil {
			return nil, err
		}
	default:
		if _, _, _, _, err := r.number(); err != nil {
			return nil, err
		}
	}
	return r.data[start:r.pos], nil
}

// schemaless reads any value: objects become maps keyed by strings, integral numbers ints,
// other numbers doubles. JSON null is a Value with no kind.
func (r *jsonReader) schemaless() (*pluginv1.Value, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer func() { r.depth-- }()
	switch c := r.peek(); c {
	case '{':
		r.pos++
		m := &pluginv1.Map{}
		if r.peek() == '}' {
			r.pos++
			return &pluginv1.Value{Kind: &pluginv1.Value_MapValue{MapValue: m}}, nil
		}
		for {
			k, err := r.str()
			if err != nil {
				return nil, err
			}
			if err := r.expect(':'); err != nil {
				return nil, err
			}
			v, err := r.schemaless()
			if err != nil {
				return nil, err
			}
			m.Entries = append(m.Entries, &pluginv1.MapEntry{Key: stringValue(k), Value: v})
			if r.peek() == ',' {
				r.pos++
				continue
			}
			if err := r.expect('}'); err != nil {
				return nil, err
			}
			return &pluginv1.Value{Kind: &pluginv1.Value_MapValue{MapValue: m}}, nil
		}
	case '[':
		r.pos++
		l := &pluginv1.List{}
		if r.peek() == ']' {
			r.pos++
			return &pluginv1.Value{Kind: &pluginv1.Value_ListValue{ListValue: l}}, nil
		}
		for {
			v, err := r.schemaless()
			if err != nil {
				return nil, err
			}
			l.Values = append(l.Values, v)
			if r.peek() == ',' {
				r.pos++
				continue
			}
			if err := r.expect(']'); err != nil {
				return nil, err
			}
			return &pluginv1.Value{Kind: &pluginv1.Value_ListValue{ListValue: l}}, nil
		}
	case '"':
		s, err := r.str()
		if err != nil {
			return nil, err
		}
		return stringValue(s), nil
	case 't', 'f':
		b, err := r.boolean()
		if err != nil {
			return nil, err
		}
		return &pluginv1.Value{Kind: &pluginv1.Value_BoolValue{BoolValue: b}}, nil
	case 'n':
		if err := r.literal("null"); err != nil {
			return nil, err
		}
		return &pluginv1.Value{}, nil
	case 0:
		return nil, r.errorf("unexpected end of input")
	default:
		if c != '-' && (c < '0' || c > '9') {
			return nil, r.errorf("unexpected character %q", c)
		}
		n, f, isInt, _, err := r.number()
		if err != nil {
			return nil, err
		}
		if isInt {
			return &pluginv1.Value{Kind: &pluginv1.Value_IntValue{IntValue: n}}, nil
		}
		return &pluginv1.Value{Kind: &pluginv1.Value_DoubleValue{DoubleValue: f}}, nil
	}
}

func (r *jsonReader) boolean() (bool, error) {
	if r.peek() == 't' {
		return true, r.literal("true")
	}
	if r.peek() == 'f' {
		return false, r.literal("false")
	}
	return false, r.errorf("expected a boolean")
}

func stringValue(s string) *pluginv1.Value {
	return &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: s}}
}

// nullFor is what a JSON null (or a missing struct field) becomes under schema s.
func (r *jsonReader) nullFor(s *pluginv1.Schema) (*pluginv1.Value, error) {
	if r.replaceNull && !isNull(s.DefaultValue) {
		return s.DefaultValue, nil
	}
	if s.Optional {
		return nil, nil
	}
	return nil, r.errorf("invalid null value for required %s field", typeName(s.Type))
}

// typed reads a value as schema s describes it, as JsonConverter.convertToConnect.
// A null under an optional schema is returned as a nil Value.
func (r *jsonReader) typed(s *pluginv1.Schema) (*pluginv1.Value, error) {
	if null, err := r.isNullNext(); err != nil || null {
		if err != nil {
			return nil, err
		}
		return r.nullFor(s)
	}
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer func() { r.depth-- }()
	switch s.Type {
	case pluginv1.Schema_TYPE_INT8, pluginv1.Schema_TYPE_INT16, pluginv1.Schema_TYPE_INT32, pluginv1.Schema_TYPE_INT64:
		if c := r.peek(); c != '-' && (c < '0' || c > '9') {
			return nil, r.errorf("expected a number for %s", typeName(s.Type))
		}
		n, f, isInt, _, err := r.number()
		if err != nil {
			return nil, err
		}
		if !isInt && (f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64) {
			return nil, r.errorf("%s is not a valid %s", strconv.FormatFloat(f, 'g', -1, 64), typeName(s.Type))
		}
		if err := checkIntRange(s.Type, n); err != nil {
			return nil, r.errorf("%v", err)
		}
		return &pluginv1.Value{Kind: &pluginv1.Value_IntValue{IntValue: n}}, nil
	case pluginv1.Schema_TYPE_FLOAT32, pluginv1.Schema_TYPE_FLOAT64:
		if c := r.peek(); c == '"' {
			// Jackson writes NaN and the infinities as strings.
			t, err := r.str()
			if err != nil {
				return nil, err
			}
			switch t {
			case "NaN":
				return &pluginv1.Value{Kind: &pluginv1.Value_DoubleValue{DoubleValue: math.NaN()}}, nil
			case "Infinity":
				return &pluginv1.Value{Kind: &pluginv1.Value_DoubleValue{DoubleValue: math.Inf(1)}}, nil
			case "-Infinity":
				return &pluginv1.Value{Kind: &pluginv1.Value_DoubleValue{DoubleValue: math.Inf(-1)}}, nil
			}
			return nil, r.errorf("expected a number for %s", typeName(s.Type))
		} else if c != '-' && (c < '0' || c > '9') {
			return nil, r.errorf("expected a number for %s", typeName(s.Type))
		}
		_, f, _, _, err := r.number()
		if err != nil {
			return nil, err
		}
		if s.Type == pluginv1.Schema_TYPE_FLOAT32 {
			f = float64(float32(f)) // as Jackson's floatValue()
		}
		return &pluginv1.Value{Kind: &pluginv1.Value_DoubleValue{DoubleValue: f}}, nil
	case pluginv1.Schema_TYPE_BOOLEAN:
		b, err := r.boolean()
		if err != nil {
			return nil, err
		}
		return &pluginv1.Value{Kind: &pluginv1.Value_BoolValue{BoolValue: b}}, nil
	case pluginv1.Schema_TYPE_STRING:
		if r.peek() != '"' {
			return nil, r.errorf("expected a string")
		}
		v, err := r.str()
		if err != nil {
			return nil, err
		}
		return stringValue(v), nil
	case pluginv1.Schema_TYPE_BYTES:
		return r.bytesValue(s)
	case pluginv1.Schema_TYPE_ARRAY:
		if err := r.expect('['); err != nil {
			return nil, err
		}
		l := &pluginv1.List{}
		if r.peek() == ']' {
			r.pos++
			return &pluginv1.Value{Kind: &pluginv1.Value_ListValue{ListValue: l}}, nil
		}
		for {
			v, err := r.element(s.ValueSchema)
			if err != nil {
				return nil, err
			}
			l.Values = append(l.Values, v)
			if r.peek() == ',' {
				r.pos++
				continue
			}
			if err := r.expect(']'); err != nil {
				return nil, err
			}
			return &pluginv1.Value{Kind: &pluginv1.Value_ListValue{ListValue: l}}, nil
		}
	case pluginv1.Schema_TYPE_MAP:
		return r.mapValue(s)
	case pluginv1.Schema_TYPE_STRUCT:
		return r.structValue(s)
	}
	return nil, fmt.Errorf("schema %q has no valid type (%s)", s.Name, s.Type)
}

// element reads a list element or map key/value: nulls are kept as Values with no kind,
// since a repeated message field cannot hold nil.
func (r *jsonReader) element(s *pluginv1.Schema) (*pluginv1.Value, error) {
	v, err := r.typed(s)
	if v == nil && err == nil {
		v = &pluginv1.Value{}
	}
	return v, err
}

func (r *jsonReader) bytesValue(s *pluginv1.Schema) (*pluginv1.Value, error) {
	if s.Name == DecimalName && r.peek() != '"' {
		// decimal.format=NUMERIC: a JSON number; it is read whichever format is configured.
		if c := r.peek(); c != '-' && (c < '0' || c > '9') {
			return nil, r.errorf("expected a number or base64 string for a decimal")
		}
		_, _, _, text, err := r.number()
		if err != nil {
			return nil, err
		}
		scale, err := decimalScale(s)
		if err != nil {
			return nil, err
		}
		rat, ok := new(big.Rat).SetString(string(text))
		if !ok {
			return nil, r.errorf("invalid decimal %q", text)
		}
		rat.Mul(rat, new(big.Rat).SetFrac(pow10(scale), big.NewInt(1)))
		if !rat.IsInt() {
			return nil, r.errorf("decimal %s has more than %d fractional digits", text, scale)
		}
		return &pluginv1.Value{Kind: &pluginv1.Value_BytesValue{BytesValue: kc.ToTwosComplement(rat.Num())}}, nil
	}
	if r.peek() != '"' {
		return nil, r.errorf("expected a base64 string for bytes")
	}
	b, err := r.strBytes()
	if err != nil {
		return nil, err
	}
	out, err := base64.StdEncoding.AppendDecode(nil, b)
	if err != nil {
		if out, err = base64.RawStdEncoding.AppendDecode(nil, b); err != nil {
			return nil, r.errorf("invalid base64 in bytes value: %v", err)
		}
	}
	if out == nil {
		out = []byte{}
	}
	return &pluginv1.Value{Kind: &pluginv1.Value_BytesValue{BytesValue: out}}, nil
}

func pow10(n int) *big.Int {
	if n < 0 {
		return big.NewInt(1)
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

func (r *jsonReader) mapValue(s *pluginv1.Schema) (*pluginv1.Value, error) {
	m := &pluginv1.Map{}
	out := &pluginv1.Value{Kind: &pluginv1.Value_MapValue{MapValue: m}}
	if s.KeySchema.GetType() == pluginv1.Schema_TYPE_STRING {
		if err := r.expect('{'); err != nil {
			return nil, err
		}
		if r.peek() == '}' {
			r.pos++
			return out, nil
		}
		for {
			k, err := r.str()
			if err != nil {
				return nil, err
			}
			if err := r.expect(':'); err != nil {
				return nil, err
			}
			v, err := r.element(s.ValueSchema)
			if err != nil {
				return nil, err
			}
			m.Entries = append(m.Entries, &pluginv1.MapEntry{Key: stringValue(k), Value: v})
			if r.peek() == ',' {
				r.pos++
				continue
			}
			return out, r.expect('}')
		}
	}
	if s.KeySchema == nil || s.ValueSchema == nil {
		return nil, fmt.Errorf("map schema %q needs a key and a value schema", s.Name)
	}
	if err := r.expect('['); err != nil {
		return nil, err
	}
	if r.peek() == ']' {
		r.pos++
		return out, nil
	}
	for {
		if err := r.expect('['); err != nil {
			return nil, err
		}
		k, err := r.element(s.KeySchema)
		if err != nil {
			return nil, err
		}
		if err := r.expect(','); err != nil {
			return nil, err
		}
		v, err := r.element(s.ValueSchema)
		if err != nil {
			return nil, err
		}
		if err := r.expect(']'); err != nil {
			return nil, err
		}
		m.Entries = append(m.Entries, &pluginv1.MapEntry{Key: k, Value: v})
		if r.peek() == ',' {
			r.pos++
			continue
		}
		return out, r.expect(']')
	}
}

func (r *jsonReader) structValue(s *pluginv1.Schema) (*pluginv1.Value, error) {
	if err := r.expect('{'); err != nil {
		return nil, err
	}
	fields := make([]*pluginv1.Field, len(s.Fields))
	slab := make([]pluginv1.Field, len(s.Fields))
	next := 0
	if r.peek() == '}' {
		r.pos++
	} else {
		for {
			name, err := r.strBytes()
			if err != nil {
				return nil, err
			}
			if err := r.expect(':'); err != nil {
				return nil, err
			}
			i := -1
			if next < len(s.Fields) && s.Fields[next].GetName() == string(name) {
				i = next
			} else {
				for j, f := range s.Fields {
					if f.GetName() == string(name) {
						i = j
						break
					}
				}
			}
			if i < 0 || fields[i] != nil {
				// Fields the schema does not declare are ignored, as upstream does.
				if _, err := r.skip(); err != nil {
					return nil, err
				}
			} else {
				fs := s.Fields[i]
				v, err := r.typed(fs.GetSchema())
				if err != nil {
					return nil, fmt.Errorf("field %q: %w", fs.GetName(), err)
				}
				slab[i].Name, slab[i].Value = fs.GetName(), v
				fields[i] = &slab[i]
				next = i + 1
			}
			if r.peek() == ',' {
				r.pos++
				continue
			}
			if err := r.expect('}'); err != nil {
				return nil, err
			}
			break
		}
	}
	for i, f := range fields {
		if f != nil {
			continue
		}
		fs := s.Fields[i]
		v, err := r.nullFor(fs.GetSchema())
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", fs.GetName(), err)
		}
		slab[i].Name, slab[i].Value = fs.GetName(), v
		fields[i] = &slab[i]
	}
	return &pluginv1.Value{Kind: &pluginv1.Value_StructValue{StructValue: &pluginv1.Struct{Fields: fields}}}, nil
}

var schemaTypes = map[string]pluginv1.Schema_Type{}

func init() {
	for t, n := range typeNames {
		if n != "" {
			schemaTypes[n] = pluginv1.Schema_Type(t)
		}
	}
}

// schema reads a JsonConverter schema object (JsonConverter.asConnectSchema).
func (r *jsonReader) schema() (*pluginv1.Schema, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer func() { r.depth-- }()
	if err := r.expect('{'); err != nil {
		return nil, err
	}
	s := &pluginv1.Schema{}
	var def []byte
	haveType := false
	if r.peek() == '}' {
		r.pos++
		return nil, r.errorf("schema has no type")
	}
	for {
		key, err := r.strBytes()
		if err != nil {
			return nil, err
		}
		if err := r.expect(':'); err != nil {
			return nil, err
		}
		switch string(key) {
		case "type":
			t, err := r.str()
			if err != nil {
				return nil, err
			}
			if s.Type, haveType = schemaTypes[t]; !haveType {
				return nil, r.errorf("unknown schema type %q", t)
			}
		case "optional":
			if s.Optional, err = r.boolean(); err != nil {
				return nil, err
			}
		case "name":
			if err := r.optionalStr(&s.Name); err != nil {
				return nil, err
			}
		case "doc":
			if err := r.optionalStr(&s.Doc); err != nil {
				return nil, err
			}
		case "version":
			if null, err := r.isNullNext(); err != nil {
				return nil, err
			} else if !null {
				n, _, isInt, _, err := r.number()
				if err != nil || !isInt || n < math.MinInt32 || n > math.MaxInt32 {
					return nil, r.errorf("schema version must be an int32")
				}
				s.Version = int32(n)
			}
		case "parameters":
			if s.Parameters, err = r.parameters(); err != nil {
				return nil, err
			}
		case "default":
			if def, err = r.skip(); err != nil {
				return nil, err
			}
		case "fields":
			if s.Fields, err = r.schemaFields(); err != nil {
				return nil, err
			}
		case "items", "values":
			vs, err := r.schema()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			s.ValueSchema = vs
		case "keys":
			if s.KeySchema, err = r.schema(); err != nil {
				return nil, fmt.Errorf("keys: %w", err)
			}
		default: // "field" (read by the enclosing struct) and anything unknown
			if _, err := r.skip(); err != nil {
				return nil, err
			}
		}
		if r.peek() == ',' {
			r.pos++
			continue
		}
		if err := r.expect('}'); err != nil {
			return nil, err
		}
		break
	}
	if !haveType {
		return nil, r.errorf("schema has no type")
	}
	switch {
	case s.Type == pluginv1.Schema_TYPE_ARRAY && s.ValueSchema == nil:
		return nil, r.errorf("array schema did not specify the items type")
	case s.Type == pluginv1.Schema_TYPE_MAP && (s.KeySchema == nil || s.ValueSchema == nil):
		return nil, r.errorf("map schema did not specify the key and value types")
	}
	if def != nil && string(def) != "null" {
		dr := &jsonReader{data: def}
		v, err := dr.typed(s)
		if err != nil {
			return nil, fmt.Errorf("schema default value: %w", err)
		}
		s.DefaultValue = v
	}
	return s, nil
}

func (r *jsonReader) parameters() (map[string]string, error) {
	if null, err := r.isNullNext(); err != nil || null {
		return nil, err
	}
	if err := r.expect('{'); err != nil {
		return nil, err
	}
	out := map[string]string{}
	if r.peek() == '}' {
		r.pos++
		return out, nil
	}
	for {
		k, err := r.str()
		if err != nil {
			return nil, err
		}
		if err := r.expect(':'); err != nil {
			return nil, err
		}
		if out[k], err = r.str(); err != nil {
			return nil, fmt.Errorf("schema parameter %q must be a string: %w", k, err)
		}
		if r.peek() == ',' {
			r.pos++
			continue
		}
		return out, r.expect('}')
	}
}

func (r *jsonReader) schemaFields() ([]*pluginv1.SchemaField, error) {
	if err := r.expect('['); err != nil {
		return nil, err
	}
	var out []*pluginv1.SchemaField
	if r.peek() == ']' {
		r.pos++
		return out, nil
	}
	for {
		r.ws()
		start := r.pos
		fs, err := r.schema()
		if err != nil {
			return nil, fmt.Errorf("struct field %d: %w", len(out), err)
		}
		name, err := fieldName(r.data[start:r.pos])
		if err != nil {
			return nil, fmt.Errorf("struct field %d: %w", len(out), err)
		}
		out = append(out, &pluginv1.SchemaField{Name: name, Schema: fs})
		if r.peek() == ',' {
			r.pos++
			continue
		}
		return out, r.expect(']')
	}
}

// fieldName finds the "field" key of a struct field's schema object.
func fieldName(obj []byte) (string, error) {
	r := &jsonReader{data: obj}
	if err := r.expect('{'); err != nil {
		return "", err
	}
	for r.peek() != '}' {
		k, err := r.strBytes()
		if err != nil {
			return "", err
		}
		if err := r.expect(':'); err != nil {
			return "", err
		}
		if string(k) == "field" {
			if r.peek() != '"' {
				return "", fmt.Errorf(`struct schema's "fields" argument contains an invalid field name`)
			}
			return r.str()
		}
		if _, err := r.skip(); err != nil {
			return "", err
		}
		if r.peek() == ',' {
			r.pos++
		}
	}
	return "", fmt.Errorf(`struct schema's "fields" argument contains a field with no "field" name`)
}
