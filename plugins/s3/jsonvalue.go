package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"time"

	"github.com/tributary-dev/tributary/plugins/kc"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// jsonWriter writes a Connect value as Kafka's JsonConverter with schemas.enable=false
// writes it, as Confluent's JsonFormat does: structs as objects in field order, Date as
// days, Time as milliseconds of the day, Timestamp as epoch milliseconds, bytes as
// base64, doubles as Java's Double.toString, Decimals as json.decimal.format says.
type jsonWriter struct {
	numericDecimal bool
}

func (w jsonWriter) write(dst []byte, s *data.Schema, v any) ([]byte, error) {
	if s == nil {
		return w.schemaless(dst, v)
	}
	if v == nil {
		switch {
		case s.Default != nil:
			v = s.Default
		case s.Optional:
			return append(dst, "null"...), nil
		default:
			return nil, errors.New("Conversion error: null value for field that is required and has no default value")
		}
	}
	switch s.Name {
	case data.DecimalName:
		return w.decimal(dst, s, v)
	case data.DateName, data.TimeName, data.TimestampName:
		if t, ok := v.(time.Time); ok {
			return strconv.AppendInt(dst, logicalInt(s, t), 10), nil
		}
	}
	switch s.Type {
	case data.TypeInt8, data.TypeInt16, data.TypeInt32, data.TypeInt64:
		n, ok := data.AsInt64(v)
		if !ok {
			return nil, mismatch(s, v)
		}
		return strconv.AppendInt(dst, n, 10), nil
	case data.TypeFloat32, data.TypeFloat64:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		default:
			n, ok := data.AsInt64(v)
			if !ok {
				return nil, mismatch(s, v)
			}
			f = float64(n)
		}
		return appendDouble(dst, f, s.Type == data.TypeFloat32), nil
	case data.TypeBoolean:
		b, ok := v.(bool)
		if !ok {
			return nil, mismatch(s, v)
		}
		return strconv.AppendBool(dst, b), nil
	case data.TypeString:
		str, ok := v.(string)
		if !ok {
			return nil, mismatch(s, v)
		}
		return data.AppendJSONString(dst, str), nil
	case data.TypeBytes:
		b, ok := v.([]byte)
		if !ok {
			return nil, mismatch(s, v)
		}
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, b)
		return append(dst, '"'), nil
	case data.TypeArray:
		items, ok := v.([]any)
		if !ok {
			return nil, mismatch(s, v)
		}
		dst = append(dst, '[')
		for i, it := range items {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = w.write(dst, s.Value, it); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case data.TypeMap:
		return w.mapValue(dst, s, v)
	case data.TypeStruct:
		st, ok := v.(*data.Struct)
		if !ok {
			return nil, mismatch(s, v)
		}
		dst = append(dst, '{')
		for i, f := range s.Fields {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = data.AppendJSONString(dst, f.Name)
			dst = append(dst, ':')
			var fv any
			if sf, ok := st.Schema().Field(f.Name); ok {
				fv = st.At(sf.Index)
			}
			var err error
			if dst, err = w.write(dst, f.Schema, fv); err != nil {
				return nil, fmt.Errorf("field %q: %w", f.Name, err)
			}
		}
		return append(dst, '}'), nil
	}
	return nil, mismatch(s, v)
}

// schemaless writes a value without a schema as JsonConverter does: its type decides.
func (w jsonWriter) schemaless(dst []byte, v any) ([]byte, error) {
	var err error
	switch x := v.(type) {
	case float64:
		return appendDouble(dst, x, false), nil
	case float32:
		return appendDouble(dst, float64(x), true), nil
	case data.Decimal:
		return w.decimal(dst, data.DecimalSchema(x.Scale), x)
	case time.Time:
		return strconv.AppendInt(dst, x.UnixMilli(), 10), nil
	case *data.Struct:
		return w.write(dst, x.Schema(), x)
	case []any:
		dst = append(dst, '[')
		for i, it := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = w.schemaless(dst, it); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = data.AppendJSONString(dst, k)
			dst = append(dst, ':')
			if dst, err = w.schemaless(dst, x[k]); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case data.Map:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '[')
			if dst, err = w.schemaless(dst, e.Key); err != nil {
				return nil, err
			}
			dst = append(dst, ',')
			if dst, err = w.schemaless(dst, e.Value); err != nil {
				return nil, err
			}
			dst = append(dst, ']')
		}
		return append(dst, ']'), nil
	}
	return data.AppendJSON(dst, v), nil
}

// decimal writes a Decimal as json.decimal.format says: BASE64, the unscaled value's
// two's-complement bytes (JsonConverter's default), or NUMERIC, a JSON number.
func (w jsonWriter) decimal(dst []byte, s *data.Schema, v any) ([]byte, error) {
	var d data.Decimal
	switch x := v.(type) {
	case data.Decimal:
		d = x
	case []byte:
		scale, err := data.SchemaScale(s)
		if err != nil {
			return nil, err
		}
		d = data.Decimal{Unscaled: data.FromTwosComplement(x), Scale: scale}
	default:
		return nil, mismatch(s, v)
	}
	if d.Unscaled == nil {
		d.Unscaled = new(big.Int)
	}
	if w.numericDecimal {
		return append(dst, d.String()...), nil
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, kc.ToTwosComplement(d.Unscaled))
	return append(dst, '"'), nil
}

// mapValue writes a map: string-keyed maps as objects, others as [key, value] pairs.
func (w jsonWriter) mapValue(dst []byte, s *data.Schema, v any) ([]byte, error) {
	var entries []data.MapEntry
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			entries = append(entries, data.MapEntry{Key: k, Value: x[k]})
		}
	case data.Map:
		entries = x
	default:
		return nil, mismatch(s, v)
	}
	var err error
	if s.Key != nil && s.Key.Type == data.TypeString {
		dst = append(dst, '{')
		for i, e := range entries {
			if i > 0 {
				dst = append(dst, ',')
			}
			k, _ := e.Key.(string)
			dst = data.AppendJSONString(dst, k)
			dst = append(dst, ':')
			if dst, err = w.write(dst, s.Value, e.Value); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	}
	dst = append(dst, '[')
	for i, e := range entries {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '[')
		if dst, err = w.write(dst, s.Key, e.Key); err != nil {
			return nil, err
		}
		dst = append(dst, ',')
		if dst, err = w.write(dst, s.Value, e.Value); err != nil {
			return nil, err
		}
		dst = append(dst, ']')
	}
	return append(dst, ']'), nil
}

// logicalInt is a Date, Time or Timestamp as Connect stores it: days, milliseconds of the
// day, or epoch milliseconds.
func logicalInt(s *data.Schema, t time.Time) int64 {
	if s != nil {
		switch s.Name {
		case data.DateName:
			return int64(data.DateDays(t))
		case data.TimeName:
			return int64(data.TimeMillis(t))
		}
	}
	return t.UnixMilli()
}

// appendDouble writes a double as Jackson does (Java's Double.toString; NaN and the
// infinities quoted).
func appendDouble(dst []byte, f float64, float32bits bool) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	if float32bits {
		return kc.AppendFloat(dst, float32(f))
	}
	return kc.AppendDouble(dst, f)
}

func mismatch(s *data.Schema, v any) error {
	return fmt.Errorf("Invalid type for %s: %T", s.Type, v)
}
