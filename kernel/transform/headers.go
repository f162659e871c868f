package transform

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/tributary-dev/tributary/kernel/convert"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func init() {
	registerTransform("DropHeaders", "Removes one or more headers from each record.",
		[]keyDef{required("headers", tList, high, "The name of the headers to be removed.")},
		func(s *settings) Transformation {
			names := s.nonEmptyList("headers")
			set := make(map[string]bool, len(names))
			for _, n := range names {
				set[n] = true
			}
			return dropHeaders{names: set}
		})

	registerKeyValue("HeaderFrom",
		"Moves or copies fields in the key/value of a record into that record's headers. Corresponding elements of "+
			"fields and headers together identify a field and the header it should be moved or copied to.",
		[]keyDef{
			required("fields", tList, high, "Field names in the record whose values are to be copied or moved to headers."),
			required("headers", tList, high, "Header names, in the same order as the field names listed in the fields configuration property."),
			required("operation", tString, high, "Either move if the fields are to be moved to the headers (removed from the "+
				"key/value), or copy if the fields are to be copied to the headers (retained in the key/value)."),
			replaceNullKey,
		}, newHeaderFrom)

	registerTransform("InsertHeader", "Add a header to each record.",
		[]keyDef{
			required("header", tString, high, "The name of the header."),
			required("value.literal", tString, high, "The literal value that is to be set as the header value on all records."),
		}, newInsertHeader)
}

// withHeaders returns hs plus extra in a new slice: the record's own slice may be shared.
func withHeaders(hs []*pluginv1.Header, extra ...*pluginv1.Header) []*pluginv1.Header {
	out := make([]*pluginv1.Header, 0, len(hs)+len(extra))
	return append(append(out, hs...), extra...)
}

// ---- DropHeaders ----

type dropHeaders struct{ names map[string]bool }

func (d dropHeaders) Apply(r *pluginv1.Record) (*pluginv1.Record, error) {
	drop := 0
	for _, h := range r.Headers {
		if d.names[h.GetKey()] {
			drop++
		}
	}
	if drop == 0 {
		return r, nil
	}
	kept := make([]*pluginv1.Header, 0, len(r.Headers)-drop)
	for _, h := range r.Headers {
		if !d.names[h.GetKey()] {
			kept = append(kept, h)
		}
	}
	r.Headers = kept
	return r, nil
}

// ---- HeaderFrom ----

type headerFrom struct {
	sd          side
	fields      []string
	headers     []string
	move        bool
	replaceNull bool
	cache       schemaCache
}

func newHeaderFrom(sd side, s *settings) Transformation {
	h := &headerFrom{sd: sd, fields: s.nonEmptyList("fields"), headers: s.nonEmptyList("headers")}
	if _, ok := s.props["fields"]; ok {
		if _, ok := s.props["headers"]; ok && len(h.fields) != len(h.headers) {
			s.fail("headers", "'fields' config must have the same number of elements as 'headers' config.")
		}
	}
	h.move = s.oneOf("operation", "move", "copy") == "move"
	h.replaceNull = s.boolean("replace.null.with.default")
	return h
}

func (h *headerFrom) purpose() string {
	if h.move {
		return "header move"
	}
	return "header copy"
}

func (h *headerFrom) Apply(r *pluginv1.Record) (*pluginv1.Record, error) {
	s, v := h.sd.schema(r), h.sd.value(r)
	if isNull(v) {
		return r, nil
	}
	added := make([]*pluginv1.Header, len(h.fields))
	if s == nil {
		o, err := requireObject(v, h.purpose())
		if err != nil {
			return nil, err
		}
		var b *objBuilder
		if h.move {
			b = o.builder()
		}
		for i, f := range h.fields {
			fv, _ := o.get(f)
			added[i] = &pluginv1.Header{Key: h.headers[i], Value: fv}
			if h.move {
				b.remove(f)
			}
		}
		r.Headers = withHeaders(r.Headers, added...)
		if h.move {
			h.sd.set(r, nil, b.value())
		}
		return r, nil
	}

	st, err := requireStruct(s, v, h.purpose())
	if err != nil {
		return nil, err
	}
	for i, f := range h.fields {
		idx := fieldIndex(s, f)
		if idx < 0 {
			return nil, fmt.Errorf("Unknown field: %s (not in the %s)", f, describe(s))
		}
		fs := s.Fields[idx].GetSchema()
		added[i] = &pluginv1.Header{Key: h.headers[i], Value: withDefault(structGet(st, idx, f), fs, h.replaceNull), Schema: fs}
	}
	r.Headers = withHeaders(r.Headers, added...)
	if !h.move {
		return r, nil
	}
	ns, err := h.cache.derive(s, func(s *schema) (*schema, error) {
		var fields []*pluginv1.SchemaField
		for _, f := range s.Fields {
			if !slices.Contains(h.fields, f.GetName()) {
				fields = append(fields, f)
			}
		}
		return structLike(s, fields), nil
	})
	if err != nil {
		return nil, err
	}
	kept := make([]*pluginv1.Field, 0, len(ns.Fields))
	for _, f := range ns.Fields {
		i := fieldIndex(s, f.GetName())
		kept = append(kept, keepField(structField(st, i, f.GetName()), f.GetName(), structGet(st, i, f.GetName())))
	}
	return h.sd.set(r, ns, structValue(kept)), nil
}

// ---- InsertHeader ----

type insertHeader struct {
	name   string
	schema *schema
	value  *value
}

func newInsertHeader(s *settings) Transformation {
	h := &insertHeader{}
	h.name, _ = s.str("header")
	if lit, ok := s.str("value.literal"); ok {
		h.schema, h.value = parseLiteral(lit)
	}
	return h
}

func (h *insertHeader) Apply(r *pluginv1.Record) (*pluginv1.Record, error) {
	r.Headers = withHeaders(r.Headers, &pluginv1.Header{Key: h.name, Value: h.value, Schema: h.schema})
	return r, nil
}

var numberLiteral = regexp.MustCompile(`^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$`)

// parseLiteral reads a config literal as Values.parseString does for the simple cases:
// null, booleans, and numbers (the narrowest integer type that holds a whole number, else
// float32, else float64, else Decimal); anything else is a string.
func parseLiteral(text string) (*schema, *value) {
	switch {
	case text == "null":
		return nil, nil
	case text == "true", text == "false": // Values.parseString: token.equals(TRUE_LITERAL), case-sensitive
		return primitive(sBoolean, false), boolValue(text == "true")
	case !numberLiteral.MatchString(text):
		return primitive(sString, false), stringValue(text)
	}
	// As BigDecimal: unscaled digits and a scale.
	mant, expText, _ := strings.Cut(strings.ToLower(text), "e")
	exp := 0
	if expText != "" {
		e, err := strconv.Atoi(expText)
		if err != nil {
			return primitive(sString, false), stringValue(text)
		}
		exp = e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	unscaled, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok {
		return primitive(sString, false), stringValue(text)
	}
	d := decimal{unscaled: unscaled, scale: len(frac) - exp}
	r := d.rat()
	abs := new(big.Rat).Abs(r)
	whole := r.IsInt() && abs.Cmp(new(big.Rat).SetFloat64(1e19)) <= 0 && (abs.Sign() == 0 || abs.Cmp(big.NewRat(1, 1)) >= 0)
	if whole && r.Num().IsInt64() {
		n := r.Num().Int64()
		switch {
		case n == int64(int8(n)):
			return primitive(sInt8, false), intValue(n)
		case n == int64(int16(n)):
			return primitive(sInt16, false), intValue(n)
		case n == int64(int32(n)):
			return primitive(sInt32, false), intValue(n)
		}
		return primitive(sInt64, false), intValue(n)
	}
	if !whole && d.scale != 0 {
		if f := d.float32(); !math.IsInf(float64(f), 0) {
			return primitive(sFloat32, false), doubleValue(float64(f))
		}
		if f := d.float64(); !math.IsInf(f, 0) {
			return primitive(sFloat64, false), doubleValue(f)
		}
	}
	return &schema{Type: sBytes, Name: convert.DecimalName, Version: 1,
		Parameters: map[string]string{"scale": strconv.Itoa(d.scale)}}, bytesValue(decimalBytes(d.unscaled))
}
