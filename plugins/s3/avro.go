package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/hamba/avro/v2/ocf"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// The names Confluent's AvroData gives what Connect leaves unnamed.
const (
	avroNamespace   = "io.confluent.connect.avro"
	avroDefaultName = "ConnectDefault"
	decimalPrecDef  = 64 // AvroData's precision of a Decimal without connect.decimal.precision
)

// avroEncoder writes an Avro object container file of the file's value schema, as
// Confluent's AvroFormat (AvroData.fromConnectSchema, then DataFileWriter with
// avro.codec).
type avroEncoder struct {
	schema *data.Schema
	conv   *avroConverter
	buf    bytes.Buffer
	enc    *ocf.Encoder
}

func newAvroEncoder(cfg *config, s *data.Schema) (*avroEncoder, error) {
	if s == nil {
		return nil, errNoSchema("AvroFormat")
	}
	conv := &avroConverter{meta: cfg.connectMeta, names: map[*data.Schema]string{}}
	tree, err := conv.schema(s, false)
	if err != nil {
		return nil, fmt.Errorf("AvroFormat: %w", err)
	}
	js, err := json.Marshal(tree)
	if err != nil {
		return nil, err
	}
	parsed, err := avro.ParseBytesWithCache(js, "", &avro.SchemaCache{})
	if err != nil {
		return nil, fmt.Errorf("AvroFormat: the Avro schema of %s: %w", s.Type, err)
	}
	e := &avroEncoder{schema: s, conv: conv}
	codec := ocf.Null
	switch cfg.avroCodec {
	case "deflate":
		codec = ocf.Deflate
	case "snappy":
		codec = ocf.Snappy
	case "zstandard":
		codec = ocf.ZStandard
	}
	e.enc, err = ocf.NewEncoderWithSchema(parsed, &e.buf, ocf.WithCodec(codec))
	if err != nil {
		return nil, err
	}
	return e, nil
}

func (e *avroEncoder) write(r *sdk.SinkRecord) error {
	if r.ValueSchema == nil {
		return errNoSchema("AvroFormat")
	}
	v, err := e.conv.value(e.schema, r.Value)
	if err != nil {
		return fmt.Errorf("AvroFormat: %w", err)
	}
	// The OCF encoder buffers a block of records; an error is the record's alone.
	if err := e.enc.Encode(v); err != nil {
		return fmt.Errorf("AvroFormat: %w", err)
	}
	return nil
}

func (e *avroEncoder) finish() ([]byte, error) {
	if err := e.enc.Close(); err != nil {
		return nil, err
	}
	return e.buf.Bytes(), nil
}

// errNoSchema is the error of a record without a value schema in a format that needs one.
func errNoSchema(format string) error {
	return fmt.Errorf("%s needs records with a value schema; this record has none (use a converter that gives one, e.g. JsonConverter with schemas.enable=true, or Avro)", format)
}

// avroConverter turns Connect schemas and values into Avro ones, as AvroData does.
type avroConverter struct {
	meta    bool
	n       int                     // unnamed structs so far
	names   map[*data.Schema]string // a struct's full Avro name, once defined
	unionOf map[*data.Schema]string
}

// avroName splits a Connect struct name into an Avro name and namespace.
func avroName(name string) (string, string) {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:], name[:i]
	}
	return name, ""
}

// schema returns the Avro schema (as JSON-ready values) of s; inUnion is set for the
// non-null branch of an optional field.
func (c *avroConverter) schema(s *data.Schema, _ bool) (any, error) {
	t, err := c.base(s)
	if err != nil {
		return nil, err
	}
	if s.Optional {
		return []any{"null", t}, nil
	}
	return t, nil
}

// base is the schema of s without its optionality.
func (c *avroConverter) base(s *data.Schema) (any, error) {
	prim := func(t string) any {
		m := map[string]any{"type": t}
		if c.meta && s.Name != "" {
			m["connect.name"] = s.Name
		}
		return m
	}
	switch s.Name {
	case data.DecimalName:
		scale, err := data.SchemaScale(s)
		if err != nil {
			return nil, err
		}
		prec := decimalPrecDef
		if p, ok := s.Parameters["connect.decimal.precision"]; ok {
			if n, err := strconv.Atoi(p); err == nil {
				prec = n
			}
		}
		return map[string]any{"type": "bytes", "logicalType": "decimal", "scale": scale, "precision": prec}, nil
	case data.DateName:
		return map[string]any{"type": "int", "logicalType": "date"}, nil
	case data.TimeName:
		return map[string]any{"type": "int", "logicalType": "time-millis"}, nil
	case data.TimestampName:
		return map[string]any{"type": "long", "logicalType": "timestamp-millis"}, nil
	}
	switch s.Type {
	case data.TypeInt8:
		m := prim("int").(map[string]any)
		m["connect.type"] = "int8"
		return m, nil
	case data.TypeInt16:
		m := prim("int").(map[string]any)
		m["connect.type"] = "int16"
		return m, nil
	case data.TypeInt32:
		return prim("int"), nil
	case data.TypeInt64:
		return prim("long"), nil
	case data.TypeFloat32:
		return prim("float"), nil
	case data.TypeFloat64:
		return prim("double"), nil
	case data.TypeBoolean:
		return prim("boolean"), nil
	case data.TypeString:
		return prim("string"), nil
	case data.TypeBytes:
		return prim("bytes"), nil
	case data.TypeArray:
		items, err := c.schema(s.Value, false)
		if err != nil {
			return nil, err
		}
		return map[string]any{"type": "array", "items": items}, nil
	case data.TypeMap:
		if s.Key == nil || s.Key.Type != data.TypeString {
			return nil, fmt.Errorf("a map whose keys are not strings cannot be written to Avro here")
		}
		values, err := c.schema(s.Value, false)
		if err != nil {
			return nil, err
		}
		return map[string]any{"type": "map", "values": values}, nil
	case data.TypeStruct:
		if full, ok := c.names[s]; ok {
			return full, nil // defined already: a reference by name
		}
		name, ns := avroName(s.Name)
		if s.Name == "" {
			c.n++
			name, ns = avroDefaultName, avroNamespace
			if c.n > 1 {
				name += strconv.Itoa(c.n)
			}
		}
		full := name
		if ns != "" {
			full = ns + "." + name
		}
		c.names[s] = full
		rec := map[string]any{"type": "record", "name": name}
		if ns != "" {
			rec["namespace"] = ns
		}
		if c.meta {
			if s.Name != "" {
				rec["connect.name"] = s.Name
			}
			if s.Version != 0 {
				rec["connect.version"] = s.Version
			}
			if s.Doc != "" {
				rec["connect.doc"] = s.Doc
			}
		}
		fields := make([]any, len(s.Fields))
		for i, f := range s.Fields {
			ft, err := c.schema(f.Schema, true)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", f.Name, err)
			}
			fm := map[string]any{"name": f.Name, "type": ft}
			if f.Schema.Optional {
				fm["default"] = nil
			}
			fields[i] = fm
		}
		rec["fields"] = fields
		return rec, nil
	}
	return nil, fmt.Errorf("schema type %s has no Avro form", s.Type)
}

// unionName is the name hamba/avro knows the non-null branch of s's union by.
func (c *avroConverter) unionName(s *data.Schema) string {
	switch s.Name {
	case data.DecimalName:
		return "bytes.decimal"
	case data.DateName:
		return "int.date"
	case data.TimeName:
		return "int.time-millis"
	case data.TimestampName:
		return "long.timestamp-millis"
	}
	switch s.Type {
	case data.TypeInt8, data.TypeInt16, data.TypeInt32:
		return "int"
	case data.TypeInt64:
		return "long"
	case data.TypeFloat32:
		return "float"
	case data.TypeFloat64:
		return "double"
	case data.TypeBoolean:
		return "boolean"
	case data.TypeString:
		return "string"
	case data.TypeBytes:
		return "bytes"
	case data.TypeArray:
		return "array"
	case data.TypeMap:
		return "map"
	case data.TypeStruct:
		return c.names[s]
	}
	return ""
}

// value converts v of schema s into what hamba/avro encodes for its Avro schema.
func (c *avroConverter) value(s *data.Schema, v any) (any, error) {
	if v == nil && s.Default != nil {
		v = s.Default
	}
	if v == nil {
		if s.Optional {
			return map[string]any(nil), nil // the union's null branch
		}
		return nil, fmt.Errorf("null value for a required %s", s.Type)
	}
	out, err := c.base1(s, v)
	if err != nil {
		return nil, err
	}
	if s.Optional {
		return map[string]any{c.unionName(s): out}, nil
	}
	return out, nil
}

func (c *avroConverter) base1(s *data.Schema, v any) (any, error) {
	switch s.Name {
	case data.DecimalName:
		var d data.Decimal
		switch x := v.(type) {
		case data.Decimal:
			d = x
		case []byte:
			scale, _ := data.SchemaScale(s)
			d = data.Decimal{Unscaled: data.FromTwosComplement(x), Scale: scale}
		default:
			return nil, mismatch(s, v)
		}
		if d.Unscaled == nil {
			d.Unscaled = new(big.Int)
		}
		scale, _ := data.SchemaScale(s)
		d, err := d.Rescale(scale)
		if err != nil {
			return nil, err
		}
		den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
		return new(big.Rat).SetFrac(d.Unscaled, den), nil
	case data.DateName, data.TimestampName:
		if t, ok := v.(time.Time); ok {
			return t.UTC(), nil
		}
	case data.TimeName:
		if t, ok := v.(time.Time); ok {
			return time.Duration(data.TimeMillis(t)) * time.Millisecond, nil
		}
	}
	switch s.Type {
	case data.TypeInt8, data.TypeInt16, data.TypeInt32:
		n, ok := data.AsInt64(v)
		if !ok {
			return nil, mismatch(s, v)
		}
		return int(n), nil
	case data.TypeInt64:
		n, ok := data.AsInt64(v)
		if !ok {
			return nil, mismatch(s, v)
		}
		return n, nil
	case data.TypeFloat32:
		switch x := v.(type) {
		case float32:
			return x, nil
		case float64:
			return float32(x), nil
		}
	case data.TypeFloat64:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		}
	case data.TypeBoolean, data.TypeString, data.TypeBytes:
		switch v.(type) {
		case bool, string, []byte:
			return v, nil
		}
	case data.TypeArray:
		items, ok := v.([]any)
		if !ok {
			return nil, mismatch(s, v)
		}
		out := make([]any, len(items))
		for i, it := range items {
			var err error
			if out[i], err = c.value(s.Value, it); err != nil {
				return nil, err
			}
		}
		return out, nil
	case data.TypeMap:
		out := map[string]any{}
		switch x := v.(type) {
		case map[string]any:
			for k, it := range x {
				cv, err := c.value(s.Value, it)
				if err != nil {
					return nil, err
				}
				out[k] = cv
			}
		case data.Map:
			for _, e := range x {
				k, _ := e.Key.(string)
				cv, err := c.value(s.Value, e.Value)
				if err != nil {
					return nil, err
				}
				out[k] = cv
			}
		default:
			return nil, mismatch(s, v)
		}
		return out, nil
	case data.TypeStruct:
		st, ok := v.(*data.Struct)
		if !ok {
			return nil, mismatch(s, v)
		}
		out := make(map[string]any, len(s.Fields))
		for _, f := range s.Fields {
			var fv any
			if sf, ok := st.Schema().Field(f.Name); ok {
				fv = st.At(sf.Index)
			}
			cv, err := c.value(f.Schema, fv)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", f.Name, err)
			}
			out[f.Name] = cv
		}
		return out, nil
	}
	return nil, mismatch(s, v)
}
