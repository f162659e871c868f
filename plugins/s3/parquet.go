package main

import (
	"bytes"
	"fmt"
	"math/big"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"

	"github.com/tributary-dev/tributary/plugins/kc"
	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// parquetEncoder writes a Parquet file of the file's value schema (a struct), as
// Confluent's ParquetFormat does through parquet-avro, with parquet.codec's compression.
type parquetEncoder struct {
	schema *data.Schema
	buf    bytes.Buffer
	w      *parquet.Writer
}

func newParquetEncoder(cfg *config, s *data.Schema) (*parquetEncoder, error) {
	if s == nil {
		return nil, errNoSchema("ParquetFormat")
	}
	if s.Type != data.TypeStruct {
		return nil, fmt.Errorf("ParquetFormat writes struct values (a Parquet row is a record), not %s", s.Type)
	}
	root, err := parquetNode(s)
	if err != nil {
		return nil, fmt.Errorf("ParquetFormat: %w", err)
	}
	if s.Optional {
		root = parquet.Required(root) // a row itself is never null
	}
	name := s.Name
	if name == "" {
		name = avroDefaultName
	}
	e := &parquetEncoder{schema: s}
	opts := []parquet.WriterOption{parquet.NewSchema(name, root)}
	var codec compress.Codec
	switch cfg.parquetCodec {
	case "snappy":
		codec = &parquet.Snappy
	case "gzip":
		codec = &parquet.Gzip
	case "zstd":
		codec = &parquet.Zstd
	case "lz4":
		codec = &parquet.Lz4Raw
	}
	if codec != nil {
		opts = append(opts, parquet.Compression(codec))
	}
	e.w = parquet.NewWriter(&e.buf, opts...)
	return e, nil
}

func (e *parquetEncoder) write(r *sdk.SinkRecord) error {
	if r.ValueSchema == nil {
		return errNoSchema("ParquetFormat")
	}
	if r.Value == nil {
		return fmt.Errorf("ParquetFormat cannot write a null value (a tombstone): set behavior.on.null.values=ignore to skip them")
	}
	row, err := parquetValue(e.schema, r.Value)
	if err != nil {
		return fmt.Errorf("ParquetFormat: %w", err)
	}
	if err := e.w.Write(row); err != nil {
		return fmt.Errorf("ParquetFormat: %w", err)
	}
	return nil
}

func (e *parquetEncoder) finish() ([]byte, error) {
	if err := e.w.Close(); err != nil {
		return nil, err
	}
	return e.buf.Bytes(), nil
}

// parquetNode is the Parquet type of a Connect schema, as parquet-avro maps AvroData's.
func parquetNode(s *data.Schema) (parquet.Node, error) {
	var n parquet.Node
	switch s.Name {
	case data.DecimalName:
		scale, err := data.SchemaScale(s)
		if err != nil {
			return nil, err
		}
		n = parquet.Decimal(int(scale), 38, parquet.ByteArrayType)
	case data.DateName:
		n = parquet.Date()
	case data.TimeName:
		n = parquet.Time(parquet.Millisecond)
	case data.TimestampName:
		n = parquet.Timestamp(parquet.Millisecond)
	}
	if n == nil {
		switch s.Type {
		case data.TypeInt8:
			n = parquet.Int(8)
		case data.TypeInt16:
			n = parquet.Int(16)
		case data.TypeInt32:
			n = parquet.Leaf(parquet.Int32Type)
		case data.TypeInt64:
			n = parquet.Leaf(parquet.Int64Type)
		case data.TypeFloat32:
			n = parquet.Leaf(parquet.FloatType)
		case data.TypeFloat64:
			n = parquet.Leaf(parquet.DoubleType)
		case data.TypeBoolean:
			n = parquet.Leaf(parquet.BooleanType)
		case data.TypeString:
			n = parquet.String()
		case data.TypeBytes:
			n = parquet.Leaf(parquet.ByteArrayType)
		case data.TypeArray:
			elem, err := parquetNode(s.Value)
			if err != nil {
				return nil, err
			}
			n = parquet.List(elem)
		case data.TypeMap:
			if s.Key == nil || s.Key.Type != data.TypeString {
				return nil, fmt.Errorf("a map whose keys are not strings cannot be written to Parquet here")
			}
			val, err := parquetNode(s.Value)
			if err != nil {
				return nil, err
			}
			n = parquet.Map(parquet.String(), val)
		case data.TypeStruct:
			g := parquet.Group{}
			for _, f := range s.Fields {
				fn, err := parquetNode(f.Schema)
				if err != nil {
					return nil, fmt.Errorf("field %q: %w", f.Name, err)
				}
				g[f.Name] = fn
			}
			n = g
		default:
			return nil, fmt.Errorf("schema type %s has no Parquet form", s.Type)
		}
	}
	if s.Optional {
		return parquet.Optional(n), nil
	}
	return n, nil
}

// parquetValue converts v of schema s into the Go value parquet-go writes for its node.
func parquetValue(s *data.Schema, v any) (any, error) {
	if v == nil && s.Default != nil {
		v = s.Default
	}
	if v == nil {
		if s.Optional {
			return nil, nil
		}
		return nil, fmt.Errorf("null value for a required %s", s.Type)
	}
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
		return kc.ToTwosComplement(d.Unscaled), nil
	case data.DateName:
		if t, ok := v.(time.Time); ok {
			return data.DateDays(t), nil
		}
	case data.TimeName:
		if t, ok := v.(time.Time); ok {
			return data.TimeMillis(t), nil
		}
	case data.TimestampName:
		if t, ok := v.(time.Time); ok {
			return t.UnixMilli(), nil
		}
	}
	switch s.Type {
	case data.TypeInt8, data.TypeInt16, data.TypeInt32:
		n, ok := data.AsInt64(v)
		if !ok {
			return nil, mismatch(s, v)
		}
		return int32(n), nil
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
			if out[i], err = parquetValue(s.Value, it); err != nil {
				return nil, err
			}
		}
		return out, nil
	case data.TypeMap:
		out := map[string]any{}
		switch x := v.(type) {
		case map[string]any:
			for k, it := range x {
				cv, err := parquetValue(s.Value, it)
				if err != nil {
					return nil, err
				}
				out[k] = cv
			}
		case data.Map:
			for _, e := range x {
				k, _ := e.Key.(string)
				cv, err := parquetValue(s.Value, e.Value)
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
			cv, err := parquetValue(f.Schema, fv)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", f.Name, err)
			}
			out[f.Name] = cv
		}
		return out, nil
	}
	return nil, mismatch(s, v)
}
